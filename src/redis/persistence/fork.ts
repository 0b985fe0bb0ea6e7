import { RESIZE_AVOID, RESIZE_ENABLE } from "../dict.ts";
import { NO_KEY, R_META, R_VALLEN, R_VOLPOS, REC } from "../keyspace.ts";
import { DICT_ENTRY_SIZE, ENC_EMBSTR, ENC_INT, ENC_SHARED, ROBJ_SIZE, sdsAllocSize } from "../memory.ts";
import type { PersistencePlan } from "./config.ts";
import { RDB_EXPIRE_BYTES, RDB_HEADER_BYTES, RDB_SELECTDB_BYTES, rdbKeyBytes, rdbLruFieldBytes } from "./rdb.ts";
import { CHILD_NONE, type PersistedServer, type PersistenceState } from "./state.ts";

/*
 * The fork and its child (server.c redisFork, childinfo.c's COW report): the fork's stall of the main
 * thread, the child's duration, and copy-on-write, page-accurate (see persistence.ts's header). What
 * the child writes (an RDB file or an AOF base) and what its end means are rdb.ts and aof.ts.
 */

/**
 * The child's own private dirty memory (its stack, buffers, allocator state): a save with no writes at
 * all reported rdb_last_cow_size ≈ 1.1 MB on redis-server 7.0.15 (docs/cow-fidelity.md).
 */
const CHILD_OWN_BYTES = 1_100_000;

export class Fork {
  private readonly cfg: PersistencePlan;
  private readonly st: PersistenceState;
  private readonly server: PersistedServer;
  /** used_memory_rss of the parent (for the RSS peak while a child runs). */
  private readonly rssParent: () => number;
  private readonly hashSalt: number;

  /** total_forks, latest_fork_usec, and forks since the last sample. */
  totalForks = 0;
  latestForkUs = 0;
  forksThisInterval = 0;
  /** Bumped at every fork and child end: a child-done event of an older child is ignored. */
  gen = 0;
  /** The running (or last) child: when it starts after the stall and ends, µs. */
  start = 0;
  end = 0;
  /** Acknowledged writes and time at the fork (what the child's file holds). */
  writesAtFork = 0;
  forkTime = 0;
  private usedAtFork = 0;
  /** The RDB the child writes (file, or AOF base), bytes. */
  rdbBytes = 0;

  // ---- the COW ledger ----
  private pages = new Uint8Array(0);
  pageCount = 0;
  /** The fork's page layout: per size class its first page and page count; then the bucket arrays. */
  private readonly poolBase = new Map<number, number>();
  readonly poolPages = new Map<number, number>();
  private bucketBase = 0;
  private bucketPages = 1;
  dirtyPages = 0;
  /** Largest COW of the running (or last) child. */
  cowPeak = 0;
  /** Largest COW of any child, and largest RSS + COW seen while one ran. */
  cowPeakRun = 0;
  rssPeakRun = 0;

  constructor(cfg: PersistencePlan, st: PersistenceState, server: PersistedServer, rssParent: () => number, hashSalt: number) {
    this.cfg = cfg;
    this.st = st;
    this.server = server;
    this.rssParent = rssParent;
    this.hashSalt = hashSalt;
  }

  /**
   * redisFork now for a child of `kind`: the main thread stalls for used_memory × ms-per-GB, dicts stop
   * resizing, the dataset is laid out for the COW ledger, and the child's end is set (docs/persistence-model.md §A4: the longer of
   * serialising used_memory and writing the file).
   */
  fork(kind: number, now: number): void {
    const s = this.server;
    const st = this.st;
    const used = s.used;
    const forkUs = Math.round((used / 2 ** 30) * this.cfg.forkUsPerGb);
    this.latestForkUs = forkUs;
    this.totalForks++;
    this.forksThisInterval++;
    st.blockedUntil = Math.max(st.blockedUntil, now) + forkUs;
    st.child = kind;
    this.gen++;
    s.childActive = true;
    s.resizePolicy = RESIZE_AVOID;
    this.writesAtFork = st.writes;
    this.forkTime = now;
    this.usedAtFork = used;
    this.rdbBytes = this.scanAtFork();
    const secs = Math.max(used / this.cfg.saveBytesPerSec, this.rdbBytes / this.cfg.diskWriteBytesPerSec);
    this.start = now + forkUs;
    this.end = this.start + Math.max(1, Math.round(secs * 1e6));
    // COW ledger: the dataset's pages at fork (scanAtFork laid them out), none dirty yet
    if (this.pages.length < this.pageCount) this.pages = new Uint8Array(this.pageCount);
    else this.pages.fill(0, 0, this.pageCount);
    this.dirtyPages = 0;
    this.cowPeak = 0;
  }

  /** The child is gone (done, killed, or with its parent): dicts resize again. Returns its kind. */
  exit(): number {
    const s = this.server;
    const kind = this.st.child;
    this.st.child = CHILD_NONE;
    this.gen++;
    s.childActive = false;
    s.resizePolicy = RESIZE_ENABLE;
    return kind;
  }

  /**
   * At fork: the RDB file's size (per key: type, key, value, TTL and LRU/LFU fields, docs/persistence-model.md §A4, plus a
   * header), and the page layout of the dataset for the COW ledger. jemalloc keeps each small size class
   * in its own pages, so the layout is one pool of pages per size class (dict entries, key sds, robjs,
   * values), sized by what the keys hold in it, plus the dicts' bucket arrays. An overwrite writes into
   * three of them (the entry's value pointer, a new robj and a new value sds in slots freed earlier), so
   * the small-object pools fill up long before the values' pool does: that is what makes COW per write
   * fall as a save goes on (measured on redis-server 7.0.15: docs/cow-fidelity.md).
   */
  private scanAtFork(): number {
    const ks = this.server.ks;
    const A = this.server.mem.A;
    const page = this.cfg.pageSize;
    const lruField = rdbLruFieldBytes(this.server.lfu, this.server.cfg.maxmemoryPolicy);
    const pool = new Map<number, number>();
    const add = (c: number) => pool.set(c, (pool.get(c) ?? 0) + c);
    const entry = A(DICT_ENTRY_SIZE);
    let b = RDB_HEADER_BYTES;
    let buckets = 0;
    for (const db of ks.dbs) {
      if (db.allN > 0) b += RDB_SELECTDB_BYTES;
      buckets += db.main.bytes + db.expires.bytes;
      for (let i = 0; i < db.allN; i++) {
        const k = db.all[2 * i];
        const r = k * REC;
        const meta = ks.rec[r + R_META];
        const klen = meta & 0xffff;
        const vlen = ks.rec[r + R_VALLEN];
        b += rdbKeyBytes(klen, vlen, lruField);
        add(entry);
        add(A(sdsAllocSize(klen)));
        this.valueAllocs((meta >>> 16) & 0xff, vlen, add);
        if (ks.rec[r + R_VOLPOS] !== NO_KEY) {
          b += RDB_EXPIRE_BYTES;
          add(entry);
        }
      }
    }
    this.poolBase.clear();
    this.poolPages.clear();
    let base = 0;
    for (const c of [...pool.keys()].sort((x, y) => x - y)) {
      const n = Math.max(1, Math.ceil(pool.get(c)! / page));
      this.poolBase.set(c, base);
      this.poolPages.set(c, n);
      base += n;
    }
    this.bucketBase = base;
    this.bucketPages = Math.max(1, Math.ceil(buckets / page));
    this.pageCount = base + this.bucketPages;
    return b;
  }

  /** The allocations of a string value of encoding `enc` (memory.ts): robj and/or sds size classes. */
  private valueAllocs(enc: number, vlen: number, visit: (sizeClass: number) => void): void {
    const A = this.server.mem.A;
    if (enc === ENC_SHARED) return;
    if (enc === ENC_INT) visit(A(ROBJ_SIZE));
    else if (enc === ENC_EMBSTR) visit(A(ROBJ_SIZE + 3 + vlen + 1));
    else {
      visit(A(ROBJ_SIZE));
      visit(A(sdsAllocSize(vlen)));
    }
  }

  /**
   * A write (`write`: SET, with the new value's encoding and length) or a delete (eviction, expiry,
   * DEL) of `key` while the child runs: the pages it writes. Any write or delete changes the key's dict
   * entry (its value pointer, or the chain it is unlinked from) and, when the key is added or removed,
   * its bucket; a SET allocates its value (robj and sds) in slots freed earlier, so in pages of the
   * fork's pools; a new key also allocates its key sds. Frees write jemalloc's out-of-line metadata,
   * not the data pages. Which page in a pool: a hash of the key and of the time, since a freed slot
   * anywhere in the pool may be reused.
   */
  touch(key: number, write: boolean, isNew: boolean, klen: number, enc: number, vlen: number, now: number): void {
    const A = this.server.mem.A;
    let h = Math.imul(key ^ this.hashSalt, 0x9e3779b1);
    h ^= h >>> 15;
    this.region(A(DICT_ENTRY_SIZE), h);
    if (isNew || !write) this.mark(this.bucketBase + ((Math.imul(h, 0x85ebca6b) >>> 0) % this.bucketPages));
    if (write) {
      // a fresh slot: a different place at each write of the key
      let g = Math.imul(h ^ (now | 0) ^ this.st.writes, 0xc2b2ae35);
      g ^= g >>> 13;
      if (isNew) this.region(A(sdsAllocSize(klen)), Math.imul(g, 0x27d4eb2f));
      this.valueAllocs(enc, vlen, (c) => {
        g = Math.imul(g ^ c, 0x9e3779b1);
        g ^= g >>> 16;
        this.region(c, g);
      });
    }
    const cow = this.cowBytes;
    if (cow > this.cowPeak) {
      this.cowPeak = cow;
      if (cow > this.cowPeakRun) this.cowPeakRun = cow;
      const rss = this.rssParent() + cow;
      if (rss > this.rssPeakRun) this.rssPeakRun = rss;
    }
  }

  /** One allocation of size class `c` at a slot chosen by hash `h` in its pool: the pages it spans. */
  private region(c: number, h: number): void {
    const pages = this.poolPages.get(c);
    if (pages === undefined) return; // a size class the dataset did not use at fork: new memory, not shared
    const page = this.cfg.pageSize;
    const slots = Math.max(1, Math.floor((pages * page) / c));
    const start = ((h >>> 0) % slots) * c;
    const base = this.poolBase.get(c)!;
    const last = Math.min(pages - 1, Math.floor((start + c - 1) / page));
    for (let p = Math.floor(start / page); p <= last; p++) this.mark(base + p);
  }

  private mark(p: number): void {
    if (this.pages[p] === 0) {
      this.pages[p] = 1;
      this.dirtyPages++;
    }
  }

  /** Current copy-on-write bytes of the running child (0 without one). */
  get cowBytes(): number {
    return this.st.child === CHILD_NONE ? 0 : Math.min(CHILD_OWN_BYTES + this.dirtyPages * this.cfg.pageSize, this.usedAtFork);
  }
}
