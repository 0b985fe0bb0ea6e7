import { PERSISTENCE_SUMMARY_COLUMNS, PERSISTENCE_TIMESERIES_COLUMNS } from "../metrics/columns.ts";
import type { Persistence } from "../redis/persistence.ts";
import type { RedisServer } from "../redis/server.ts";
import { bindColumns, maxMs, ms3, pctMs, type BoundColumn, type Part, type SummaryFields } from "./part.ts";

/*
 * A server's persistence (RDB save points, AOF, the host's fork and disk): the fork / copy-on-write /
 * fsync columns and summary, BGSAVE and BGREWRITEAOF events, and what a restart or crash does to the
 * dataset (Persistence.restart: the synchronous save of a SHUTDOWN, or the writes a crash loses).
 */


export class PersistencePart implements Part {
  readonly columns: readonly BoundColumn[];
  private lastForks = 0;
  private rssPeak = 0;
  private cowPeak = 0;
  /** Acknowledged writes lost in crashes, and the load time of the last restart (µs, −1 = none). */
  private writesLost = 0;
  private lastLoadUs = -1;

  /** `refused()`: requests refused while the server was down or loading (the runner's and the clients'). */
  readonly p: Persistence;
  readonly server: RedisServer;
  private readonly refused: () => number;

  constructor(p: Persistence, server: RedisServer, refused: () => number) {
    this.p = p;
    this.server = server;
    this.refused = refused;
    this.columns = bindColumns(PERSISTENCE_TIMESERIES_COLUMNS, {
      rdb_bgsave_in_progress: () => (p.child === 1 ? 1 : 0),
      aof_rewrite_in_progress: () => (p.child === 2 ? 1 : 0),
      fork_ms: () => {
        const forks = p.totalForks - this.lastForks;
        return forks > 0 ? ms3(p.latestForkUs * forks) : 0;
      },
      cow_bytes: () => p.cowBytes,
      rss_bytes: () => p.rssParent + p.cowBytes,
      mem_aof_buffer: () => p.aofBuf,
      fsync_p99_ms: () => pctMs(p.intervalFsyncLatency, 99, NaN),
      write_latency_p99_ms: () => pctMs(p.intervalWriteLatency, 99, NaN),
      aof_delayed_fsync: () => p.aofDelayedFsync,
      writes_at_risk: () => p.atRisk(),
      misconf_rejected_writes: () => p.misconfRejected,
      loading_rejected: () => this.refused(),
    });
  }

  readonly on = {
    bgsave: () => this.p.bgsave(),
    bgrewriteaof: () => this.p.bgrewriteaof(),
  };

  sampling(): void {
    const p = this.p;
    const rss = p.rssParent + p.cowBytes;
    if (rss > this.rssPeak) this.rssPeak = rss;
    if (p.cowPeak > this.cowPeak) this.cowPeak = p.cowPeak;
  }

  sampled(): void {
    const p = this.p;
    this.lastForks = p.totalForks;
    p.intervalWriteLatency.reset();
    p.intervalFsyncLatency.reset();
  }

  /**
   * A restart (graceful: SHUTDOWN, which saves) or a crash (`powerLoss`: the page cache is lost too):
   * the persistence side of it (what is saved, what is lost); returns the time the synchronous save takes
   * (µs) and the time loading the files will take (µs).
   */
  restart(graceful: boolean, powerLoss: boolean): { saveUs: number; loadUs: number } {
    const { saveUs, writesLost, loadUs } = this.p.restart(graceful, powerLoss);
    this.writesLost += writesLost;
    this.lastLoadUs = loadUs;
    return { saveUs, loadUs };
  }

  restarted(server: RedisServer, downUntil: number): void {
    if (server === this.server) this.p.blockUntil(downUntil);
  }

  summary(): SummaryFields<typeof PERSISTENCE_SUMMARY_COLUMNS> {
    const p = this.p;
    const w = p.writeLatency, f = p.fsyncLatency;
    return {
      total_forks: p.totalForks,
      latest_fork_usec: p.latestForkUs,
      rdb_saves: p.rdbSaves,
      rdb_bgsave_failed: p.rdbFailed,
      aof_rewrites: p.aofRewrites,
      rdb_last_cow_size: p.rdbLastCowSize,
      aof_last_cow_size: p.aofLastCowSize,
      cow_peak: Math.max(this.cowPeak, p.cowPeakRun),
      rss_peak: Math.max(this.rssPeak, p.rssPeakRun, p.rssParent + p.cowBytes),
      oom_kills: p.oomKills,
      misconf_rejected_writes: p.misconfRejected,
      aof_delayed_fsync: p.aofDelayedFsync,
      fsync_p99_ms: pctMs(f, 99, ""),
      write_latency_p50_ms: pctMs(w, 50, ""),
      write_latency_p99_ms: pctMs(w, 99, ""),
      write_latency_max_ms: maxMs(w, ""),
      writes_lost: this.writesLost,
      load_time_s: this.lastLoadUs >= 0 ? this.lastLoadUs / 1e6 : "",
      loading_rejected: this.refused(),
    };
  }
}
