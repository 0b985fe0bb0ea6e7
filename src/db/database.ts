import { grownInto } from "../core/arrays.ts";
import type { Rng } from "../core/random.ts";
import type { Sim } from "../core/sim.ts";
import type { DatabaseConfig } from "./config.ts";

/*
 * The backing database as a queue: c connections (servers), FIFO waiting for a free one, a service-time
 * distribution, an optional pool-acquire timeout and an optional client-side query timeout.
 * (an M/G/c queue; its waits are checked against Erlang C in database.test.ts.)
 *
 * c = min(app instances × pool per instance, max-connections): the pools are modelled as one shared
 * FIFO pool of that size. Per-instance pools with their own queues would make waits a little longer
 * under uneven load; one pool is the M/G/c model the reference recommends and the one the Erlang C
 * check (test/database.test.ts) can hold it to.
 *
 * A connection is held for the network round trip plus the service time (the client holds it from the
 * moment it sends the query until the result is back). Load-dependent slowdown (processor sharing above
 * the DB's core count, docs/persistence-model.md §E1) is not modelled: service times do not depend on how many queries run.
 *
 * State is in typed arrays indexed by a query slot (reused through a free list): no allocation per query.
 */


/** Why a query ended, as passed to the completion callback. */
export const DB_OK = 0;
export const DB_POOL_TIMEOUT = 1;
export const DB_QUERY_TIMEOUT = 2;

const WAITING = 1;
const RUNNING = 2;
/** The client has given up but the database is still working on it (no cancel). */
const ABANDONED = 3;

/** Slot and generation packed into an event argument (a float64 holds 53 bits). */
const GEN = 2 ** 24;

export type QueryDone = (tag: number, outcome: number, elapsedUs: number) => void;

export class Database {
  readonly cfg: DatabaseConfig;
  private readonly sim: Sim;
  private readonly rng: Rng;
  private readonly done: QueryDone;
  private readonly evEnd: number;
  private readonly evPoolTimeout: number;
  private readonly evQueryTimeout: number;

  // per query slot
  private tag = new Int32Array(64);
  private kind = new Uint8Array(64);
  private state = new Uint8Array(64);
  private gen = new Uint32Array(64);
  private submitAt = new Float64Array(64);
  private free: number[] = [];
  private slots = 0;

  // FIFO of waiting slots (ring), with generations: cancelled entries are skipped when they reach the head
  private ring = new Int32Array(64);
  private ringGen = new Uint32Array(64);
  private head = 0;
  private len = 0;

  /** Queries waiting for a connection (live ones only). */
  waiting = 0;
  /** Connections in use. */
  active = 0;

  // counters (cumulative)
  submitted = 0;
  started = 0;
  completed = 0;
  poolTimeouts = 0;
  queryTimeouts = 0;
  cancelled = 0;
  /** Sum and count of pool waits of queries that got a connection (µs). */
  waitSumUs = 0;
  waitCount = 0;
  /** Connection-µs in use, integrated over time. */
  private busyUs = 0;
  private lastChange = 0;

  // peaks since the last resetPeaks()
  peakInSystem = 0;
  peakActive = 0;
  peakWaiting = 0;

  constructor(sim: Sim, rng: Rng, cfg: DatabaseConfig, done: QueryDone) {
    if (!(cfg.connections >= 1)) throw new Error("a database needs at least one connection");
    this.cfg = cfg;
    this.sim = sim;
    this.rng = rng;
    this.done = done;
    this.evEnd = sim.on((arg) => this.onEnd(arg));
    this.evPoolTimeout = sim.on((arg) => this.onPoolTimeout(arg));
    this.evQueryTimeout = sim.on((arg) => this.onQueryTimeout(arg));
  }

  /** Queries the database holds (waiting or running, including ones their client gave up on). */
  get inSystem(): number {
    return this.waiting + this.active;
  }

  /** Connection-µs used since the start (for utilisation = Δbusy / (c × Δt)). */
  busy(now: number): number {
    return this.busyUs + this.active * (now - this.lastChange);
  }

  resetPeaks(): void {
    this.peakInSystem = this.inSystem;
    this.peakActive = this.active;
    this.peakWaiting = this.waiting;
  }

  /** Sends a query of service kind `kind` for the caller's `tag`; the callback reports how it ended. */
  submit(tag: number, kind = 0): void {
    const s = this.alloc();
    const now = this.sim.now;
    this.tag[s] = tag;
    this.kind[s] = kind;
    this.submitAt[s] = now;
    this.submitted++;
    const ev = s + this.gen[s] * GEN;
    if (this.cfg.queryTimeoutUs !== Infinity) this.sim.at(now + this.cfg.queryTimeoutUs, this.evQueryTimeout, ev);
    if (this.active < this.cfg.connections) this.start(s, now);
    else {
      this.state[s] = WAITING;
      this.waiting++;
      this.push(s);
      if (this.waiting > this.peakWaiting) this.peakWaiting = this.waiting;
      if (this.cfg.poolTimeoutUs !== Infinity) this.sim.at(now + this.cfg.poolTimeoutUs, this.evPoolTimeout, ev);
    }
    if (this.inSystem > this.peakInSystem) this.peakInSystem = this.inSystem;
  }

  private alloc(): number {
    if (this.free.length > 0) return this.free.pop()!;
    if (this.slots === this.tag.length) {
      const n = this.slots * 2;
      this.tag = grownInto(this.tag, new Int32Array(n));
      this.kind = grownInto(this.kind, new Uint8Array(n));
      this.state = grownInto(this.state, new Uint8Array(n));
      this.gen = grownInto(this.gen, new Uint32Array(n));
      this.submitAt = grownInto(this.submitAt, new Float64Array(n));
    }
    return this.slots++;
  }

  private release(s: number): void {
    this.state[s] = 0;
    this.gen[s] = (this.gen[s] + 1) % GEN;
    this.free.push(s);
  }

  private account(now: number): void {
    this.busyUs += this.active * (now - this.lastChange);
    this.lastChange = now;
  }

  private start(s: number, now: number): void {
    this.account(now);
    this.active++;
    if (this.active > this.peakActive) this.peakActive = this.active;
    this.state[s] = RUNNING;
    this.started++;
    this.waitSumUs += now - this.submitAt[s];
    this.waitCount++;
    const hold = this.cfg.rttUs + this.cfg.service[this.kind[s]].sample(this.rng);
    this.sim.at(now + hold, this.evEnd, s + this.gen[s] * GEN);
  }

  private onEnd(arg: number): void {
    const s = arg % GEN;
    if (this.gen[s] !== Math.floor(arg / GEN)) return; // cancelled while running
    const now = this.sim.now;
    this.account(now);
    this.active--;
    const abandoned = this.state[s] === ABANDONED;
    const tag = this.tag[s], elapsed = now - this.submitAt[s];
    this.release(s);
    this.completed++;
    this.startNext(now);
    if (!abandoned) this.done(tag, DB_OK, elapsed);
  }

  private startNext(now: number): void {
    while (this.len > 0 && this.active < this.cfg.connections) {
      const s = this.ring[this.head], g = this.ringGen[this.head];
      this.head = (this.head + 1) % this.ring.length;
      this.len--;
      if (this.gen[s] !== g) continue; // left the queue (timed out)
      this.waiting--;
      this.start(s, now);
    }
  }

  private onPoolTimeout(arg: number): void {
    const s = arg % GEN;
    if (this.gen[s] !== Math.floor(arg / GEN) || this.state[s] !== WAITING) return;
    // still waiting for a connection: the client stops waiting and the query leaves the queue
    const tag = this.tag[s], elapsed = this.sim.now - this.submitAt[s];
    this.waiting--;
    this.release(s);
    this.poolTimeouts++;
    this.done(tag, DB_POOL_TIMEOUT, elapsed);
  }

  private onQueryTimeout(arg: number): void {
    const s = arg % GEN;
    if (this.gen[s] !== Math.floor(arg / GEN)) return; // finished in time
    const st = this.state[s];
    if (st === ABANDONED) return;
    const tag = this.tag[s], elapsed = this.sim.now - this.submitAt[s];
    this.queryTimeouts++;
    if (st === WAITING) {
      // never reached the database: it leaves the queue
      this.waiting--;
      this.release(s);
    } else if (this.cfg.cancelOnTimeout) {
      // statement_timeout: the database stops the query and the connection is free at once
      this.cancelled++;
      this.account(this.sim.now);
      this.active--;
      this.release(s); // the pending end event no longer matches the generation
      this.startNext(this.sim.now);
    } else {
      // the client has gone but the query runs to its end: work the database does for nobody
      this.state[s] = ABANDONED;
    }
    this.done(tag, DB_QUERY_TIMEOUT, elapsed);
  }

  private push(s: number): void {
    if (this.len === this.ring.length) {
      const n = this.ring.length * 2;
      const r = new Int32Array(n), g = new Uint32Array(n);
      for (let i = 0; i < this.len; i++) {
        const j = (this.head + i) % this.ring.length;
        r[i] = this.ring[j];
        g[i] = this.ringGen[j];
      }
      this.ring = r;
      this.ringGen = g;
      this.head = 0;
    }
    const j = (this.head + this.len) % this.ring.length;
    this.ring[j] = s;
    this.ringGen[j] = this.gen[s];
    this.len++;
  }
}

