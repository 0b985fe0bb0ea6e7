import type { Sim } from "../core/sim.ts";
import { US_PER_S } from "../core/time.ts";
import type { CacheAside } from "../app/cache-aside.ts";
import { MAX_VALUE_BYTES } from "../redis/config.ts";
import { WRITE_OOM, type RedisServer } from "../redis/server.ts";
import { OP_CACHE_GET, OP_DEL, OP_GET, type KeyRegistry, type Request, type RequestSource } from "../workload/request.ts";
import type { TraceBatch } from "../workload/trace.ts";
import { InputError } from "../errors.ts";
import type { Plan } from "./plan.ts";
import type { Sampler } from "./sampling.ts";
import type { KeyMap } from "../cluster/keymap.ts";

/*
 * The request path of a run, the hot loop: each request (one at a time from a generated workload, a
 * batch at a time from a trace) moves simulated time to its arrival (firing the events due), passes
 * spatial sampling, and goes to the server that holds its key as GET, SET or DEL, or to the cache-aside
 * clients. The Runner (runner.ts) extends it with the wiring of the parts.
 */
export abstract class RequestPath {
  readonly sim: Sim;
  readonly plan: Plan;
  readonly servers: RedisServer[];
  /** The first server: the only one of a standalone run. */
  readonly server: RedisServer;
  protected readonly sampler: Sampler;
  /** Where each key lives with several servers (its master and its id there); null: one server. */
  readonly keys: KeyMap | null;
  /** The first time a request may not have: the run's end, or the row bound of a trace without one. */
  private readonly endUs: number;
  private readonly onProgress: ((nowUs: number, durationUs: number, requests: number) => void) | undefined;
  /** The cache-aside clients, once a generated workload's source made them. */
  protected app: CacheAside | null = null;
  requests = 0;
  firstOomUs = -1;
  /** Requests refused while a server was down or loading (restart, crash), without a database model. */
  refused = 0;
  protected lastT = 0;
  /**
   * Where request sources declare key ids: the server itself in a standalone run; with several servers
   * the key map (cluster/keymap.ts), which declares each key on its master under a local id.
   */
  readonly registry: KeyRegistry;

  constructor(
    sim: Sim,
    plan: Plan,
    servers: RedisServer[],
    sampler: Sampler,
    keys: KeyMap | null,
    endUs: number,
    onProgress?: (nowUs: number, durationUs: number, requests: number) => void,
  ) {
    this.sim = sim;
    this.plan = plan;
    this.servers = servers;
    this.server = servers[0];
    this.sampler = sampler;
    this.keys = keys;
    this.endUs = endUs;
    this.onProgress = onProgress;
    this.registry = keys ?? this.server;
  }

  /** Moves simulated time to `t` (firing due events); false if `t` is past the end of the run. */
  private advance(t: number): boolean {
    if (t >= this.endUs) {
      // the run's end, or (a trace without a duration) past what its rows can hold
      if (t >= this.plan.durationUs) return false;
      this.tooLong(t);
    }
    if (t < this.lastT) throw new Error(`requests out of time order at ${t} µs`);
    this.lastT = t;
    for (const server of this.servers) server.nextRequestUs = t;
    const sim = this.sim;
    if (sim.nextEventTime() <= t) sim.advanceTo(t);
    else sim.now = t;
    return true;
  }

  /**
   * A trace without a duration runs to its last request; one that reaches further than the timeseries
   * can hold (a corrupt timestamp, or seconds read as milliseconds) is refused.
   */
  private tooLong(t: number): never {
    const years = t / US_PER_S / 31_557_600;
    const span = years >= 2 ? `${+years.toPrecision(3)} years` : `${+(t / US_PER_S).toPrecision(3)} s`;
    const rows = Math.round(this.endUs / this.plan.intervalUs);
    throw new InputError(
      `the trace reaches ${span} after its first request: at output.interval ${this.plan.intervalUs / US_PER_S}s that is over ${rows.toExponential(0)} timeseries rows; ` +
        `set duration (to stop earlier) or a longer output.interval, or check the trace's timestamps`,
    );
  }

  protected oom(): void {
    if (this.firstOomUs < 0) this.firstOomUs = this.sim.now;
  }

  private counted(result: number): void {
    if (result === WRITE_OOM) this.oom();
    if ((++this.requests & 0xffff) === 0) this.onProgress?.(this.sim.now, this.plan.durationUs, this.requests);
  }

  /**
   * One command on `server` (the op switch of feed and feedBatch); returns SET's result. A cache-aside
   * GET that misses fills the value (`source.fill(req)`, generated workloads) or takes the trace's.
   */
  private command(server: RedisServer, op: number, key: number, vlen: number, ttlMs: number, req: Request | null, source: RequestSource | null): number {
    switch (op) {
      case OP_CACHE_GET:
        if (server.get(key)) return 0;
        if (req !== null) {
          source!.fill(req);
          return server.set(key, req.vlen, -1, req.ttlMs);
        }
        return server.set(key, vlen, -1, ttlMs);
      case OP_GET:
        server.get(key);
        return 0;
      case OP_DEL:
        server.del(key);
        return 0;
      default:
        return server.set(key, vlen, -1, ttlMs);
    }
  }

  /** Applies one request from a RequestSource (which fills the value of a cache-aside miss); false at the run's end. */
  feed(req: Request, source: RequestSource): boolean {
    if (this.sampler.active) {
      if (req.t >= this.plan.durationUs) return false;
      if (!this.sampler.offer(req.op, req.key)) return true;
    }
    if (!this.advance(req.t)) return false;
    let server = this.server, key = req.key;
    const keys = this.keys;
    if (keys !== null) {
      server = this.servers[keys.node[key]];
      key = keys.local[key];
    }
    const app = this.app;
    if (app === null && server.downUntil >= 0 && server.down) {
      this.refused++; // down or loading: the command fails (connection refused / -LOADING)
      this.counted(0);
    } else if (app !== null && req.op === OP_CACHE_GET) {
      app.request(req); // the clients see a down server themselves (CacheAside.redisErrors)
      this.counted(0);
    } else this.counted(this.command(server, req.op, key, req.vlen, req.ttlMs, req, source));
    return true;
  }

  /** Applies a batch of trace requests; false once the run's end is reached. */
  feedBatch(b: TraceBatch): boolean {
    const { t, op, key, vlen, ttlMs, nextAccess } = b;
    const opt = this.server.opt !== null;
    if (opt && b.n > 0 && Number.isNaN(nextAccess[0]))
      throw new InputError("maxmemory-policy opt needs each request's next access: use an oracleGeneral trace (libCacheSim) or a generated workload");
    const sampler = this.sampler;
    for (let i = 0; i < b.n; i++) {
      if (sampler.active) {
        if (t[i] >= this.plan.durationUs) return false;
        if (!sampler.offer(op[i], key[i])) continue;
      }
      if (!this.advance(t[i])) return false;
      let server = this.server, k = key[i];
      const keys = this.keys;
      if (keys !== null) {
        server = this.servers[keys.node[k]];
        k = keys.local[k];
      }
      if (opt) server.nextAccess = nextAccess[i]; // a request index across the whole trace, −1 = never
      if (server.downUntil >= 0 && server.down) {
        this.refused++;
        this.counted(0);
        continue;
      }
      if (vlen[i] > MAX_VALUE_BYTES) throw new InputError(`a trace value of ${vlen[i]} bytes is larger than Redis's proto-max-bulk-len (512mb)`);
      this.counted(this.command(server, op[i], k, vlen[i], ttlMs[i], null, null));
    }
    return true;
  }
}
