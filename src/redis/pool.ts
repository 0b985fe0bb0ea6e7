import { NO_KEY } from "./keyspace.ts";

/*
 * The eviction pool (evict.c EVPOOL_SIZE / evictionPoolPopulate, docs/model.md §4.3): 16 candidates
 * sorted by ascending score, best victim at the right. One pool shared by all DBs, kept across calls and
 * across time. Scores are frozen at insertion; the same key may sit in it several times; entries whose
 * key has gone are "ghosts", skipped when popped.
 */
export const EVPOOL_SIZE = 16;

export class EvictionPool {
  readonly score = new Float64Array(EVPOOL_SIZE);
  readonly key = new Int32Array(EVPOOL_SIZE).fill(NO_KEY);
  readonly db = new Uint8Array(EVPOOL_SIZE);

  /**
   * Inserts one sampled key, as evictionPoolPopulate does: find the first slot that is empty or holds a
   * score ≥ `s`; a newcomer lands to the left of equal scores, so among equals the oldest insertion is
   * evicted first. A full pool drops its worst entry (slot 0) to make room, or refuses the newcomer if
   * it is worse than every entry.
   */
  insert(s: number, key: number, db: number): void {
    const score = this.score, keys = this.key, dbs = this.db;
    let k = 0;
    while (k < EVPOOL_SIZE && keys[k] !== NO_KEY && score[k] < s) k++;
    if (k === 0 && keys[EVPOOL_SIZE - 1] !== NO_KEY) return;
    if (k < EVPOOL_SIZE && keys[k] === NO_KEY) {
      // empty slot: insert here
    } else if (keys[EVPOOL_SIZE - 1] === NO_KEY) {
      // free space on the right: shift k..14 one to the right (plain loops: copyWithin's native call
      // costs more than moving a few entries)
      for (let i = EVPOOL_SIZE - 1; i > k; i--) {
        score[i] = score[i - 1];
        keys[i] = keys[i - 1];
        dbs[i] = dbs[i - 1];
      }
    } else {
      // full: drop slot 0, shift 1..k−1 one to the left, insert at k−1
      k--;
      for (let i = 0; i < k; i++) {
        score[i] = score[i + 1];
        keys[i] = keys[i + 1];
        dbs[i] = dbs[i + 1];
      }
    }
    score[k] = s;
    keys[k] = key;
    dbs[k] = db;
  }

  /** Number of occupied slots (they always form a prefix). */
  get size(): number {
    let n = 0;
    while (n < EVPOOL_SIZE && this.key[n] !== NO_KEY) n++;
    return n;
  }
}
