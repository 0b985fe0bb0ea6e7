/*
 * The output columns as data: name (INFO's name where INFO has one), unit, meaning. The CSV header, the
 * summary printout and (later) chart axes come from these tables.
 */

export interface Column {
  readonly name: string;
  readonly unit: string;
  readonly describe: string;
}

const col = (name: string, unit: string, describe: string): Column => ({ name, unit, describe });

/** timeseries.csv: one row per output interval. Counters named as INFO names them are cumulative. */
export const TIMESERIES_COLUMNS = [
  col("time_s", "s", "simulated time at the end of the interval"),
  col("requests", "requests", "application requests in the interval (a cache-aside miss and its SET are one request)"),
  col("ops_per_sec", "ops/s", "Redis commands per second over the interval"),
  col("keyspace_hits", "count", "cumulative read lookups that found a live key"),
  col("keyspace_misses", "count", "cumulative read lookups that found no live key"),
  col("hit_ratio", "ratio", "hits / (hits + misses) within the interval; empty when there were no reads"),
  col("used_memory", "bytes", "allocator bytes in use at the end of the interval"),
  col("used_memory_peak", "bytes", "highest used_memory so far"),
  col("maxmemory", "bytes", "the limit (0 = none)"),
  col("keys", "keys", "keys in all databases, including expired keys not yet reclaimed"),
  col("expires", "keys", "keys with a TTL"),
  col("evicted_keys", "count", "cumulative keys evicted by performEvictions"),
  col("expired_keys", "count", "cumulative keys deleted because their TTL passed (lazy and active)"),
  col("evicted_per_sec", "keys/s", "evictions per second over the interval"),
  col("expired_per_sec", "keys/s", "expirations per second over the interval"),
  col("oom_rejected_writes", "count", "cumulative write commands rejected with -OOM"),
] as const;

/** timeseries.csv columns added when the scenario models cache-aside clients and a database. */
export const APP_TIMESERIES_COLUMNS = [
  col("app_completed", "requests", "application requests finished in the interval (hits, fills and failures)"),
  col("latency_p50_ms", "ms", "median end-to-end latency of the requests finished in the interval"),
  col("latency_p99_ms", "ms", "99th percentile latency in the interval"),
  col("latency_p999_ms", "ms", "99.9th percentile latency in the interval"),
  col("latency_max_ms", "ms", "largest latency in the interval"),
  col("db_queries", "queries", "database queries started (given a connection) in the interval"),
  col("db_queries_per_sec", "queries/s", "database queries started per second over the interval"),
  col("db_in_flight_peak", "queries", "most queries at the database at once (waiting for a connection or running) in the interval"),
  col("db_active_peak", "connections", "most connections in use at once in the interval"),
  col("db_queue_peak", "queries", "longest wait queue for a connection in the interval"),
  col("db_utilisation", "ratio", "connection time in use / (connections × interval)"),
  col("db_timeouts", "count", "cumulative queries the client gave up on (pool or query timeout)"),
  col("app_retries", "count", "cumulative retries after a timeout"),
  col("app_errors", "count", "cumulative application requests that failed"),
  col("herd_max", "queries", "largest herd closed in the interval: database queries caused by one key's miss (or early refresh) before it was refilled"),
  col("stale_served", "count", "cumulative hits served past the soft TTL (stale-while-revalidate)"),
  col("redis_errors", "count", "cumulative Redis calls refused while the server was down (restart)"),
] as const;

export type TimeseriesColumn = (typeof TIMESERIES_COLUMNS)[number]["name"];

/** summary.csv: one row of final figures. */
export const SUMMARY_COLUMNS = [
  col("scenario", "", "scenario name"),
  col("seed", "", "random seed"),
  col("maxmemory_policy", "", "maxmemory-policy"),
  col("maxmemory", "bytes", "maxmemory (0 = none)"),
  col("duration_s", "s", "simulated time"),
  col("requests", "requests", "application requests"),
  col("total_commands_processed", "count", "Redis commands"),
  col("keyspace_hits", "count", "read lookups that found a live key"),
  col("keyspace_misses", "count", "read lookups that found no live key"),
  col("hit_ratio", "ratio", "keyspace_hits / (keyspace_hits + keyspace_misses)"),
  col("evicted_keys", "count", "keys evicted"),
  col("expired_keys", "count", "keys expired"),
  col("oom_rejected_writes", "count", "write commands rejected with -OOM"),
  col("first_oom_s", "s", "simulated time of the first OOM rejection (empty if none)"),
  col("used_memory", "bytes", "final used_memory"),
  col("used_memory_peak", "bytes", "highest used_memory"),
  col("used_memory_startup", "bytes", "used_memory of the empty server"),
  col("keys", "keys", "final keys"),
  col("expires", "keys", "final keys with a TTL"),
  col("expired_stale_perc", "%", "EWMA of the share of expired keys among those the active cycle sampled"),
  col("expired_time_cap_reached_count", "count", "active expire cycles stopped by their time budget"),
  col("total_eviction_exceeded_time", "ms", "time performEvictions spent over the limit (RUNNING/FAIL)"),
] as const;

/**
 * summary.csv: the steady state (metrics/steady.ts): the warm-up found by MSER-5 (or output.warmup) and
 * the figures after it, each with its 95 % confidence half-width (batch means within the run, or across
 * replications with --replications).
 */
export const STEADY_SUMMARY_COLUMNS = [
  col("steady_state", "", "reached, or not reached (then steady_note says why and the steady figures are empty)"),
  col("steady_note", "", "how the warm-up and the intervals were found, or why there is no steady state"),
  col("warmup_s", "s", "end of the warm-up: the steady figures are from after it"),
  col("steady_hit_ratio", "ratio", "hit ratio after the warm-up"),
  col("steady_hit_ratio_ci95", "ratio", "95 % confidence half-width of steady_hit_ratio"),
  col("steady_evicted_per_s", "keys/s", "evictions per second after the warm-up"),
  col("steady_evicted_per_s_ci95", "keys/s", "95 % confidence half-width of steady_evicted_per_s"),
  col("steady_expired_per_s", "keys/s", "expirations per second after the warm-up"),
  col("steady_expired_per_s_ci95", "keys/s", "95 % confidence half-width of steady_expired_per_s"),
  col("steady_oom_rejected_per_s", "writes/s", "writes rejected with -OOM per second after the warm-up"),
  col("steady_oom_rejected_per_s_ci95", "writes/s", "95 % confidence half-width of steady_oom_rejected_per_s"),
] as const;

/** summary.csv: steady-state latency, with the database model. */
export const APP_STEADY_SUMMARY_COLUMNS = [
  col("steady_p50_ms", "ms", "median latency after the warm-up (completion-weighted median of the intervals' medians)"),
  col("steady_p50_ms_ci95", "ms", "95 % confidence half-width of steady_p50_ms"),
  col("steady_p99_ms", "ms", "99th percentile latency after the warm-up (completion-weighted median of the intervals' p99s)"),
  col("steady_p99_ms_ci95", "ms", "95 % confidence half-width of steady_p99_ms"),
] as const;

/** timeseries.csv columns added when the scenario configures persistence (save points, AOF, host). */
export const PERSISTENCE_TIMESERIES_COLUMNS = [
  col("rdb_bgsave_in_progress", "0/1", "an RDB child exists at the end of the interval"),
  col("aof_rewrite_in_progress", "0/1", "an AOF-rewrite child exists at the end of the interval"),
  col("fork_ms", "ms", "time the main thread spent in fork() during the interval"),
  col("cow_bytes", "bytes", "copy-on-write memory of the running child (pages dirtied since its fork)"),
  col("rss_bytes", "bytes", "modelled RSS: used_memory × fragmentation ratio + AOF buffer + COW"),
  col("mem_aof_buffer", "bytes", "AOF buffer (grows while an everysec write is postponed; not counted for maxmemory)"),
  col("fsync_p99_ms", "ms", "99th percentile fsync time in the interval"),
  col("write_latency_p99_ms", "ms", "99th percentile server-side write latency (waits for fork stalls and fsyncs)"),
  col("aof_delayed_fsync", "count", "cumulative writes that waited for a slow everysec fsync (INFO aof_delayed_fsync)"),
  col("writes_at_risk", "writes", "acknowledged writes a power loss now would lose"),
  col("misconf_rejected_writes", "count", "cumulative writes refused with -MISCONF after a failed bgsave"),
  col("loading_rejected", "count", "cumulative requests refused while the server was down or loading"),
] as const;

/** summary.csv columns added with persistence. */
export const PERSISTENCE_SUMMARY_COLUMNS = [
  col("total_forks", "count", "forks (BGSAVE and AOF rewrite)"),
  col("latest_fork_usec", "µs", "duration of the last fork (INFO latest_fork_usec)"),
  col("rdb_saves", "count", "completed BGSAVEs"),
  col("rdb_bgsave_failed", "count", "BGSAVEs that failed (child killed)"),
  col("aof_rewrites", "count", "completed AOF rewrites"),
  col("rdb_last_cow_size", "bytes", "peak copy-on-write of the last completed BGSAVE"),
  col("aof_last_cow_size", "bytes", "peak copy-on-write of the last completed AOF rewrite"),
  col("cow_peak", "bytes", "largest copy-on-write of any child"),
  col("rss_peak", "bytes", "largest modelled RSS + COW"),
  col("oom_kills", "count", "children killed by the host's OOM killer"),
  col("misconf_rejected_writes", "count", "writes refused with -MISCONF"),
  col("aof_delayed_fsync", "count", "everysec writes that waited for a slow fsync"),
  col("fsync_p99_ms", "ms", "99th percentile fsync time"),
  col("write_latency_p50_ms", "ms", "median server-side write latency"),
  col("write_latency_p99_ms", "ms", "99th percentile server-side write latency"),
  col("write_latency_max_ms", "ms", "largest server-side write latency"),
  col("writes_lost", "writes", "acknowledged writes lost in crashes"),
  col("load_time_s", "s", "load time of the last restart (RDB / AOF)"),
  col("loading_rejected", "count", "requests refused while the server was down or loading"),
] as const;

/** summary.csv columns added with the database model. */
export const APP_SUMMARY_COLUMNS = [
  col("app_requests", "requests", "cache-aside application requests"),
  col("app_errors", "count", "requests that failed (timeouts without retries left, lock holders that died)"),
  col("app_retries", "count", "retries after a timeout"),
  col("latency_p50_ms", "ms", "median end-to-end latency"),
  col("latency_p99_ms", "ms", "99th percentile latency"),
  col("latency_p999_ms", "ms", "99.9th percentile latency"),
  col("latency_max_ms", "ms", "largest latency"),
  col("db_queries", "queries", "database queries started"),
  col("db_in_flight_peak", "queries", "most queries at the database at once"),
  col("db_active_peak", "connections", "most connections in use at once"),
  col("db_queue_peak", "queries", "longest wait queue for a connection"),
  col("db_connections", "connections", "connections: min(app instances × pool, max-connections)"),
  col("db_utilisation", "ratio", "mean share of connection time in use"),
  col("db_mean_wait_ms", "ms", "mean wait for a connection of queries that got one"),
  col("db_timeouts", "count", "queries the client gave up on"),
  col("herds", "count", "miss cycles that reached the database (one per key refill)"),
  col("herd_mean", "queries", "mean database queries per herd"),
  col("herd_max", "queries", "largest herd"),
  col("stale_served", "count", "hits served past the soft TTL"),
  col("redis_errors", "count", "Redis calls refused while the server was down"),
] as const;

/** classes.csv: one row per key class, for comparing mitigations side by side. */
export const CLASS_COLUMNS = [
  col("class", "", "key class"),
  col("mitigation", "", "stampede mitigation"),
  col("requests", "requests", "cache-aside requests"),
  col("hits", "count", "first GETs that found the key"),
  col("misses", "count", "first GETs that did not"),
  col("hit_ratio", "ratio", "hits / (hits + misses)"),
  col("stale_served", "count", "hits served past the soft TTL"),
  col("lock_waits", "requests", "requests that found the lock taken and waited"),
  col("db_queries", "queries", "database queries sent"),
  col("peak_concurrent_queries", "queries", "most of this class's queries in flight at once"),
  col("herds", "count", "miss cycles that reached the database"),
  col("herd_mean", "queries", "mean database queries per herd"),
  col("herd_max", "queries", "largest herd"),
  col("errors", "count", "failed requests"),
  col("lock_holder_deaths", "count", "lock holders that died holding the lock"),
  col("latency_p50_ms", "ms", "median latency"),
  col("latency_p99_ms", "ms", "99th percentile latency"),
  col("latency_p999_ms", "ms", "99.9th percentile latency"),
] as const;

/** herds.csv: one row per herd of two or more queries (a stampede). */
export const HERD_COLUMNS = [
  col("start_s", "s", "when the first query of the herd was sent"),
  col("end_s", "s", "when the first refill landed"),
  col("class", "", "key class"),
  col("key", "", "key name"),
  col("size", "queries", "database queries sent for the key before it was refilled"),
  col("cause", "", "cold (never cached, or lost in a flush, restart or crash), expired, evicted, early (xfetch), stale (stale-while-revalidate refresh)"),
] as const;

export type SummaryColumn = (typeof SUMMARY_COLUMNS)[number]["name"];
export type AppSummaryColumn = (typeof APP_SUMMARY_COLUMNS)[number]["name"];
export type PersistenceSummaryColumn = (typeof PERSISTENCE_SUMMARY_COLUMNS)[number]["name"];
export type SteadySummaryColumn = (typeof STEADY_SUMMARY_COLUMNS)[number]["name"] | (typeof APP_STEADY_SUMMARY_COLUMNS)[number]["name"];
export type Summary = Record<SummaryColumn, string | number> &
  Partial<Record<AppSummaryColumn | PersistenceSummaryColumn | SteadySummaryColumn, string | number>>;

/** The timeseries columns of a run: the app columns with a database, the persistence ones with persistence. */
export function timeseriesColumns(withApp: boolean, withPersistence = false): readonly Column[] {
  return [...TIMESERIES_COLUMNS, ...(withApp ? APP_TIMESERIES_COLUMNS : []), ...(withPersistence ? PERSISTENCE_TIMESERIES_COLUMNS : [])];
}

export function summaryColumns(withApp: boolean, withPersistence = false): readonly Column[] {
  return [
    ...SUMMARY_COLUMNS,
    ...STEADY_SUMMARY_COLUMNS,
    ...(withApp ? [...APP_SUMMARY_COLUMNS, ...APP_STEADY_SUMMARY_COLUMNS] : []),
    ...(withPersistence ? PERSISTENCE_SUMMARY_COLUMNS : []),
  ];
}
