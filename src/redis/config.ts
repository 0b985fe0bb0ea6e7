import type { Allocator } from "./alloc.ts";
import type { Accounting } from "./memory.ts";
import type { PolicyName } from "./policies.ts";

/** The server settings the model reads, named as in redis.conf (camelCased here). */
export interface RedisConfig {
  /** Bytes; 0 = no limit. */
  maxmemory: number;
  maxmemoryPolicy: PolicyName;
  maxmemorySamples: number;
  maxmemoryEvictionTenacity: number;
  hz: number;
  lfuLogFactor: number;
  /** Minutes; 0 = never decay. */
  lfuDecayTime: number;
  activeExpireEffort: number;
  /** Active expiry on/off (what `DEBUG SET-ACTIVE-EXPIRE 0|1` toggles); on in Redis unless debugging. */
  activeExpire: boolean;
  databases: number;
  allocator: Allocator;
  /** Connected clients, each holding CLIENT_BYTES of used_memory. */
  clients: number;
  /** `redis` (Redis's used_memory) or `object-size` (value bytes only; not Redis). */
  memoryAccounting: Accounting;
}

export const DEFAULT_REDIS_CONFIG: RedisConfig = {
  maxmemory: 0,
  maxmemoryPolicy: "noeviction",
  maxmemorySamples: 5,
  maxmemoryEvictionTenacity: 10,
  hz: 10,
  lfuLogFactor: 10,
  lfuDecayTime: 1,
  activeExpireEffort: 1,
  activeExpire: true,
  databases: 16,
  allocator: "jemalloc-bundled",
  clients: 1,
  memoryAccounting: "redis",
};
