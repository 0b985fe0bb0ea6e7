import { NO_KEY, type Keyspace } from "./keyspace.ts";

/*
 * Belady's optimal replacement (the `opt` reference policy; not Redis): evict the key whose next request
 * is farthest in the future, or never comes. It needs every request's next-access index, which
 * libCacheSim's oracleGeneral traces carry and which `sim run` computes for a generated workload by
 * generating it in full first. With variable sizes "farthest next use" is the usual heuristic, not the
 * exact byte-optimal policy (that one is NP-hard); it is the bound libCacheSim and Caffeine report too.
 *
 * A max-heap of (next use, key) with lazy deletion: each access pushes a fresh entry; stale entries (the
 * key was accessed again, or is gone) are discarded when they reach the top. The heap is rebuilt from
 * the live keys when it grows past twice their number.
 */
export class OptIndex {
  /** Next-access request index per key (Infinity = never again). */
  nextUse = new Float64Array(0);
  private hv = new Float64Array(1024);
  private hk = new Int32Array(1024);
  private n = 0;

  ensure(capacity: number): void {
    if (capacity <= this.nextUse.length) return;
    const g = new Float64Array(Math.max(capacity, this.nextUse.length * 2));
    g.set(this.nextUse);
    this.nextUse = g;
  }

  /** Records that `key` will next be requested at request index `next` (−1 = never). */
  record(key: number, next: number): void {
    const v = next < 0 ? Infinity : next;
    this.ensure(key + 1);
    this.nextUse[key] = v;
    this.push(v, key);
  }

  /** The live key with the farthest next use, or NO_KEY. */
  victim(ks: Keyspace): number {
    if (this.n > 2 * ks.keys + 1024) this.rebuild(ks);
    while (this.n > 0) {
      const v = this.hv[0], k = this.hk[0];
      if (ks.exists(k) && this.nextUse[k] === v) return k;
      this.pop();
    }
    return NO_KEY;
  }

  private rebuild(ks: Keyspace): void {
    this.n = 0;
    for (const db of ks.dbs) for (let i = 0; i < db.allN; i++) this.push(this.nextUse[db.all[2 * i]], db.all[2 * i]);
  }

  private push(v: number, k: number): void {
    if (this.n === this.hv.length) {
      const hv = new Float64Array(this.n * 2), hk = new Int32Array(this.n * 2);
      hv.set(this.hv);
      hk.set(this.hk);
      this.hv = hv;
      this.hk = hk;
    }
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.hv[p] >= v) break;
      this.hv[i] = this.hv[p];
      this.hk[i] = this.hk[p];
      i = p;
    }
    this.hv[i] = v;
    this.hk[i] = k;
  }

  private pop(): void {
    const last = --this.n;
    if (last === 0) return;
    const v = this.hv[last], k = this.hk[last];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= last) break;
      const r = l + 1;
      const c = r < last && this.hv[r] > this.hv[l] ? r : l;
      if (this.hv[c] <= v) break;
      this.hv[i] = this.hv[c];
      this.hk[i] = this.hk[c];
      i = c;
    }
    this.hv[i] = v;
    this.hk[i] = k;
  }
}
