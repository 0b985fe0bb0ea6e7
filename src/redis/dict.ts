/*
 * The bucket arrays of one Redis dict (dict.c), modelled by size only: keys are not placed in buckets,
 * but the table sizes, the incremental rehash that holds two tables at once, and the rules that decide
 * when a table grows or shrinks follow Redis 7.0 (docs/model.md §7.4). Memory = 8 bytes per slot of
 * every live table.
 */

export const DICT_HT_INITIAL_SIZE = 4;
export const DICT_FORCE_RESIZE_RATIO = 5; // dict_force_resize_ratio (7.0): expand during a fork child only above 5 keys/slot
export const HASHTABLE_MIN_FILL = 10; // % fill under which cron shrinks a table (server.c htNeedsResize)
export const HASHTABLE_MAX_LOAD_FACTOR = 1.618; // server.c dictExpandAllowed: may refuse growth up to this load

/** A dict's resize policy (dict.c dictSetResizeEnabled / 7.0.15 DICT_RESIZE_AVOID while a child exists). */
export const RESIZE_ENABLE = 0;
export const RESIZE_AVOID = 1;

/** Called before an expansion: may the dict allocate `moreMem` bytes at load factor `ratio`? */
export type ExpandAllowed = (moreMem: number, ratio: number) => boolean;

function nextPow2(n: number): number {
  let s = DICT_HT_INITIAL_SIZE;
  while (s < n) s *= 2;
  return s;
}

export class DictModel {
  /** Bytes per bucket slot: 8 (a pointer), or 0 when only object sizes are counted. */
  slotBytes = 8;
  /** Slots of table 0 (0 = no table allocated yet). */
  size0 = 0;
  /** Slots of table 1 while rehashing, else 0. */
  size1 = 0;
  /** Buckets of table 0 already migrated (fractional: see `stepBuckets`); -1 when not rehashing. */
  rehashIdx = -1;
  /** Entries. */
  used = 0;
  /**
   * Buckets one rehash step advances. Redis's `_dictRehashStep` moves one non-empty bucket, skipping
   * up to 10 empty ones; with keys placed at random at load α the expected advance is 1/(1 − e^−α)
   * buckets. We fix it at the start of each rehash (α = used/size0 then): accurate to the bucket on
   * average, which only matters near a power-of-two boundary (docs/model.md §13, "may abstract" 3).
   */
  private stepBuckets = 1;

  /** Bytes of the bucket arrays (8 per slot of each live table). */
  get bytes(): number {
    return this.slotBytes * (this.size0 + this.size1);
  }

  get slots(): number {
    return this.size0 + this.size1;
  }

  get rehashing(): boolean {
    return this.rehashIdx >= 0;
  }

  /** One incremental rehash step (every add, find, delete, sample on this dict). Returns the memory delta. */
  rehashStep(): number {
    return this.rehashIdx >= 0 ? this.rehashBuckets(this.stepBuckets) : 0;
  }

  /** Migrates `n` buckets; frees table 0 when done. Returns the memory delta (≤ 0). */
  rehashBuckets(n: number): number {
    if (this.rehashIdx < 0) return 0;
    this.rehashIdx += n;
    if (this.rehashIdx < this.size0) return 0;
    const freed = this.slotBytes * this.size0;
    this.size0 = this.size1;
    this.size1 = 0;
    this.rehashIdx = -1;
    return -freed;
  }

  /**
   * The checks dictAddRaw makes before inserting (rehash step, then `_dictExpandIfNeeded`), followed by
   * the insert. Returns the memory delta of the bucket arrays.
   */
  add(resize: number, expandAllowed: ExpandAllowed | null): number {
    let delta = this.rehashStep();
    if (this.size0 === 0) {
      // An empty dict gets its first table directly, with no expandAllowed check.
      this.size0 = DICT_HT_INITIAL_SIZE;
      delta += this.slotBytes * DICT_HT_INITIAL_SIZE;
    } else if (this.rehashIdx < 0 && this.used >= this.size0) {
      const ratio = this.used / this.size0;
      const can = resize === RESIZE_ENABLE || Math.floor(ratio) > DICT_FORCE_RESIZE_RATIO;
      if (can) {
        const next = nextPow2(this.used + 1);
        if (expandAllowed === null || expandAllowed(this.slotBytes * next, ratio)) delta += this.startRehash(next);
      }
    }
    this.used++;
    return delta;
  }

  /** Deletes one entry (dictDelete: rehash step first). Returns the memory delta of the bucket arrays. */
  remove(): number {
    const delta = this.rehashStep();
    this.used--;
    return delta;
  }

  /**
   * The cron shrink (server.c tryResizeHashTables → dict.c dictResize): if the table has more than 4
   * slots and is under 10 % full, rehash into the smallest power of two ≥ max(used, 4).
   */
  shrinkIfNeeded(resize: number): number {
    if (resize !== RESIZE_ENABLE || this.rehashIdx >= 0) return 0;
    if (this.size0 > DICT_HT_INITIAL_SIZE && (this.used * 100) / this.size0 < HASHTABLE_MIN_FILL) {
      const next = nextPow2(Math.max(this.used, DICT_HT_INITIAL_SIZE));
      if (next !== this.size0) return this.startRehash(next);
    }
    return 0;
  }

  /** dictEmpty (FLUSHALL): frees both tables; the next add allocates the initial one. Returns the memory delta. */
  clear(): number {
    const freed = this.bytes;
    this.size0 = this.size1 = this.used = 0;
    this.rehashIdx = -1;
    return -freed;
  }

  private startRehash(slots: number): number {
    this.size1 = slots;
    this.rehashIdx = 0;
    const load = this.used / this.size0;
    this.stepBuckets = load > 0 ? Math.min(11, 1 / (1 - Math.exp(-load))) : 11;
    return this.slotBytes * slots;
  }
}
