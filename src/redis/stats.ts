/** Counters named as Redis's INFO names them (INFO stats / memory), plus the few Redis has no name for. */
export class Stats {
  total_commands_processed = 0;
  keyspace_hits = 0;
  keyspace_misses = 0;
  evicted_keys = 0;
  expired_keys = 0;
  /** Write commands rejected with `-OOM command not allowed when used memory > 'maxmemory'` (INFO errorstats `errorstat_OOM`). */
  oom_rejected_writes = 0;
  expired_time_cap_reached_count = 0;
  /** EWMA of expired/sampled in active expire cycles, a fraction (INFO prints it ×100). */
  expired_stale_perc = 0;
  /** Modelled CPU time of active expire cycles, µs (INFO expire_cycle_cpu_milliseconds = this / 1000). */
  expire_cycle_cpu_us = 0;
  /** µs during which performEvictions reported RUNNING or FAIL (total_eviction_exceeded_time, µs here). */
  total_eviction_exceeded_us = 0;
  /** Calls of performEvictions that stopped on their time budget and left the rest to background eviction. */
  eviction_time_limit_hits = 0;
  used_memory_peak = 0;
}
