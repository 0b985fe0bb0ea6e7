import { hash01, type Rng, type Streams } from "../core/random.ts";
import { MAX_KEYS, MODE_CACHE_ASIDE, POP_HOTSET, POP_ZIPF, type ClassPhase, type ClassPlan, type GeneratorPlan, type Popularity } from "./config.ts";
import { digits } from "../core/digits.ts";
import { OP_CACHE_GET, OP_DEL, OP_GET, OP_SET, type KeyRegistry, type Request, type RequestSource } from "./request.ts";
import { ZipfSampler } from "./zipf.ts";
import { ClassSlots, keyLength, keyName } from "./keys.ts";
import { TAG_NONE } from "../cluster/config.ts";
import { InputError } from "../errors.ts";

/*
 * The generated workload: open-loop arrivals (Poisson or evenly spaced) at the phase's rate; each arrival
 * picks a key class by share, a key by the class's popularity, and an operation by the class's mode.
 * Nothing is materialised: each request is drawn when the server loop asks for it.
 *
 * Keys are named `<key-prefix>:<index>` (with a hash tag if the class has one: workload/keys.ts), which fixes their length (and so their memory) and lets
 * `sim replay` send the same names to a real server. A key's value size is a fixed function of the key
 * (a hash of the seed, class and index through the size distribution's quantile), so a key refilled
 * after an eviction has the same size again, as a real cached object would. A write's TTL (with its
 * jitter) is a fixed function of the key and the request's time, not a draw from a shared stream: so
 * the same request gets the same TTL under every policy, and in `sim replay`, whichever requests miss.
 */

class ClassState {
  readonly plan: ClassPlan;
  readonly index: number;
  /** First key id of a bounded class. */
  base = 0;
  /** Unbounded classes: ids of created keys in creation order. */
  created = new Int32Array(0);
  createdN = 0;
  phase!: ClassPhase;
  zipf: ZipfSampler | null = null;
  offsetKeys = 0;
  hotN = 0;
  /** The hash slots of its keys, in a cluster run (null otherwise). */
  slots: ClassSlots | null;
  constructor(plan: ClassPlan, index: number, cluster: boolean) {
    this.plan = plan;
    this.index = index;
    this.slots = cluster ? new ClassSlots(plan) : null;
  }
}

export class Generator implements RequestSource {
  private readonly classes: ClassState[];
  private readonly plan: GeneratorPlan;
  private readonly reg: KeyRegistry;
  private readonly rngArrivals: Rng;
  private readonly rngKeys: Rng;
  private readonly rngOps: Rng;
  private readonly poisson: boolean;
  private phaseIdx = -1;
  private phaseEnd = 0;
  private meanGapUs = 0;
  private cum = new Float64Array(0);
  /** Next arrival time as a float (µs); requests carry its floor. */
  private t = 0;
  private nextId = 0;
  readonly boundedKeys: number;

  constructor(plan: GeneratorPlan, streams: Streams, reg: KeyRegistry) {
    this.plan = plan;
    this.reg = reg;
    this.rngArrivals = streams.get("arrivals");
    this.rngKeys = streams.get("keys");
    this.rngOps = streams.get("ops");
    this.poisson = plan.workload.arrivals === "poisson";
    this.classes = plan.workload.classes.map((c, i) => new ClassState(c, i, plan.cluster !== undefined));
    for (const c of this.classes) {
      if (c.plan.keys < 0) continue;
      c.base = this.nextId;
      this.nextId += c.plan.keys;
    }
    this.boundedKeys = this.nextId;
    // Declare every bounded key (db, name length and, in a cluster, hash slot) up front, in one pass.
    for (const c of this.classes) {
      if (c.plan.keys < 0) continue;
      const n = c.plan.keys, db = c.plan.db, slots = c.slots;
      if (slots !== null) {
        for (let i = 0; i < n; i++) reg.defineKey(c.base + i, db, keyLength(c.plan, i), slots.slot(i));
      } else if (c.plan.hashTag.kind === TAG_NONE) {
        const fixed = c.plan.prefix.length + 1;
        reg.defineKey(c.base + n - 1, db, fixed + digits(n - 1));
        for (let i = 0; i < n; i++) reg.defineKey(c.base + i, db, fixed + digits(i));
      } else {
        reg.defineKey(c.base + n - 1, db, keyLength(c.plan, n - 1));
        for (let i = 0; i < n; i++) reg.defineKey(c.base + i, db, keyLength(c.plan, i));
      }
    }
    this.enterPhase(0);
  }

  /** The key name of a generated key id (for `sim replay` and debugging). */
  keyName(cls: number, index: number): string {
    return keyName(this.classes[cls].plan, index);
  }

  /**
   * Visits the hottest `fraction` of each bounded class's keys (by the current phase's popularity:
   * Zipf and hot-set rank 0 first, after the offset), for a prewarm, with each key's request rate now
   * (requests/s: the phase's rate × the class's share × the key's probability under its popularity) and
   * the phase the rate belongs to (which also sizes the key's value). Yields every 65 536 keys, so
   * that a host can pause between steps.
   */
  *hottestSteps(fraction: number, visit: (key: number, cls: number, index: number, rate: number, phase: number) => void): globalThis.Generator<void, void, void> {
    const p = this.plan.workload.phases[this.phaseIdx];
    let shares = 0;
    for (const c of this.classes) shares += c.phase.share;
    for (const c of this.classes) {
      const n = c.plan.keys;
      if (n < 0) continue;
      const m = Math.min(n, Math.round(fraction * n));
      const classRate = shares > 0 && this.meanGapUs !== Infinity ? (p.rate * c.phase.share) / shares : 0;
      const prob = keyProbability(c.phase.popularity, n, c.hotN);
      for (let r = 0; r < m; r++) {
        let index = r + c.offsetKeys;
        if (index >= n) index -= n;
        visit(c.base + index, c.index, index, classRate * prob(r), this.phaseIdx);
        if ((r & 0xffff) === 0xffff) yield;
      }
    }
  }

  private enterPhase(i: number): void {
    const phases = this.plan.workload.phases;
    this.phaseIdx = i;
    const p = phases[i];
    this.phaseEnd = p.endUs;
    this.meanGapUs = p.rate > 0 ? 1_000_000 / p.rate : Infinity;
    this.cum = new Float64Array(this.classes.length);
    let acc = 0;
    for (const c of this.classes) {
      c.phase = c.plan.phases[i];
      acc += c.phase.share;
      this.cum[c.index] = acc;
      this.preparePopularity(c);
    }
    if (acc === 0) this.meanGapUs = Infinity;
    else for (let j = 0; j < this.cum.length; j++) this.cum[j] /= acc;
    this.t = p.startUs + this.gap();
  }

  private preparePopularity(c: ClassState): void {
    const pop = c.phase.popularity;
    const n = c.plan.keys;
    if (n < 0) {
      c.zipf = null;
      return;
    }
    c.zipf = pop.kind === POP_ZIPF ? new ZipfSampler(n, pop.alpha) : null;
    c.offsetKeys = Math.round(pop.offset * n) % n;
    c.hotN = Math.max(1, Math.min(n, Math.round(pop.hotKeys * n)));
  }

  private gap(): number {
    if (this.meanGapUs === Infinity) return Infinity;
    return this.poisson ? this.rngArrivals.exp(this.meanGapUs) : this.meanGapUs;
  }

  /** A 0-based rank among `n` keys by popularity `pop`. */
  private rank(pop: Popularity, n: number, zipf: ZipfSampler | null, hotN: number): number {
    const rng = this.rngKeys;
    if (pop.kind === POP_ZIPF) return (zipf ?? new ZipfSampler(n, pop.alpha)).sample(rng) - 1;
    if (pop.kind === POP_HOTSET) {
      if (hotN >= n) return Math.floor(rng.next() * n);
      return rng.next() < pop.hotShare ? Math.floor(rng.next() * hotN) : hotN + Math.floor(rng.next() * (n - hotN));
    }
    return Math.floor(rng.next() * n);
  }

  next(req: Request): boolean {
    while (this.t >= this.phaseEnd) {
      if (this.phaseIdx + 1 >= this.plan.workload.phases.length) return false;
      this.enterPhase(this.phaseIdx + 1);
    }
    if (this.t >= this.plan.durationUs) return false;
    req.t = Math.floor(this.t);
    req.phase = this.phaseIdx;
    this.t += this.gap();

    // the key class
    let c = this.classes[0];
    if (this.classes.length > 1) {
      const u = this.rngKeys.next();
      let i = 0;
      while (i < this.cum.length - 1 && u >= this.cum[i]) i++;
      c = this.classes[i];
    }
    req.cls = c.index;
    const plan = c.plan;

    if (plan.keys >= 0) {
      const n = plan.keys;
      let index = this.rank(c.phase.popularity, n, c.zipf, c.hotN) + c.offsetKeys;
      if (index >= n) index -= n;
      req.index = index;
      req.key = c.base + index;
    } else if (c.createdN === 0 || this.rngOps.next() < c.phase.newKeys) {
      // an unbounded class creates a new key: a SET of a name never seen before
      const id = this.nextId++;
      if (id >= MAX_KEYS) throw new InputError(`class ${plan.name}: more than ${MAX_KEYS} keys created; shorten the run or lower new-keys`);
      const index = c.createdN;
      this.reg.defineKey(id, plan.db, keyLength(plan, index), c.slots === null ? -1 : c.slots.slot(index));
      if (c.createdN === c.created.length) {
        const g = new Int32Array(Math.max(1024, c.created.length * 2));
        g.set(c.created);
        c.created = g;
      }
      c.created[c.createdN++] = id;
      req.index = index;
      req.key = id;
      req.op = OP_SET;
      this.fill(req);
      return true;
    } else {
      // an existing key of an unbounded class, rank 0 = the newest
      const n = c.createdN;
      const pop = c.phase.popularity;
      if (pop.kind === POP_ZIPF && (c.zipf === null || needsRebuild(c.zipf.n, n))) c.zipf = new ZipfSampler(n, pop.alpha);
      let r = this.rank(pop, n, c.zipf, Math.max(1, Math.round(pop.hotKeys * n)));
      if (r >= n) r = n - 1;
      const index = n - 1 - r;
      req.index = index;
      req.key = c.created[index];
    }

    if (plan.mode === MODE_CACHE_ASIDE) {
      req.op = OP_CACHE_GET;
    } else {
      const u = this.rngOps.next();
      req.op = u < plan.opsCum[0] ? OP_GET : u < plan.opsCum[1] ? OP_SET : OP_DEL;
      if (req.op === OP_SET) this.fill(req);
    }
    return true;
  }

  /** The value size and TTL of a SET of request `req`'s key, in the phase the request was made in. */
  fill(req: Request): void {
    const c = this.classes[req.cls];
    const p = c.plan.phases[req.phase];
    req.vlen = p.size.quantile(hash01(this.plan.seed, c.index, req.index));
    // hash01 takes 32-bit words: fold the request's µs time (up to 2^53) into one
    const t = req.t;
    req.ttlMs = p.ttl.none ? 0 : p.ttl.at(hash01(this.plan.seed ^ 0x5bd1e995, c.index * 0x9e3779b1 + req.index, (t | 0) ^ Math.floor(t / 4294967296)));
  }
}

/** The probability of the key of 0-based rank `r` among `n` under popularity `pop` (as `rank` draws it). */
function keyProbability(pop: Popularity, n: number, hotN: number): (r: number) => number {
  if (pop.kind === POP_ZIPF) {
    let h = 0;
    for (let r = n; r >= 1; r--) h += Math.pow(r, -pop.alpha);
    const a = pop.alpha;
    return (r) => Math.pow(r + 1, -a) / h;
  }
  if (pop.kind === POP_HOTSET && hotN < n) {
    const hot = pop.hotShare / hotN, cold = (1 - pop.hotShare) / (n - hotN);
    return (r) => (r < hotN ? hot : cold);
  }
  return () => 1 / n;
}

/**
 * For a class whose key count grows with every new key, rebuilding the Zipf sampler per key would cost
 * more than the draw; we rebuild when the count has grown by more than 1/256 (exact below 256 keys).
 * The newest keys (beyond the sampler's n) are then reached only through rank 0's neighbourhood shifting:
 * an error under 0.4 % of the ranks.
 */
function needsRebuild(built: number, n: number): boolean {
  return n !== built && (n < 256 || n - built > built / 256);
}
