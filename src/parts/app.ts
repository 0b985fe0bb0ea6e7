import { US_PER_S } from "../core/time.ts";
import type { Streams } from "../core/random.ts";
import type { Sim } from "../core/sim.ts";
import { APP_SUMMARY_COLUMNS, APP_TIMESERIES_COLUMNS, CLASS_COLUMNS } from "../metrics/columns.ts";
import { CacheAside, type Herd } from "../app/cache-aside.ts";
import { MITIGATIONS } from "../app/config.ts";
import type { RedisServer } from "../redis/server.ts";
import type { RequestSource } from "../workload/request.ts";
import { bindColumns, maxMs, ms3, pctMs, round6, type BoundColumn, type Part, type SummaryFields } from "./part.ts";
import type { Plan } from "./plan.ts";

/*
 * The cache-aside clients and their database (a scenario's `database` section): the app_* and db_*
 * columns, the latency and herd summary, and classes.csv. The clients exist once the run has a request
 * source that fills values (a generated workload: `attach`); a trace run with a database section has
 * the columns, empty.
 */


export class AppPart implements Part {
  readonly columns: readonly BoundColumn[];
  app: CacheAside | null = null;
  private t = 0;
  private dt = 0;
  private busy = 0;
  private last = { t: 0, completed: 0, dbStarted: 0, dbBusy: 0 };
  private peaks = { inFlight: 0, active: 0, queue: 0 };

  private readonly plan: Plan;

  constructor(plan: Plan) {
    this.plan = plan;
    const app = () => this.app!;
    const db = () => this.app!.db;
    const live = (f: () => number) => () => (this.app === null ? NaN : f());
    const perSec = (x: number) => (this.dt > 0 ? round6(x / this.dt) : 0);
    this.columns = bindColumns(APP_TIMESERIES_COLUMNS, {
      app_completed: live(() => app().completed - this.last.completed),
      latency_p50_ms: live(() => pctMs(app().intervalLatency, 50, NaN)),
      latency_p99_ms: live(() => pctMs(app().intervalLatency, 99, NaN)),
      latency_p999_ms: live(() => pctMs(app().intervalLatency, 99.9, NaN)),
      latency_max_ms: live(() => maxMs(app().intervalLatency, NaN)),
      db_queries: live(() => db().started - this.last.dbStarted),
      db_queries_per_sec: live(() => perSec(db().started - this.last.dbStarted)),
      db_in_flight_peak: live(() => db().peakInSystem),
      db_active_peak: live(() => db().peakActive),
      db_queue_peak: live(() => db().peakWaiting),
      db_utilisation: live(() => (this.dt > 0 ? round6((this.busy - this.last.dbBusy) / (db().cfg.connections * (this.t - this.last.t))) : 0)),
      db_timeouts: live(() => db().poolTimeouts + db().queryTimeouts),
      app_retries: live(() => app().retries),
      app_errors: live(() => app().errors),
      herd_max: live(() => app().intervalHerdMax),
      stale_served: live(() => app().staleServed),
      redis_errors: live(() => app().redisErrors),
    });
  }

  /** Makes the clients, reading through `server` and filling from `source`; `onOom` is told of each -OOM fill. */
  attach(sim: Sim, streams: Streams, server: RedisServer, source: RequestSource, onOom: () => void, onHerd?: (herd: Herd) => void): CacheAside {
    const app = new CacheAside(this.plan, sim, streams, server, source, onOom);
    if (onHerd) app.onHerd = onHerd;
    this.app = app;
    return app;
  }

  /** Redis calls the clients saw refused while the server was down (restart, crash). */
  get redisErrors(): number {
    return this.app?.redisErrors ?? 0;
  }

  sampling(t: number): void {
    this.dt = (t - this.last.t) / US_PER_S;
    this.t = t;
    if (this.app !== null) this.busy = this.app.db.busy(t);
  }

  sampled(t: number): void {
    const app = this.app;
    if (app === null) {
      this.last = { t, completed: 0, dbStarted: 0, dbBusy: 0 };
      return;
    }
    const db = app.db;
    this.peaks.inFlight = Math.max(this.peaks.inFlight, db.peakInSystem);
    this.peaks.active = Math.max(this.peaks.active, db.peakActive);
    this.peaks.queue = Math.max(this.peaks.queue, db.peakWaiting);
    db.resetPeaks();
    app.intervalLatency.reset();
    app.intervalHerdMax = 0;
    this.last = { t, completed: app.completed, dbStarted: db.started, dbBusy: this.busy };
  }

  /** After a FLUSHALL (the servers' part flushes first) or a restart the clients no longer know which keys are missing. */
  readonly on = {
    flushall: () => this.app?.forgetMissing(),
  };

  restarted(): void {
    this.app?.forgetMissing();
  }

  summary(endUs: number): Partial<SummaryFields<typeof APP_SUMMARY_COLUMNS>> {
    const app = this.app;
    if (app === null) return {};
    const db = app.db, h = app.latency;
    return {
      app_requests: app.requests,
      app_errors: app.errors,
      app_retries: app.retries,
      latency_p50_ms: pctMs(h, 50, ""),
      latency_p99_ms: pctMs(h, 99, ""),
      latency_p999_ms: pctMs(h, 99.9, ""),
      latency_max_ms: maxMs(h, ""),
      db_queries: db.started,
      db_in_flight_peak: this.peaks.inFlight,
      db_active_peak: this.peaks.active,
      db_queue_peak: this.peaks.queue,
      db_connections: db.cfg.connections,
      db_utilisation: endUs > 0 ? round6(db.busy(endUs) / (db.cfg.connections * endUs)) : 0,
      db_mean_wait_ms: db.waitCount > 0 ? ms3(db.waitSumUs / db.waitCount) : "",
      db_timeouts: db.poolTimeouts + db.queryTimeouts,
      herds: app.herds,
      herd_mean: app.herds > 0 ? round6(app.herdQueries / app.herds) : "",
      herd_max: Math.max(0, ...app.classes.map((c) => c.herdMax)),
      stale_served: app.staleServed,
      redis_errors: app.redisErrors,
    };
  }

  /** classes.csv: one row per key class, values in CLASS_COLUMNS order (named below). */
  classes(): (string | number)[][] | undefined {
    const app = this.app;
    if (app === null) return undefined;
    return this.plan.workload.classes.map((c, i) => {
      const s = app.classes[i];
      const row: SummaryFields<typeof CLASS_COLUMNS> = {
        class: c.name,
        mitigation: MITIGATIONS[app.app.mitigation[i].kind],
        requests: s.requests,
        hits: s.hits,
        misses: s.misses,
        hit_ratio: s.hits + s.misses > 0 ? round6(s.hits / (s.hits + s.misses)) : "",
        stale_served: s.staleServed,
        lock_waits: s.lockWaits,
        db_queries: s.dbQueries,
        peak_concurrent_queries: s.peakInFlight,
        herds: s.herds,
        herd_mean: s.herds > 0 ? round6(s.herdQueries / s.herds) : "",
        herd_max: s.herdMax,
        errors: s.errors,
        lock_holder_deaths: s.lockHolderDeaths,
        latency_p50_ms: pctMs(s.latency, 50, ""),
        latency_p99_ms: pctMs(s.latency, 99, ""),
        latency_p999_ms: pctMs(s.latency, 99.9, ""),
      };
      return CLASS_COLUMNS.map((col) => row[col.name]);
    });
  }
}
