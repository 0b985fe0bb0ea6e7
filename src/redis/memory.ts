import type { Allocator, SizeClassFn } from "./alloc.ts";
import { allocatorFn } from "./alloc.ts";

/*
 * Memory accounting of string keys (docs/model.md §7.2–7.5), 64-bit, non-cluster Redis 7.0.
 *
 *   cost(key) = A(dictEntry 24) + A(key sds) + value + [TTL: A(expires dictEntry 24)]   (+ bucket shares)
 *
 * The bucket arrays of the main and expires dicts are modelled separately (dict.ts), because Redis frees
 * them only on a cron shrink, never on delete.
 */

export const DICT_ENTRY_SIZE = 24; // sizeof(dictEntry): key ptr, value union, next
/**
 * cluster-enabled: every entry of a DB's main dict carries clusterDictEntryMetadata (prev/next pointers
 * of its slot's key list: cluster.h, server.c dictEntryMetadataSize), allocated with the entry. The
 * expires dict's entries do not. MEMORY USAGE adds it too (object.c memoryCommand: dictMetadataSize).
 */
export const CLUSTER_ENTRY_METADATA = 16;
export const ROBJ_SIZE = 16; // sizeof(robj): type/encoding/lru bit-fields, refcount, ptr
export const EMBSTR_SIZE_LIMIT = 44; // OBJ_ENCODING_EMBSTR_SIZE_LIMIT: robj 16 + sdshdr8 3 + 44 + 1 = 64
export const SHARED_INTEGERS = 10_000; // OBJ_SHARED_INTEGERS: shared objects for 0..9999

/**
 * Bytes of an sds string of `len` bytes: header by length class + the bytes + the NUL terminator
 * (sds.c sdsReqType: hdr5 < 32, hdr8 < 256, hdr16 < 65 536, hdr32 < 2^32, else hdr64; the empty
 * string uses hdr8).
 */
export function sdsAllocSize(len: number): number {
  const hdr = len === 0 ? 3 : len < 32 ? 1 : len < 256 ? 3 : len < 65_536 ? 5 : len < 4_294_967_296 ? 9 : 17;
  return hdr + len + 1;
}

/** How a string value is stored (object.c tryObjectEncoding). */
export const ENC_SHARED = 0; // a shared integer object 0..9999: no allocation for the value
export const ENC_INT = 1; // integer kept in the robj's pointer field: one 16-byte robj
export const ENC_EMBSTR = 2; // robj and sds in one allocation (≤ 44 bytes)
export const ENC_RAW = 3; // robj + separate sds

/**
 * The encoding Redis picks for a string value of `vlen` bytes. `intValue` is the value when it is a
 * canonical decimal integer (no sign other than '-', no leading zeros, ≤ 20 chars, fits in int64),
 * else -1 (or any negative number for negative integers pass `isInt`).
 * Shared integers are used only when no LRU/LFU policy needs a per-key `lru` field (object.c
 * tryObjectEncoding: `maxmemory == 0 || !(policy & MAXMEMORY_FLAG_NO_SHARED_INTEGERS)`).
 */
export function stringEncoding(vlen: number, isInt: boolean, intValue: number, sharedAllowed: boolean): number {
  if (isInt && vlen <= 20) {
    if (sharedAllowed && intValue >= 0 && intValue < SHARED_INTEGERS) return ENC_SHARED;
    return ENC_INT;
  }
  return vlen <= EMBSTR_SIZE_LIMIT ? ENC_EMBSTR : ENC_RAW;
}

/** used_memory bytes of a string value with the given encoding. */
export function stringValueBytes(A: SizeClassFn, vlen: number, enc: number): number {
  switch (enc) {
    case ENC_SHARED:
      return 0;
    case ENC_INT:
      return A(ROBJ_SIZE);
    case ENC_EMBSTR:
      return A(ROBJ_SIZE + 3 + vlen + 1);
    default:
      return A(ROBJ_SIZE) + A(sdsAllocSize(vlen));
  }
}

/** used_memory bytes of a string key without its TTL entry and without bucket shares. */
export function stringKeyBytes(A: SizeClassFn, klen: number, vlen: number, enc: number, entryMeta = 0): number {
  return A(DICT_ENTRY_SIZE + entryMeta) + A(sdsAllocSize(klen)) + stringValueBytes(A, vlen, enc);
}

/** Extra used_memory bytes of a key's TTL: one entry in the expires dict (the key sds is shared). */
export function ttlEntryBytes(A: SizeClassFn): number {
  return A(DICT_ENTRY_SIZE);
}

/**
 * What `MEMORY USAGE key` returns for a string key (object.c memoryCommand / objectComputeSize):
 * value size + A(key sds) + sizeof(dictEntry) unrounded. INT → 16 (even when shared); EMBSTR →
 * A(whole object); RAW → A(sds) + 16. Excludes the expires entry and bucket shares.
 */
export function memoryUsage(A: SizeClassFn, klen: number, vlen: number, enc: number, entryMeta = 0): number {
  let value: number;
  if (enc === ENC_SHARED || enc === ENC_INT) value = ROBJ_SIZE;
  else if (enc === ENC_EMBSTR) value = A(ROBJ_SIZE + 3 + vlen + 1);
  else value = A(sdsAllocSize(vlen)) + ROBJ_SIZE;
  return value + A(sdsAllocSize(klen)) + DICT_ENTRY_SIZE + entryMeta;
}

/**
 * used_memory of an empty server right after startup (INFO `used_memory_startup`).
 * Debian's 7.0.15 build on system jemalloc measured 876 184 B (docs/model.md §7.6). For the bundled
 * allocator we have no measurement; startup allocations are dominated by a few large tables (shared
 * objects, command table, 16 empty dbs), whose classes are the same in both builds, so we use the same
 * figure. The validation suite (`sim replay`) is where this gets checked.
 */
export function startupUsedMemory(_allocator: Allocator): number {
  return 876_184;
}

/**
 * Redis 7 keeps a latency histogram per command (`latency-tracking yes`, an hdr_histogram allocated the
 * first time the command runs). [measured] used_memory grew by 24 688 B at the first GET, SET, DBSIZE
 * and CONFIG each, and not at later calls (7.0.15, Debian build).
 */
export const LATENCY_HISTOGRAM_BYTES = 24_688;

/**
 * A connected client: the client struct, its 16 KiB reply buffer and query buffer. [measured] a second
 * idle connection (after one PING, minus PING's histogram) added 38 112 B (7.0.15, Debian build). Buffers
 * grow with pipelining and shrink in cron; we count the idle size.
 */
export const CLIENT_BYTES = 38_112;

/** How used_memory is counted. */
export const ACCOUNTING = ["redis", "object-size"] as const;
export type Accounting = (typeof ACCOUNTING)[number];

/**
 * A small facade binding the accounting to one allocator. With `object-size` accounting (not Redis: for
 * comparing with cache simulators such as libCacheSim, whose caches hold value bytes only) a key costs
 * exactly its value size and nothing else is counted.
 */
export class MemoryModel {
  readonly A: SizeClassFn;
  readonly ttlEntry: number;
  readonly startup: number;
  readonly clientBytes: number;
  readonly histogramBytes: number;
  readonly allocator: Allocator;
  readonly objectSize: boolean;
  /** Bytes each main-dict entry carries beyond the dictEntry (CLUSTER_ENTRY_METADATA in cluster mode). */
  readonly entryMeta: number;
  constructor(allocator: Allocator, accounting: Accounting = "redis", clusterEnabled = false) {
    this.allocator = allocator;
    this.entryMeta = clusterEnabled ? CLUSTER_ENTRY_METADATA : 0;
    this.objectSize = accounting === "object-size";
    this.A = allocatorFn(allocator);
    this.ttlEntry = this.objectSize ? 0 : ttlEntryBytes(this.A);
    this.startup = this.objectSize ? 0 : startupUsedMemory(allocator);
    this.clientBytes = this.objectSize ? 0 : CLIENT_BYTES;
    this.histogramBytes = this.objectSize ? 0 : LATENCY_HISTOGRAM_BYTES;
  }

  /** used_memory bytes of a string key without its TTL entry and bucket shares. */
  keyBytes(klen: number, vlen: number, enc: number): number {
    return this.objectSize ? vlen : stringKeyBytes(this.A, klen, vlen, enc, this.entryMeta);
  }
}
