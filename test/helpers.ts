import { Streams } from "../src/core/random.ts";
import { Sim } from "../src/core/sim.ts";
import { DEFAULT_REDIS_CONFIG, type RedisConfig } from "../src/redis/config.ts";
import { RedisServer } from "../src/redis/server.ts";

/** A server on a fresh kernel, with keys 0 … keys−1 declared in db 0 with names of `keyLen` bytes. */
export function makeServer(over: Partial<RedisConfig> = {}, keys = 1000, keyLen = 10, seed = 1) {
  const sim = new Sim();
  const server = new RedisServer({ ...DEFAULT_REDIS_CONFIG, ...over }, sim, new Streams(seed));
  for (let k = 0; k < keys; k++) server.defineKey(k, 0, keyLen);
  return { sim, server };
}

/** Bytes of every bucket array of every DB. */
export function bucketBytes(server: RedisServer): number {
  return server.ks.dbs.reduce((a, db) => a + db.main.bytes + db.expires.bytes, 0);
}
