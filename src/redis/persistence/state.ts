import type { Keyspace } from "../keyspace.ts";

/*
 * What the parts of persistence (rdb.ts, aof.ts, fork.ts, durability.ts) share, and the narrow view of
 * the server they need. persistence/ never imports server.ts: RedisServer satisfies PersistedServer.
 */

/** server.child_type: no child, an RDB save (rdbSaveBackground), an AOF rewrite (rewriteAppendOnlyFileBackground). */
export const CHILD_NONE = 0;
export const CHILD_RDB = 1;
export const CHILD_AOF = 2;

/** The server's state every part of persistence reads or moves. */
export class PersistenceState {
  /** Acknowledged write commands. */
  writes = 0;
  /** The main thread is blocked until this time, µs (fork stall, always-fsync, a delayed everysec write, a restart). */
  blockedUntil = 0;
  /** server.child_type (CHILD_*). */
  child = CHILD_NONE;
}

/** What persistence reads from and does to the server (RedisServer). */
export interface PersistedServer {
  /** used_memory, bytes. */
  readonly used: number;
  readonly ks: Keyspace;
  /** The allocator's size class of a request (jemalloc), and the server's memory at startup. */
  readonly mem: { readonly A: (bytes: number) => number; readonly startup: number };
  /** An LFU policy (the RDB stores a frequency per key), else LRU fields if the policy name says lru. */
  readonly lfu: boolean;
  readonly cfg: { readonly maxmemoryPolicy: string };
  /** server.child_pid != -1: no LRU/LFU touch while a child exists. */
  childActive: boolean;
  /** updateDictResizePolicy: RESIZE_AVOID while a child exists. */
  resizePolicy: number;
  flushall(): void;
  deleteKey(key: number): void;
}
