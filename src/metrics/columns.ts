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

export type SummaryColumn = (typeof SUMMARY_COLUMNS)[number]["name"];
export type Summary = Record<SummaryColumn, string | number>;
