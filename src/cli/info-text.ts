import type { Summary } from "../metrics/columns.ts";
import { bytesToHuman } from "../scenario/units.ts";

export interface RunOutcome {
  dir: string;
  summary: Summary;
  wallSeconds: number;
}

/** A short INFO-style summary, as `redis-cli INFO` would print the same fields. */
export function infoText(o: RunOutcome): string {
  const s = o.summary;
  const n = (k: keyof Summary) => Number(s[k]);
  const lines = [
    `# evictsim: ${s.scenario} (seed ${s.seed}, ${s.duration_s}s simulated in ${o.wallSeconds.toFixed(1)}s)`,
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
    `oom_rejected_writes:${s.oom_rejected_writes}${s.first_oom_s !== "" ? ` (first at ${s.first_oom_s}s)` : ""}`,
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
  files.push("scenario.resolved.yaml");
  lines.push("", `results: ${o.dir}/ (${files.join(", ")})`);
  return lines.join("\n");
}

