import type { Sim } from "../core/sim.ts";
import type { RedisServer, WarmKeys } from "../redis/server.ts";
import { Request, type RequestSource } from "../workload/request.ts";
import type { Generator } from "../workload/generator.ts";
import { EV_CRASH, EV_PREWARM, EV_RESTART, EVENT_ACTIONS, type EventPlan } from "./plan.ts";
import type { AppPart } from "./app.ts";
import type { Part } from "./part.ts";
import type { PersistencePart } from "./persistence.ts";
import type { Sampler } from "./sampling.ts";
import type { KeyMap } from "../cluster/keymap.ts";

/*
 * The scenario's events (`events:`) at their times: the parts act on FLUSHALL, BGSAVE and BGREWRITEAOF
 * by themselves (Part.on); a prewarm (the hottest keys loaded) and a restart or crash (the server down,
 * then loading, then serving what persistence kept) involve several parts and are run here, through
 * their narrow hooks (Part.restarted, PersistencePart.restart), never through their internals.
 */

/** A generated workload's hottest keys, visited a step at a time (Generator.hottestSteps). */
export type Hottest = Generator["hottestSteps"];

export class Events {
  private readonly kind: number;
  private readonly prewarmKind: number;
  /** Plan events the host ran itself (a prewarm at 0 s, in steps): the sim skips them. */
  private readonly preempted = new Set<number>();
  /** For prewarm: the hottest keys of a generated workload, and the source that sizes their values. */
  private hottest: Hottest | null = null;
  private source: RequestSource | null = null;

  /**
   * `keys`: where each key lives with several servers (null: one server); `persistence[i]`: server i's persistence part
   * (or null); `commands`: which of GET, SET and DEL the workload sends (server.ts CMD_* bits).
   */
  private readonly sim: Sim;
  private readonly events: readonly EventPlan[];
  private readonly servers: readonly RedisServer[];
  private readonly keys: KeyMap | null;
  private readonly persistence: readonly (PersistencePart | null)[];
  private readonly app: AppPart | null;
  private readonly parts: readonly Part[];
  private readonly sampler: Sampler;
  private readonly commands: number;

  constructor(
    sim: Sim,
    events: readonly EventPlan[],
    servers: readonly RedisServer[],
    keys: KeyMap | null,
    persistence: readonly (PersistencePart | null)[],
    app: AppPart | null,
    parts: readonly Part[],
    sampler: Sampler,
    commands: number,
  ) {
    this.sim = sim;
    this.events = events;
    this.servers = servers;
    this.keys = keys;
    this.persistence = persistence;
    this.app = app;
    this.parts = parts;
    this.sampler = sampler;
    this.commands = commands;
    this.kind = sim.on((i) => {
      if (!this.preempted.has(i)) this.fire(events[i]);
    });
    events.forEach((e, i) => sim.at(e.atUs, this.kind, i));
    this.prewarmKind = sim.on((f) => this.prewarm(f));
  }

  /** A generated workload's source: what prewarm needs. */
  useSource(source: RequestSource, hottest: Hottest): void {
    this.source = source;
    this.hottest = hottest;
  }

  private fire(e: EventPlan): void {
    switch (e.action) {
      case EV_PREWARM:
        this.prewarm(e.keys);
        break;
      case EV_RESTART:
      case EV_CRASH:
        this.servers.forEach((server, i) => this.restart(e, server, this.persistence[i], e.action === EV_RESTART));
        break;
      default: {
        // the events one part or another acts on by itself (Part.on): FLUSHALL, BGSAVE, BGREWRITEAOF
        const action = EVENT_ACTIONS[e.action];
        for (const part of this.parts) part.on?.[action]?.(e);
      }
    }
  }

  /**
   * A restart (SHUTDOWN: with persistence the dataset is saved and loaded again, nothing is lost) or a
   * crash (what was not durable is lost; see the persistence model). The server is down for the
   * downtime, then loads (-LOADING) for the load time, then serves what it loaded. Without persistence it
   * comes back empty.
   */
  private restart(e: EventPlan, server: RedisServer, p: PersistencePart | null, graceful: boolean): void {
    const now = this.sim.now;
    let saveUs = 0, loadUs = 0;
    if (p === null) server.flushall();
    else ({ saveUs, loadUs } = p.restart(graceful, e.powerLoss));
    server.downUntil = now + saveUs + e.downtimeUs + loadUs;
    for (const part of this.parts) part.restarted?.(server, server.downUntil);
    if (e.keys > 0) this.sim.at(server.downUntil, this.prewarmKind, e.keys);
  }

  /**
   * The prewarm events at 0 s that come before any other event at 0 s: the host can run them before the
   * first request, in steps (prewarmSteps), with exactly the same effect as when they fire.
   */
  preemptPrewarms(): number[] {
    const out: number[] = [];
    this.events.forEach((e, i) => {
      if (e.atUs !== 0) return;
      if (e.action === EV_PREWARM && out.length === this.events.slice(0, i).filter((x) => x.atUs === 0).length) {
        out.push(i);
        this.preempted.add(i);
      }
    });
    return out.map((i) => this.events[i].keys);
  }

  /**
   * Loads the hottest `fraction` of each bounded class's keys now (a warm-up job, or the reload after a
   * restart), as a warm server would hold them and never past maxmemory (RedisServer.warm).
   */
  private prewarm(fraction: number): void {
    const steps = this.prewarmSteps(fraction);
    while (!steps.next().done);
  }

  /**
   * prewarm one step at a time (every 65 536 keys, and between RedisServer.warm's passes): a prewarm of
   * millions of keys takes seconds, and the host pauses between steps (runPlanYielding) so that Ctrl-C
   * is seen. The steps change nothing in what is loaded.
   */
  *prewarmSteps(fraction: number): globalThis.Generator<void, void, void> {
    const source = this.source;
    if (source === null || this.hottest === null) return;
    const keys: WarmKeys = { key: [], rate: [], vlen: [], ttlMs: [] };
    const cls: number[] = [];
    const req = new Request();
    const visit = (k: number, c: number, index: number, rate: number, phase: number) => {
      req.t = this.sim.now;
      req.key = k;
      req.cls = c;
      req.index = index;
      req.phase = phase;
      source.fill(req);
      keys.key.push(k);
      keys.rate.push(rate);
      keys.vlen.push(req.vlen);
      keys.ttlMs.push(req.ttlMs);
      cls.push(c);
    };
    yield* this.hottest(fraction, visit);
    let kept: boolean[] | null = null;
    if (this.sampler.active) kept = keys.key.map((k) => this.sampler.kept(k)); // only the sampled keys exist in this run
    yield;
    const servers = this.servers;
    for (let s = 0; s < servers.length; s++) {
      // each server loads its own keys (all of them in a standalone run)
      let w = keys, c = cls;
      const map = this.keys;
      if (kept !== null || map !== null) {
        const mine = keys.key.map((k, i) => (kept === null || kept[i]) && (map === null || map.node[k] === s));
        w = { key: [], rate: [], vlen: [], ttlMs: [] };
        for (const f of ["key", "rate", "vlen", "ttlMs"] as const) w[f] = keys[f].filter((_, i) => mine[i]);
        // the server knows its keys by their local ids
        if (map !== null) w.key = w.key.map((k) => map.local[k]);
        c = cls.filter((_, i) => mine[i]);
      }
      const server = servers[s];
      const app = this.app?.app ?? null;
      if (app !== null) yield* server.warmSteps(w, (i, ttlMs) => app.prewarmStore(w.key[i], c[i], w.vlen[i], ttlMs), this.commands);
      else yield* server.warmSteps(w, (i, ttlMs) => server.set(w.key[i], w.vlen[i], -1, ttlMs), this.commands);
    }
  }
}
