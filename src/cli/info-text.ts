import type { Summary } from "../metrics/columns.ts";
import { fmtDuration } from "../charts/format.ts";
import { bytesToHuman } from "../units.ts";

export interface RunOutcome {
  dir: string;
  summary: Summary;
  wallSeconds: number;
  /** The run's findings in words (report/findings.ts), printed under "# Findings". */
  findings?: string[];
}

/** A short INFO-style summary, as `redis-cli INFO` would print the same fields. */
export function infoText(o: RunOutcome): string {
  const s = o.summary;
  const n = (k: keyof Summary) => Number(s[k]);
  const lines = [
    `# evictsim: ${s.scenario} (seed ${s.seed}, ${fmtDuration(Number(s.duration_s))} simulated in ${fmtDuration(o.wallSeconds)})`,
    "# Memory",
    `used_memory:${s.used_memory}`,
    `used_memory_human:${bytesToHuman(n("used_memory"))}`,
    `used_memory_peak:${s.used_memory_peak}`,
    `used_memory_peak_human:${bytesToHuman(n("used_memory_peak"))}`,
    `maxmemory:${s.maxmemory}`,
    `maxmemory_human:${bytesToHuman(n("maxmemory"))}`,
    `maxmemory_policy:${s.maxmemory_policy}`,
    "# Stats",
    `total_commands_processed:${s.total_commands_processed}`,
    `keyspace_hits:${s.keyspace_hits}`,
    `keyspace_misses:${s.keyspace_misses}`,
    `hit_ratio:${s.hit_ratio}`,
    `evicted_keys:${s.evicted_keys}`,
    `expired_keys:${s.expired_keys}`,
    `oom_rejected_writes:${s.oom_rejected_writes}${s.first_oom_s !== "" ? ` (first at ${fmtDuration(Number(s.first_oom_s))})` : ""}`,
    "# Keyspace",
    `keys=${s.keys},expires=${s.expires}`,
  ];
  const files = ["timeseries.csv", "summary.csv"];
  if (s.app_requests !== undefined) {
    // not INFO: the application's and the database's side (cache-aside clients, stampedes)
    lines.push(
      "# Application (cache-aside clients and database)",
      `app_requests:${s.app_requests}`,
      `app_errors:${s.app_errors}`,
      `latency_ms:p50=${s.latency_p50_ms},p99=${s.latency_p99_ms},p99.9=${s.latency_p999_ms},max=${s.latency_max_ms}`,
      `db_queries:${s.db_queries}`,
      `db_peak:in_flight=${s.db_in_flight_peak},active=${s.db_active_peak}/${s.db_connections},queue=${s.db_queue_peak}`,
      `db_timeouts:${s.db_timeouts},retries=${s.app_retries}`,
      `herds:${s.herds},mean=${s.herd_mean},max=${s.herd_max}`,
    );
    files.push("classes.csv", "herds.csv");
  }
  if (s.steady_state !== undefined) {
    // not INFO: the figures after the warm-up, with their 95 % intervals (metrics/steady.ts)
    const ci = (k: string) => (s[`${k}_ci95` as keyof Summary] !== "" && s[`${k}_ci95` as keyof Summary] !== undefined ? ` ±${s[`${k}_ci95` as keyof Summary]}` : "");
    lines.push("# Steady state (after the warm-up; ± is the 95 % confidence half-width)");
    if (s.steady_state === "reached") {
      lines.push(
        `warmup:${fmtDuration(Number(s.warmup_s))} (${String(s.steady_note).startsWith("warm-up as given") ? "output.warmup" : "MSER-5"})`,
        `steady_hit_ratio:${s.steady_hit_ratio}${ci("steady_hit_ratio")}`,
        `steady_evicted_per_s:${s.steady_evicted_per_s}${ci("steady_evicted_per_s")}`,
        `steady_expired_per_s:${s.steady_expired_per_s}${ci("steady_expired_per_s")}`,
        `steady_oom_rejected_per_s:${s.steady_oom_rejected_per_s}${ci("steady_oom_rejected_per_s")}`,
      );
      if (s.steady_p99_ms !== undefined) lines.push(`steady_latency_ms:p50=${s.steady_p50_ms}${ci("steady_p50_ms")},p99=${s.steady_p99_ms}${ci("steady_p99_ms")}`);
    } else lines.push(`steady_state:not reached (${s.steady_note})`);
  }
  if (o.findings && o.findings.length > 0) lines.push("# Findings", ...o.findings.map((f) => `- ${f}`));
  if (String(s.steady_note ?? "").startsWith("means over")) files.push("replications.csv", "replications/");
  files.push("scenario.resolved.yaml");
  lines.push("", `results: ${o.dir}/ (${files.join(", ")})`);
  return lines.join("\n");
}

