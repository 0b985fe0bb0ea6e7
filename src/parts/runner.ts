import { Streams } from "../core/random.ts";
import { Sim } from "../core/sim.ts";
import { US_PER_S } from "../core/time.ts";
import type { Summary } from "../metrics/columns.ts";
import type { CacheAside, Herd } from "../app/cache-aside.ts";
import { RedisServer } from "../redis/server.ts";
import type { RedisConfig } from "../redis/config.ts";
import type { RequestSource } from "../workload/request.ts";
import { AppPart } from "./app.ts";
import { commandBits, fixedBytes } from "./commands.ts";
import { Events, type Hottest } from "./events.ts";
import type { BoundColumn, Part } from "./part.ts";
import { PersistencePart } from "./persistence.ts";
import type { Plan } from "./plan.ts";
import { RequestPath } from "./requests.ts";
import { KeyMap } from "../cluster/keymap.ts";
import { Sampler } from "./sampling.ts";
import { PART_KINDS, type Wiring } from "./registry.ts";

/*
 * The runner: plain wiring of the run's parts (part.ts) around one kernel (core/sim.ts). It makes the
 * servers (one, or several with a routing function: the shards of a cluster), their persistence, the
 * cache-aside clients, spatial sampling, the steady-state analysis and the scenario's events; the
 * request path it extends (requests.ts) feeds each request to the server holding its key; every output
 * interval it takes a timeseries row from the parts' columns, and at the end the summary from their
 * fields. No file access and no wall clock. Adding a part: docs/architecture.md.
 */

export interface RunnerOptions {
  /** Scenario name for the summary. */
  name?: string;
  /** Receives each timeseries row, values in the order of runColumns(plan) (parts/registry.ts). */
  onRow?: (row: number[]) => void;
  /** Called every 65 536 requests with the simulated time and the run's duration (µs). */
  onProgress?: (nowUs: number, durationUs: number, requests: number) => void;
  /** With a database: receives every herd (the DB queries of one key's miss cycle) and its key's name. */
  onHerd?: (herd: Herd, key: string) => void;
}

/** Several standalone servers in one run (not a cluster: plan.cluster makes those): each one's configuration, and which of them holds a key. */
export interface Nodes {
  configs: readonly RedisConfig[];
  route: (key: number) => number;
}

export interface RunResult {
  summary: Summary;
  /** The (first) server, as it is at the end of the run. */
  server: RedisServer;
  /** Every server of the run (one in a standalone run). */
  servers: RedisServer[];
  /** With several servers: where each key lives (its master and its local id there). */
  keys: KeyMap | null;
  rows: number;
  /** With a database: one row per key class, values in CLASS_COLUMNS order. */
  classes?: (string | number)[][];
  app?: CacheAside;
}

export class Runner extends RequestPath {
  readonly streams: Streams;
  readonly events: Events;
  /** The run's parts, in the order of their columns and summary fields. */
  readonly parts: Part[];
  private readonly columns: BoundColumn[];
  private readonly appPart: AppPart | null;
  private readonly opts: RunnerOptions;
  private lastSampleUs = 0;
  rows = 0;

  /**
   * `endUs`: the time no request may reach: the run's end, or for a trace without a duration the end of
   * the most timeseries rows a run may write (run.ts passes HARD_ROWS intervals).
   */
  constructor(plan: Plan, opts: RunnerOptions, endUs: number, nodes?: Nodes) {
    const sim = new Sim();
    const streams = new Streams(plan.seed);
    const configs = nodes?.configs ?? plan.cluster?.nodes ?? [plan.redis];
    const commands = commandBits(plan);
    const sampler = new Sampler(plan.sampling, streams, configs.reduce((sum, c) => sum + fixedBytes(c, commands), 0));
    // each server draws from streams of its own (the first from the run's: a standalone run is unchanged)
    const streamsOf = (i: number) => (i === 0 ? streams : new Streams(`${plan.seed}:node${i}`));
    const servers = configs.map((c, i) => new RedisServer(sampler.scaled(c), sim, streamsOf(i)));
    // several servers: the key map routes each key to its master (by slot in a cluster, by `nodes.route` otherwise)
    const keys = plan.cluster !== undefined ? new KeyMap(servers, plan.cluster.slotOwner.slice()) : nodes && configs.length > 1 ? new KeyMap(servers, new Uint16Array(0), nodes.route) : null;
    super(sim, plan, servers, sampler, keys, endUs, opts.onProgress);
    this.streams = streams;
    this.opts = opts;
    const maxmemory = configs.reduce((sum, c) => sum + c.maxmemory, 0);
    const wiring: Wiring = {
      plan,
      sim,
      servers,
      streamsOf,
      sampler,
      traffic: this,
      id: { scenario: opts.name ?? "scenario", seed: plan.seed, maxmemoryPolicy: plan.redis.maxmemoryPolicy, maxmemory },
      refused: () => this.refused + (this.appPart?.redisErrors ?? 0),
      header: () => this.columns.map((b) => b.column),
      clientsLive: () => this.app !== null,
    };
    // the parts this plan has (parts/registry.ts), in the order of their columns and summary fields
    this.parts = PART_KINDS.filter((k) => k.present(plan)).map((k) => k.make(wiring));
    this.columns = this.parts.flatMap((p) => p.columns);
    this.appPart = this.parts.find((p) => p instanceof AppPart) ?? null;
    const persistence = servers.map((server) => this.parts.find((p): p is PersistencePart => p instanceof PersistencePart && p.server === server) ?? null);
    this.events = new Events(sim, plan.events, servers, keys, persistence, this.appPart, this.parts, sampler, commands);
    const sampleKind = sim.on(() => {
      this.sample();
      if (sim.now + plan.intervalUs <= plan.durationUs) sim.after(plan.intervalUs, sampleKind);
    });
    if (plan.intervalUs <= plan.durationUs) sim.at(plan.intervalUs, sampleKind);
  }

  /** A generated workload's source: what prewarm needs, and the cache-aside clients of a scenario with a database. */
  useSource(source: RequestSource, hottest: Hottest, keyName: (cls: number, index: number) => string): void {
    this.events.useSource(source, hottest);
    if (this.appPart === null) return;
    if (this.servers.length > 1) throw new Error("cache-aside clients in front of several servers are not modelled yet");
    const onHerd = this.opts.onHerd;
    this.app = this.appPart.attach(this.sim, this.streams, this.server, source, () => this.oom(), onHerd && ((h) => onHerd(h, keyName(h.cls, h.index))));
  }

  private sample(): void {
    const t = this.sim.now;
    for (const p of this.parts) p.sampling?.(t);
    const cols = this.columns;
    const row = new Array<number>(cols.length);
    for (let i = 0; i < cols.length; i++) row[i] = cols[i].value();
    for (const p of this.parts) p.sampled?.(t, row);
    this.lastSampleUs = t;
    this.rows++;
    this.opts.onRow?.(row);
  }

  /** Runs to the end of the run (a trace without a duration ends at its last request) and summarises. */
  finish(): RunResult {
    const { plan, sim } = this;
    const endUs = plan.durationUs === Infinity ? this.lastT : plan.durationUs;
    sim.advanceTo(endUs);
    if (this.lastSampleUs < endUs || this.rows === 0) this.sample();
    const summary = {} as Summary;
    for (const p of this.parts) Object.assign(summary, p.summary?.(endUs));
    const result: RunResult = { summary, server: this.server, servers: this.servers, keys: this.keys, rows: this.rows };
    if (this.app !== null) {
      result.classes = this.appPart!.classes();
      result.app = this.app;
    }
    return result;
  }
}
