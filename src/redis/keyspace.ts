import { DictModel } from "./dict.ts";

/*
 * The keyspace as a struct of typed arrays indexed by integer key id. Key names are not stored: the
 * workload maps each name to an id once (generated keys by arithmetic, trace keys by interning), and the
 * model keeps only what Redis's memory and eviction behaviour depend on.
 *
 * Redis samples keys through its hash tables (dict.c dictGetSomeKeys / dictGetRandomKey). We keep each
 * DB's keys, and its keys with a TTL, in dense arrays with swap-remove, so a uniform sample is O(1)
 * (redis-model.md §13, "may abstract" 1: bucket placement is random with respect to recency and
 * frequency, so uniform draws have the same expectation).
 */

export const NO_KEY = -1;

function grown<T extends Int32Array | Uint32Array | Float64Array | Uint16Array | Uint8Array>(a: T, n: number, fill?: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  if (fill !== undefined) b.fill(fill, a.length);
  return b;
}

/** One Redis database: its main dict and expires dict (sizes only) and the dense key arrays. */
export class Db {
  all = new Int32Array(16);
  allN = 0;
  vol = new Int32Array(16);
  volN = 0;
  readonly main = new DictModel();
  readonly expires = new DictModel();
  /**
   * The expires dict's buckets as chains of key ids (heads here, links in Keyspace.expNext), so that
   * activeExpireCycle can walk buckets in order from a persistent cursor as Redis 7.0 does. Sized as the
   * larger table of the modelled dict; rebuilt when that size changes.
   */
  expHeads = new Int32Array(0);
  /** activeExpireCycle's persistent bucket index (expires_cursor). */
  expiresCursor = 0;
  /** INFO keyspace avg_ttl estimate in ms (expire.c), 0 when unknown. */
  avgTtl = 0;
  readonly id: number;
  constructor(id: number) {
    this.id = id;
  }
}

export class Keyspace {
  capacity = 0;
  /** Position in its DB's `all` array, or NO_KEY when the key does not exist. */
  allPos = new Int32Array(0);
  /** Position in its DB's `vol` array, or NO_KEY when the key has no TTL. */
  volPos = new Int32Array(0);
  /** The 24-bit `lru` field of the value object: LRU clock stamp, or LFU [minutes | counter]. */
  lru = new Uint32Array(0);
  /** Absolute expiry in simulated ms (valid when volPos ≥ 0). */
  expireAt = new Float64Array(0);
  /** used_memory bytes of the key excluding its TTL entry and bucket shares. */
  mem = new Uint32Array(0);
  valLen = new Uint32Array(0);
  keyLen = new Uint16Array(0);
  /** The value's string encoding (memory.ts ENC_*). */
  enc = new Uint8Array(0);
  dbOf = new Uint8Array(0);
  /** Next key in the same expires bucket, or NO_KEY. */
  expNext = new Int32Array(0);
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
    this.allPos = grown(this.allPos, cap, NO_KEY);
    this.volPos = grown(this.volPos, cap, NO_KEY);
    this.lru = grown(this.lru, cap);
    this.expireAt = grown(this.expireAt, cap);
    this.mem = grown(this.mem, cap);
    this.valLen = grown(this.valLen, cap);
    this.keyLen = grown(this.keyLen, cap);
    this.enc = grown(this.enc, cap);
    this.dbOf = grown(this.dbOf, cap);
    this.expNext = grown(this.expNext, cap, NO_KEY);
    if (this.prev && this.next) {
      this.prev = grown(this.prev, cap, NO_KEY);
      this.next = grown(this.next, cap, NO_KEY);
    }
    this.capacity = cap;
  }

  exists(key: number): boolean {
    return this.allPos[key] !== NO_KEY;
  }

  /** Adds `key` to DB `db`'s dense array (the caller does memory and dict accounting). */
  link(key: number, db: Db): void {
    if (db.allN === db.all.length) db.all = grown(db.all, db.all.length * 2);
    this.allPos[key] = db.allN;
    db.all[db.allN++] = key;
    this.dbOf[key] = db.id;
    this.keys++;
  }

  unlink(key: number, db: Db): void {
    const pos = this.allPos[key];
    const last = db.all[--db.allN];
    db.all[pos] = last;
    this.allPos[last] = pos;
    this.allPos[key] = NO_KEY;
    this.keys--;
  }

  linkVolatile(key: number, db: Db): void {
    if (db.volN === db.vol.length) db.vol = grown(db.vol, db.vol.length * 2);
    this.volPos[key] = db.volN;
    db.vol[db.volN++] = key;
    this.volatileKeys++;
    const heads = db.expHeads;
    if (heads.length > 0) {
      const b = this.bucketOf(key, heads.length - 1);
      this.expNext[key] = heads[b];
      heads[b] = key;
    }
  }

  unlinkVolatile(key: number, db: Db): void {
    const pos = this.volPos[key];
    const last = db.vol[--db.volN];
    db.vol[pos] = last;
    this.volPos[last] = pos;
    this.volPos[key] = NO_KEY;
    this.volatileKeys--;
    const heads = db.expHeads;
    if (heads.length > 0) {
      const b = this.bucketOf(key, heads.length - 1);
      const next = this.expNext;
      if (heads[b] === key) heads[b] = next[key];
      else {
        let k = heads[b];
        while (next[k] !== key) k = next[k];
        next[k] = next[key];
      }
      next[key] = NO_KEY;
    }
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
    const heads = new Int32Array(slots).fill(NO_KEY);
    const next = this.expNext;
    const mask = slots - 1;
    for (let i = 0; i < db.volN; i++) {
      const key = db.vol[i];
      const b = this.bucketOf(key, mask);
      next[key] = heads[b];
      heads[b] = key;
    }
    db.expHeads = heads;
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
