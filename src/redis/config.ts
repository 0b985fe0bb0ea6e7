import type { Allocator } from "./alloc.ts";
import type { Accounting } from "./memory.ts";
import type { PolicyName } from "./policies.ts";

/** proto-max-bulk-len's default (512mb): no string value can be larger. */
export const MAX_VALUE_BYTES = 512 * 1024 * 1024;

/** INT_MAX: the upper bound config.c gives most integer directives. */
export const INT_MAX = 2_147_483_647;

/** hz's range: Redis accepts any value ≥ 0 and clamps it to CONFIG_MIN_HZ…CONFIG_MAX_HZ (server.h, config.c updateHZ). */
export const CONFIG_MIN_HZ = 1;
export const CONFIG_MAX_HZ = 500;

/** The most databases a run has (a key class picks db 0–15); Redis's own limit is INT_MAX. */
export const MAX_DATABASES = 16;

/**
 * The integer settings the model reads: the range the simulator accepts (`min`, `max`) and, where Redis
 * 7.0 accepts a wider one (config.c standardConfig: what it refuses to start with), Redis's (`redis`).
 * The scenario schema and the redis.conf reader (conf/redis-conf.ts) both check against this table;
 * the defaults are DEFAULT_REDIS_CONFIG's.
 */
export const INT_CONFIGS = {
  "maxmemory-samples": { min: 1, max: 64 },
  "maxmemory-eviction-tenacity": { min: 0, max: 100 },
  hz: { min: CONFIG_MIN_HZ, max: CONFIG_MAX_HZ, redis: [0, INT_MAX] },
  "lfu-log-factor": { min: 0, max: Number.MAX_SAFE_INTEGER, redis: [0, INT_MAX] },
  "lfu-decay-time": { min: 0, max: Number.MAX_SAFE_INTEGER, redis: [0, INT_MAX] },
  "active-expire-effort": { min: 1, max: 10 },
  databases: { min: 1, max: MAX_DATABASES, redis: [1, INT_MAX] },
  /** Not a directive: the connected clients the model counts (maxclients is 10000 by default). */
  clients: { min: 0, max: 1_000_000 },
} as const satisfies Record<string, { min: number; max: number; redis?: readonly [number, number] }>;
export type IntConfigName = keyof typeof INT_CONFIGS;

/** client-output-buffer-limit for one class of clients: hard bytes, soft bytes, soft seconds (0 = off). */
export interface BufferLimit {
  hard: number;
  soft: number;
  softSeconds: number;
}

/** Redis 7.0's default `client-output-buffer-limit replica 256mb 64mb 60`. */
export const REPLICA_BUFFER_LIMIT_DEFAULT: BufferLimit = { hard: 256 * 1024 * 1024, soft: 64 * 1024 * 1024, softSeconds: 60 };

/** The replication directives of redis.conf the model reads (Redis 7.0 defaults). */
export interface ReplicationConfig {
  /** repl-backlog-size, bytes (1mb). */
  replBacklogSize: number;
  /** client-output-buffer-limit replica. */
  replicaBufferLimit: BufferLimit;
  /** min-replicas-to-write (0 = off). */
  minReplicasToWrite: number;
  /** min-replicas-max-lag, seconds (10). */
  minReplicasMaxLag: number;
  /** cluster-node-timeout, ms (15000). */
  clusterNodeTimeoutMs: number;
  /** repl-diskless-sync (yes in 7.0): a full sync streams the RDB to the replica instead of writing a file. */
  replDisklessSync: boolean;
  /** repl-diskless-sync-delay, seconds (5): a diskless full sync waits this long for more replicas. */
  replDisklessSyncDelay: number;
}

export const REPLICATION_DEFAULTS: ReplicationConfig = {
  replBacklogSize: 1024 * 1024,
  replicaBufferLimit: REPLICA_BUFFER_LIMIT_DEFAULT,
  minReplicasToWrite: 0,
  minReplicasMaxLag: 10,
  clusterNodeTimeoutMs: 15_000,
  replDisklessSync: true,
  replDisklessSyncDelay: 5,
};

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
  /** cluster-enabled: a node of a Redis Cluster (DB 0 only, slot bookkeeping per key). */
  clusterEnabled: boolean;
  /** Replication directives (a cluster's masters and replicas). */
  replication: ReplicationConfig;
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
  clusterEnabled: false,
  replication: REPLICATION_DEFAULTS,
};
