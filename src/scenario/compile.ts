import { MITIGATION_DEFAULTS, MITIGATIONS, type AppPlan, type MitigationPlan } from "../app/config.ts";
import { empiricalDist, empiricalService, exponentialService, fixedDist, fixedService, lognormalDist, lognormalService, uniformIntDist, type QuantileDist, type ServiceDist } from "../core/distributions.ts";
import { EVENT_ACTIONS, EVENT_DEFAULTS, RESHARD_RATE_DEFAULT, type Plan } from "../parts/plan.ts";
import { NO_HASH_TAG, TAG_FIXED, TAG_GROUP, type ClusterPlan, type HashTag } from "../cluster/config.ts";
import { CLUSTER_SLOTS, evenSlots } from "../cluster/slots.ts";
import { DEFAULT_REDIS_CONFIG, type RedisConfig } from "../redis/config.ts";
import type { PolicyName } from "../redis/policies.ts";
import { FSYNC_CODE, type PersistencePlan } from "../redis/persistence/config.ts";
import { MODE_CACHE_ASIDE, MODE_EXPLICIT, NEW_KEYS_DEFAULT, POP_HOTSET, POP_ZIPF, POPULARITY_DEFAULTS, type ClassPhase, type ClassPlan, type PhasePlan, type Popularity } from "../workload/config.ts";
import { NO_TTL, ttlJitter, ttlUniform, type TtlDist } from "../workload/distributions.ts";
import { parseDuration, parseFraction, parseMemory } from "../units.ts";
import { APP_DEFAULTS, DISK_PRESETS, DISK_WRITE_SPEED_DEFAULT, FORK_PRESETS, HOST_DEFAULTS, PERSISTENCE_DEFAULTS, type KeyClassSpec, type MitigationParams, type MitigationSpec, type PopularitySpec, type Scenario, type SizeSpec, type TimeSpec, type TtlSpec, parseSlotRanges } from "./schema.ts";


/* Validated scenario (values as written) → the numbers the model runs on. Cannot fail: parse.ts checked. */

const bytes = (v: unknown) => parseMemory(v)!;
const micros = (v: unknown) => parseDuration(v)!;
const frac = (v: unknown) => parseFraction(v)!;

export function compileRedis(sc: Scenario): RedisConfig {
  return redisConfigOf(sc.redis, sc.cluster !== undefined);
}

/** A `redis:` section (or a cluster node's override merged over it) as the model's settings. */
function redisConfigOf(r: Scenario["redis"], cluster: boolean): RedisConfig {
  const limit = r["client-output-buffer-limit"].replica.trim().split(/\s+/);
  return {
    maxmemory: bytes(r.maxmemory),
    maxmemoryPolicy: r["maxmemory-policy"] as PolicyName,
    maxmemorySamples: r["maxmemory-samples"],
    maxmemoryEvictionTenacity: r["maxmemory-eviction-tenacity"],
    hz: r.hz,
    lfuLogFactor: r["lfu-log-factor"],
    lfuDecayTime: r["lfu-decay-time"],
    activeExpireEffort: r["active-expire-effort"],
    activeExpire: true,
    databases: r.databases,
    allocator: r.allocator,
    clients: r.clients,
    memoryAccounting: r["memory-accounting"],
    clusterEnabled: cluster,
    replication: {
      replBacklogSize: bytes(r["repl-backlog-size"]),
      replicaBufferLimit: { hard: bytes(limit[0]), soft: bytes(limit[1]), softSeconds: Number(limit[2]) },
      minReplicasToWrite: r["min-replicas-to-write"],
      minReplicasMaxLag: r["min-replicas-max-lag"],
      clusterNodeTimeoutMs: r["cluster-node-timeout"],
      replDisklessSync: yes(r["repl-diskless-sync"]),
      replDisklessSyncDelay: r["repl-diskless-sync-delay"],
    },
  };
}

/** The cluster section: the slot map, each master's settings (the redis section, its override on top). */
function compileCluster(sc: Scenario): ClusterPlan | undefined {
  const c = sc.cluster;
  if (!c) return undefined;
  let slotOwner: Uint16Array;
  if (c.slots === "even") slotOwner = evenSlots(c.masters);
  else {
    slotOwner = new Uint16Array(CLUSTER_SLOTS);
    for (const a of c.slots) for (const slot of parseSlotRanges(a.ranges)!) slotOwner[slot] = a.node;
  }
  // a cluster node has DB 0 only (Redis Cluster refuses SELECT): one database in the model
  const base = { ...sc.redis, databases: 1 };
  const nodes: RedisConfig[] = [];
  for (let i = 0; i < c.masters; i++) {
    const o = (c.nodes ?? []).find((x) => x.node === i);
    const merged = { ...base } as Record<string, unknown>;
    if (o) for (const [k, v] of Object.entries(o)) if (k !== "node" && v !== undefined) merged[k] = v;
    nodes.push(redisConfigOf(merged as Scenario["redis"], true));
  }
  return {
    masters: c.masters,
    replicasPerMaster: c["replicas-per-master"],
    slotOwner,
    nodes,
    addedNode: redisConfigOf(base, true),
    replicationLag: compileService(c["replication-lag"]),
    nodeMaxOps: c["node-max-ops"],
  };
}

/** A class's hash tag (cluster/config.ts). */
function compileHashTag(v: KeyClassSpec["hash-tag"]): HashTag {
  if (v === undefined || v === "none") return NO_HASH_TAG;
  if (typeof v === "string") return { kind: TAG_FIXED, keysPerTag: 1, tag: v };
  return { kind: TAG_GROUP, keysPerTag: v["keys-per-tag"], tag: "" };
}

export function compileSize(v: SizeSpec): QuantileDist {
  if (typeof v === "number" || typeof v === "string") return fixedDist(bytes(v));
  switch (v.dist) {
    case "uniform":
      return uniformIntDist(bytes(v.min), bytes(v.max));
    case "lognormal":
      return lognormalDist(bytes(v.median), bytes(v.p99));
    case "empirical":
      return empiricalDist(v.values.map(bytes), v.weights);
    default:
      return fixedDist(bytes(v.size));
  }
}

export function compileTtl(v: TtlSpec | undefined): TtlDist {
  if (v === "none" || v === 0 || v === null || v === undefined) return NO_TTL;
  if (typeof v === "number" || typeof v === "string") {
    const ms = Math.round(micros(v) / 1000);
    return ms > 0 ? ttlJitter(ms, 0) : NO_TTL;
  }
  if (v.dist === "uniform") return ttlUniform(Math.round(micros(v.min) / 1000), Math.round(micros(v.max) / 1000));
  return ttlJitter(Math.round(micros(v.ttl) / 1000), v.jitter === undefined ? 0 : frac(v.jitter));
}

export function compilePopularity(v: PopularitySpec): Popularity {
  const base = { ...POPULARITY_DEFAULTS };
  if (v === "uniform") return base;
  if (v === "zipf") return { ...base, kind: POP_ZIPF };
  const offset = v.offset === undefined ? 0 : frac(v.offset);
  if (v.dist === "zipf") return { ...base, kind: POP_ZIPF, alpha: v.alpha ?? POPULARITY_DEFAULTS.alpha, offset };
  if (v.dist === "hot-set") return { ...base, kind: POP_HOTSET, hotKeys: frac(v.keys), hotShare: frac(v.share), offset };
  return { ...base, offset };
}

const yes = (v: unknown) => v === true || v === "yes";

function compilePersistence(sc: Scenario): PersistencePlan | undefined {
  const r = sc.redis;
  const usesEvents = (sc.events ?? []).some((e) => e.action === "bgsave" || e.action === "bgrewriteaof");
  const parts = r.save.trim() === "" ? [] : r.save.trim().split(/\s+/).map(Number);
  const savePoints: { seconds: number; changes: number }[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) savePoints.push({ seconds: parts[i], changes: parts[i + 1] });
  if (savePoints.length === 0 && !yes(r.appendonly) && !usesEvents && !sc.persistence && !sc.host) return undefined;
  const p = sc.persistence ?? PERSISTENCE_DEFAULTS;
  const d = p.disk;
  const fsync = typeof d === "string" ? compileService({ dist: "lognormal", p50: DISK_PRESETS[d].p50, p99: DISK_PRESETS[d].p99 }) : compileService(d.fsync);
  const write = typeof d === "string" ? bytes(DISK_PRESETS[d].write) : d["write-speed"] !== undefined ? bytes(d["write-speed"]) : DISK_WRITE_SPEED_DEFAULT;
  const forkMs = typeof p.fork === "number" ? p.fork : FORK_PRESETS[p.fork];
  return {
    savePoints,
    stopWritesOnBgsaveError: yes(r["stop-writes-on-bgsave-error"]),
    appendonly: yes(r.appendonly),
    appendfsync: FSYNC_CODE[r.appendfsync],
    noAppendfsyncOnRewrite: yes(r["no-appendfsync-on-rewrite"]),
    autoAofRewritePercentage: r["auto-aof-rewrite-percentage"],
    autoAofRewriteMinSize: bytes(r["auto-aof-rewrite-min-size"]),
    // latency.md quotes ms per GB of RSS; we apply it per GiB of used_memory
    forkUsPerGb: forkMs * 1000,
    pageSize: yes(p["transparent-huge-pages"]) ? 2 * 1024 * 1024 : 4096,
    saveBytesPerSec: bytes(p["save-speed"]),
    fsync,
    diskWriteBytesPerSec: write,
    hostMemory: bytes((sc.host ?? HOST_DEFAULTS).memory),
    fragmentationRatio: (sc.host ?? HOST_DEFAULTS)["fragmentation-ratio"],
    commandUs: micros((sc.app ?? APP_DEFAULTS)["redis-command-time"]),
  };
}

/** A query-time setting as a service-time distribution in µs. */
export function compileService(v: TimeSpec): ServiceDist {
  if (typeof v === "number" || typeof v === "string") return fixedService(micros(v));
  switch (v.dist) {
    case "lognormal":
      return lognormalService(micros(v.p50), micros(v.p99));
    case "exponential":
      return exponentialService(micros(v.mean));
    case "empirical":
      return empiricalService(v.values.map(micros), v.weights);
    default:
      return fixedService(micros(v.time));
  }
}

/** The 99th percentile of a query-time setting (µs): the lock's default PX is a multiple of it (MITIGATION_DEFAULTS). */
function serviceP99(v: TimeSpec): number {
  if (typeof v === "number" || typeof v === "string") return micros(v);
  switch (v.dist) {
    case "lognormal":
      return micros(v.p99);
    case "exponential":
      return micros(v.mean) * Math.log(100);
    case "empirical":
      return Math.max(...v.values.map(micros));
    default:
      return micros(v.time);
  }
}

function compileMitigation(v: MitigationSpec | undefined, queryTime: TimeSpec): MitigationPlan {
  // every parameter, undefined where the kind does not take it or the scenario leaves it out
  const o: MitigationParams = typeof v === "string" ? { kind: v } : (v ?? { kind: "none" });
  const d = MITIGATION_DEFAULTS;
  const lockTtl = o["lock-ttl"] !== undefined ? micros(o["lock-ttl"]) : Math.max(d.lockTtlMinUs, d.lockTtlP99Factor * serviceP99(queryTime));
  return {
    kind: MITIGATIONS.indexOf(o.kind),
    lockTtlUs: lockTtl,
    pollUs: o.poll !== undefined ? micros(o.poll) : d.pollUs,
    holderFailure: o["holder-failure"] !== undefined ? frac(o["holder-failure"]) : d.holderFailure,
    beta: o.beta ?? d.beta,
    jitter: o.jitter !== undefined ? frac(o.jitter) : d.jitter,
    staleUs: o.stale !== undefined ? micros(o.stale) : d.staleUs,
    refreshLock: (o.refresh ?? d.refresh) === "lock",
  };
}

function compileApp(sc: Scenario): AppPlan | undefined {
  const db = sc.database;
  if (!db) return undefined;
  const app = sc.app ?? APP_DEFAULTS;
  const service = [compileService(db["query-time"])];
  const classes = sc.workload.classes ?? [];
  const queryKind = classes.map((c) => {
    if (c["query-time"] === undefined) return 0;
    service.push(compileService(c["query-time"]));
    return service.length - 1;
  });
  const retry = app.retry;
  return {
    instances: app.instances,
    redisRttUs: micros(app["redis-rtt"]),
    redisCommandUs: micros(app["redis-command-time"]),
    retry: { max: retry.max, baseUs: micros(retry.base), capUs: micros(retry.cap), full: retry.jitter === "full" },
    connections: Math.min(app.instances * db.pool, db["max-connections"]),
    dbRttUs: micros(db.rtt),
    service,
    queryKind,
    mitigation: classes.map((c) => compileMitigation(c.mitigation, c["query-time"] ?? db["query-time"])),
    poolTimeoutUs: db["pool-timeout"] === "none" ? Infinity : micros(db["pool-timeout"]),
    queryTimeoutUs: db["query-timeout"] === "none" ? Infinity : micros(db["query-timeout"]),
    cancelOnTimeout: db["cancel-on-timeout"],
  };
}

function opsCum(ops: { get?: unknown; set?: unknown; del?: unknown }): [number, number] {
  const g = ops.get === undefined ? 0 : frac(ops.get);
  const s = ops.set === undefined ? 0 : frac(ops.set);
  const d = ops.del === undefined ? 0 : frac(ops.del);
  const t = g + s + d || 1;
  return [g / t, (g + s) / t];
}

function classPlan(c: KeyClassSpec, sc: Scenario): ClassPlan {
  const w = sc.workload;
  const mode = (c.mode ?? w.mode) === "explicit" ? MODE_EXPLICIT : MODE_CACHE_ASIDE;
  const base: ClassPhase = {
    share: c.share,
    size: compileSize(c["value-size"]),
    ttl: compileTtl(c.ttl),
    popularity: compilePopularity(c.popularity),
    newKeys: c["new-keys"] === undefined ? NEW_KEYS_DEFAULT : frac(c["new-keys"]),
  };
  const phases = (w.phases ?? [{ classes: undefined }]).map((p) => {
    const o = p.classes?.[c.name];
    if (!o) return base;
    return {
      share: o.share ?? base.share,
      size: o["value-size"] !== undefined ? compileSize(o["value-size"]) : base.size,
      ttl: o.ttl !== undefined ? compileTtl(o.ttl) : base.ttl,
      popularity: o.popularity !== undefined ? compilePopularity(o.popularity) : base.popularity,
      newKeys: o["new-keys"] !== undefined ? frac(o["new-keys"]) : base.newKeys,
    };
  });
  return {
    name: c.name,
    prefix: c["key-prefix"] ?? c.name,
    db: c.db,
    keys: c.keys === "unbounded" ? -1 : c.keys,
    mode,
    opsCum: opsCum(c.ops ?? w.ops),
    phases,
    hashTag: compileHashTag(c["hash-tag"]),
  };
}

export function compile(sc: Scenario): Plan {
  const w = sc.workload;
  const declared = sc.duration !== undefined ? micros(sc.duration) : undefined;
  const phases: PhasePlan[] = [];
  if (w.phases) {
    let t = 0;
    w.phases.forEach((p, i) => {
      const d = micros(p.duration);
      phases.push({ name: p.name ?? `phase ${i + 1}`, startUs: t, endUs: t + d, rate: p.rate ?? w.rate! });
      t += d;
    });
    // the last phase lasts until the end of the run
    if (declared !== undefined) phases[phases.length - 1].endUs = Math.max(phases[phases.length - 1].endUs, declared);
  } else {
    phases.push({ name: "main", startUs: 0, endUs: declared ?? Infinity, rate: w.rate ?? 0 });
  }
  const durationUs = declared ?? (w.trace ? Infinity : phases[phases.length - 1].endUs);
  return {
    seed: sc.seed,
    sampling: frac(w.sampling),
    durationUs,
    intervalUs: micros(sc.output.interval),
    warmupUs: warmupOf(sc.output),
    redis: compileRedis(sc),
    workload: {
      kind: w.trace ? "trace" : "generated",
      arrivals: w.arrivals,
      classes: (w.classes ?? []).map((c) => classPlan(c, sc)),
      phases,
      trace: w.trace,
    },
    app: compileApp(sc),
    events: (sc.events ?? [])
      .map((e) => ({
        atUs: micros(e.at),
        action: EVENT_ACTIONS.indexOf(e.action),
        downtimeUs: e.downtime !== undefined ? micros(e.downtime) : e.action === "restart" || e.action === "crash" ? EVENT_DEFAULTS.downtimeUs : 0,
        keys: e.keys !== undefined ? frac(e.keys) : 0,
        powerLoss: (e.kind ?? EVENT_DEFAULTS.kind) === "power-loss",
        node: e.node ?? -1,
        to: e.to ?? -1,
        slots: typeof e.slots === "number" || e.slots === undefined ? null : parseSlotRanges(e.slots),
        slotCount: typeof e.slots === "number" ? e.slots : 0,
        rate: e.rate ?? RESHARD_RATE_DEFAULT,
        rebalance: e.rebalance === undefined ? true : yes(e.rebalance),
      }))
      .sort((a, b) => a.atUs - b.atUs),
    persistence: compilePersistence(sc),
    cluster: compileCluster(sc),
  };
}

/** output.warmup: `auto` (or absent) leaves the warm-up to MSER-5; a duration fixes it. */
function warmupOf(output: { warmup?: string | number }): number | undefined {
  const w = output.warmup;
  return w === undefined || w === "auto" ? undefined : micros(w as never);
}
