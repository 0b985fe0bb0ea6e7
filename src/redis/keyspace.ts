import { DictModel } from "./dict.ts";

/*
 * The keyspace: one 16-byte record per integer key id in a single typed array, so that what the model
 * reads or writes about a key on every access sits in one cache line (one array per field costs a cache
 * miss per field on a cold key). Fields used only for keys with a TTL (expiry time, bucket chain) live
 * in their own arrays, touched only by volatile keys. Key names are not stored:
 * the workload maps each name to an id once (generated keys by arithmetic, trace keys by interning),
 * and the model keeps only what Redis's memory and eviction behaviour depend on.
 *
 * Redis samples keys through its hash tables (dict.c dictGetSomeKeys / dictGetRandomKey). We keep each
 * DB's keys, and its keys with a TTL, in dense arrays with swap-remove, so a uniform sample is O(1)
 * (docs/model.md §13, "may abstract" 1). Each key's 24-bit `lru` field sits beside it in the dense
 * array rather than in its record: eviction samples read key and stamp from one cache line of a
 * compact array (live keys only), instead of a record scattered over the whole id space. Keys with a TTL are also chained into the expires dict's
 * buckets (expNext), for the expire cycle's ordered walk and the volatile policies' sampling.
 */

export const NO_KEY = -1;

/** Int32 slots of a key's record (4 per key: 16 bytes). */
export const REC = 4;
/** Position in its DB's `all` array, or NO_KEY when the key does not exist. */
export const R_ALLPOS = 0;
/** Position in its DB's `vol` array, or NO_KEY when the key has no TTL. */
export const R_VOLPOS = 1;
/** Value length in bytes. */
export const R_VALLEN = 2;
/** key length (bits 0–15) | value encoding (16–23, memory.ts ENC_*) | db (24–31). */
export const R_META = 3;
/* The `lru` field lives in the DB's dense array, next to the key (see Db.all). */

/** One Redis database: its main dict and expires dict (sizes only) and the dense key arrays. */
export class Db {
  /** Pairs [key id, lru field] of every key of the DB, dense (swap-remove). */
  all: Int32Array = new Int32Array(32);
  /** Keys in `all` (pairs). */
  allN = 0;
  vol: Int32Array = new Int32Array(16);
  volN = 0;
  readonly main = new DictModel();
  readonly expires = new DictModel();
  /**
   * The expires dict's buckets as chains of key ids (heads here, links in Keyspace.expNext), so that
   * activeExpireCycle can walk buckets in order from a persistent cursor as Redis 7.0 does. Sized as the
   * larger table of the modelled dict; rebuilt when that size changes.
   */
  expHeads: Int32Array = new Int32Array(0);
  /** activeExpireCycle's persistent bucket index (expires_cursor). */
  expiresCursor = 0;
  /**
   * The main dict's buckets as chains (links in Keyspace.mainNext), built the first time an eviction
   * samples this DB while it holds keys with a TTL, and kept up to date from then on (empty = not kept).
   * Same hash as the expires dict, as in Redis, so the region the expire cycle has not swept yet is a
   * region of the main dict too.
   */
  mainHeads: Int32Array = new Int32Array(0);
  /** INFO keyspace avg_ttl estimate in ms (expire.c), 0 when unknown. */
  avgTtl = 0;
  readonly id: number;
  constructor(id: number) {
    this.id = id;
  }
}

function chainPush(heads: Int32Array, next: Int32Array, key: number, b: number): void {
  next[key] = heads[b];
  heads[b] = key;
}

function chainRemove(heads: Int32Array, next: Int32Array, key: number, b: number): void {
  const after = next[key];
  if (heads[b] === key) heads[b] = after;
  else {
    let k = heads[b];
    while (next[k] !== key) k = next[k];
    next[k] = after;
  }
  next[key] = NO_KEY;
}

function grownLinks(a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(n).fill(NO_KEY);
  b.set(a);
  return b;
}

function grownI32(a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

export class Keyspace {
  capacity = 0;
  /** Records, REC int32 slots per key. */
  rec: Int32Array = new Int32Array(0);
  /** Absolute expiry in simulated ms (valid while the key has a TTL). */
  expireAt: Float64Array = new Float64Array(0);
  /** Next key in the same expires bucket, or NO_KEY (allocated when the first expires chains are built). */
  expNext: Int32Array = new Int32Array(0);
  /** Next key in the same main-dict bucket, or NO_KEY (allocated when the first main chains are built). */
  mainNext: Int32Array = new Int32Array(0);
  /** Salt of the bucket hash (Redis seeds siphash randomly per process). */
  readonly hashSalt: number;
  /** Exact-LRU list links (reference policy only; allocated on demand). */
  prev: Int32Array | null = null;
  next: Int32Array | null = null;
  lruHead = NO_KEY;
  lruTail = NO_KEY;

  readonly dbs: Db[];
  keys = 0;
  volatileKeys = 0;

  constructor(databases: number, capacity: number, exactLru: boolean, hashSalt = 0) {
    this.hashSalt = hashSalt;
    this.dbs = Array.from({ length: databases }, (_, i) => new Db(i));
    if (exactLru) {
      this.prev = new Int32Array(0);
      this.next = new Int32Array(0);
    }
    this.ensure(capacity);
  }

  /** Makes ids 0 … n−1 valid. Grows geometrically so a key leak costs amortised O(1) per key. */
  ensure(n: number): void {
    if (n <= this.capacity) return;
    const cap = Math.max(n, Math.ceil(this.capacity * 1.5), 1024);
    const rec = new Int32Array(cap * REC);
    rec.set(this.rec);
    for (let k = this.capacity; k < cap; k++) {
      rec[k * REC + R_ALLPOS] = NO_KEY;
      rec[k * REC + R_VOLPOS] = NO_KEY;
    }
    this.rec = rec;
    const exp = new Float64Array(cap);
    exp.set(this.expireAt);
    this.expireAt = exp;
    // bucket chain links exist only once some DB keeps chains (allocated in rebuild*Buckets)
    if (this.expNext.length > 0) this.expNext = grownLinks(this.expNext, cap);
    if (this.mainNext.length > 0) this.mainNext = grownLinks(this.mainNext, cap);
    if (this.prev && this.next) {
      const p = new Int32Array(cap).fill(NO_KEY), q = new Int32Array(cap).fill(NO_KEY);
      p.set(this.prev);
      q.set(this.next);
      this.prev = p;
      this.next = q;
    }
    this.capacity = cap;
  }

  // ---- field access (for readability off the hot path, and for tests) ----

  exists(key: number): boolean {
    return this.rec[key * REC + R_ALLPOS] !== NO_KEY;
  }
  hasTtl(key: number): boolean {
    return this.rec[key * REC + R_VOLPOS] !== NO_KEY;
  }
  /** The `lru` field (LRU stamp, or LFU [minutes | counter]) of an existing key. */
  lruOf(key: number): number {
    return this.dbs[this.dbOf(key)].all[2 * this.rec[key * REC + R_ALLPOS] + 1];
  }
  /** Sets the `lru` field of an existing key (prewarm: the idle time or counter a warm server would show). */
  setLru(key: number, lru: number): void {
    this.dbs[this.dbOf(key)].all[2 * this.rec[key * REC + R_ALLPOS] + 1] = lru;
  }
  expireAtOf(key: number): number {
    return this.expireAt[key];
  }
  dbOf(key: number): number {
    return this.rec[key * REC + R_META] >>> 24;
  }
  keyLenOf(key: number): number {
    return this.rec[key * REC + R_META] & 0xffff;
  }
  encOf(key: number): number {
    return (this.rec[key * REC + R_META] >>> 16) & 0xff;
  }
  valLenOf(key: number): number {
    return this.rec[key * REC + R_VALLEN];
  }

  /** Sets a key's DB and name length (once, before first use). */
  define(key: number, db: number, keyLen: number): void {
    const i = key * REC + R_META;
    this.rec[i] = (db << 24) | (this.rec[i] & 0xff0000) | (keyLen & 0xffff);
  }

  setEnc(key: number, enc: number): void {
    const i = key * REC + R_META;
    this.rec[i] = (this.rec[i] & ~0xff0000) | (enc << 16);
  }

  /** Adds `key` with `lru` field `lru` to DB `db`'s dense array (the caller does memory and dict accounting). */
  link(key: number, db: Db, lru: number): void {
    if (2 * db.allN === db.all.length) db.all = grownI32(db.all, db.all.length * 2);
    this.rec[key * REC + R_ALLPOS] = db.allN;
    const i = 2 * db.allN++;
    db.all[i] = key;
    db.all[i + 1] = lru;
    this.keys++;
    if (db.mainHeads.length > 0) chainPush(db.mainHeads, this.mainNext, key, this.bucketOf(key, db.mainHeads.length - 1));
  }

  unlink(key: number, db: Db): void {
    const rec = this.rec;
    const all = db.all;
    const pos = rec[key * REC + R_ALLPOS];
    const lastPos = --db.allN;
    const last = all[2 * lastPos];
    all[2 * pos] = last;
    all[2 * pos + 1] = all[2 * lastPos + 1];
    rec[last * REC + R_ALLPOS] = pos;
    rec[key * REC + R_ALLPOS] = NO_KEY;
    this.keys--;
    if (db.mainHeads.length > 0) chainRemove(db.mainHeads, this.mainNext, key, this.bucketOf(key, db.mainHeads.length - 1));
  }

  linkVolatile(key: number, db: Db): void {
    if (db.volN === db.vol.length) db.vol = grownI32(db.vol, db.vol.length * 2);
    const rec = this.rec;
    rec[key * REC + R_VOLPOS] = db.volN;
    db.vol[db.volN++] = key;
    this.volatileKeys++;
    if (db.expHeads.length > 0) chainPush(db.expHeads, this.expNext, key, this.bucketOf(key, db.expHeads.length - 1));
  }

  unlinkVolatile(key: number, db: Db): void {
    const rec = this.rec;
    const pos = rec[key * REC + R_VOLPOS];
    const last = db.vol[--db.volN];
    db.vol[pos] = last;
    rec[last * REC + R_VOLPOS] = pos;
    rec[key * REC + R_VOLPOS] = NO_KEY;
    this.volatileKeys--;
    if (db.expHeads.length > 0) chainRemove(db.expHeads, this.expNext, key, this.bucketOf(key, db.expHeads.length - 1));
  }

  /** A key's bucket: a fixed integer hash of its id (standing in for siphash of its name). */
  bucketOf(key: number, mask: number): number {
    let h = Math.imul(key ^ this.hashSalt, 0x9e3779b1);
    h ^= h >>> 15;
    h = Math.imul(h, 0x85ebca77);
    h ^= h >>> 13;
    return h & mask;
  }

  /** Re-chains a DB's volatile keys into `slots` buckets (after its expires table changed size). */
  rebuildExpireBuckets(db: Db, slots: number): void {
    if (this.expNext.length < this.capacity) this.expNext = grownLinks(this.expNext, this.capacity);
    const heads = new Int32Array(slots).fill(NO_KEY);
    const mask = slots - 1;
    for (let i = 0; i < db.volN; i++) chainPush(heads, this.expNext, db.vol[i], this.bucketOf(db.vol[i], mask));
    db.expHeads = heads;
  }

  /** (Re-)chains a DB's keys into `slots` main-dict buckets; from then on link/unlink keep them. */
  rebuildMainBuckets(db: Db, slots: number): void {
    if (this.mainNext.length < this.capacity) this.mainNext = grownLinks(this.mainNext, this.capacity);
    const heads = new Int32Array(slots).fill(NO_KEY);
    const mask = slots - 1;
    for (let i = 0; i < db.allN; i++) chainPush(heads, this.mainNext, db.all[2 * i], this.bucketOf(db.all[2 * i], mask));
    db.mainHeads = heads;
  }

  // ---- exact-LRU list (reference policy) ----------------------------------------------------------

  lruPushHead(key: number): void {
    const prev = this.prev!, next = this.next!;
    prev[key] = NO_KEY;
    next[key] = this.lruHead;
    if (this.lruHead !== NO_KEY) prev[this.lruHead] = key;
    this.lruHead = key;
    if (this.lruTail === NO_KEY) this.lruTail = key;
  }

  lruRemove(key: number): void {
    const prev = this.prev!, next = this.next!;
    const p = prev[key], n = next[key];
    if (p !== NO_KEY) next[p] = n;
    else this.lruHead = n;
    if (n !== NO_KEY) prev[n] = p;
    else this.lruTail = p;
  }

  lruMoveToHead(key: number): void {
    if (this.lruHead === key) return;
    this.lruRemove(key);
    this.lruPushHead(key);
  }
}
