import type { Column } from "../metrics/columns.ts";
import { SeriesBuffer, steadyColumns, steadyState } from "../metrics/steady.ts";
import type { Part } from "./part.ts";

/*
 * The steady-state analysis (metrics/steady.ts) as a part: it adds no column, keeps the values it needs
 * of every row (found by column name) and gives the steady_* summary fields: the warm-up found by MSER-5
 * (or output.warmup) and the figures after it with their confidence intervals.
 */
export class SteadyPart implements Part {
  readonly columns = [];
  private readonly series: SeriesBuffer;
  private at: Record<"t" | "hits" | "misses" | "evicted" | "expired" | "oom" | "used" | "p50" | "p99" | "completed", number> | null = null;
  private readonly header: () => readonly Column[];

  /**
   * `header()`: the run's timeseries columns; `latency`: whether the run has the database model's latency
   * columns, and `latencyLive()` whether they hold values (a trace run with a database has none).
   */
  private readonly latencyLive: () => boolean;
  private readonly warmupS: number | undefined;

  constructor(header: () => readonly Column[], latency: boolean, latencyLive: () => boolean, warmupS: number | undefined) {
    this.header = header;
    this.latencyLive = latencyLive;
    this.warmupS = warmupS;
    this.series = new SeriesBuffer(latency);
  }

  /** Where each value is in a row (found by name once the run's parts are all made). */
  private positions(): NonNullable<SteadyPart["at"]> {
    const names = this.header().map((c) => c.name);
    const at = (n: string) => names.indexOf(n);
    return {
      t: at("time_s"), hits: at("keyspace_hits"), misses: at("keyspace_misses"), evicted: at("evicted_keys"), expired: at("expired_keys"),
      oom: at("oom_rejected_writes"), used: at("used_memory"), p50: at("latency_p50_ms"), p99: at("latency_p99_ms"), completed: at("app_completed"),
    };
  }

  sampled(_t: number, row: readonly number[]): void {
    const c = (this.at ??= this.positions());
    if (this.latencyLive()) this.series.push(row[c.t], row[c.hits], row[c.misses], row[c.evicted], row[c.expired], row[c.oom], row[c.used], row[c.p50], row[c.p99], row[c.completed]);
    else this.series.push(row[c.t], row[c.hits], row[c.misses], row[c.evicted], row[c.expired], row[c.oom], row[c.used]);
  }

  summary(): Record<string, string | number> {
    return steadyColumns(steadyState(this.series.series(), this.warmupS));
  }
}
