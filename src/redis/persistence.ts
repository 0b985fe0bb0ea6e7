import { grownInto } from "../core/arrays.ts";
import { latencyHistogram } from "../metrics/histogram.ts";
import type { Rng } from "../core/random.ts";
import type { Sim } from "../core/sim.ts";
import { digits } from "../workload/request.ts";
import { R_META, R_VALLEN, R_VOLPOS, NO_KEY, REC } from "./keyspace.ts";
import { DICT_ENTRY_SIZE, ENC_EMBSTR, ENC_INT, ENC_SHARED, ROBJ_SIZE, sdsAllocSize } from "./memory.ts";
import { RESIZE_AVOID, RESIZE_ENABLE } from "./dict.ts";
import { FSYNC_ALWAYS, FSYNC_EVERYSEC, FSYNC_NO, type PersistencePlan } from "./persistence/config.ts";
import type { RedisServer } from "./server.ts";

/*
 * Persistence costs (Redis 7.0's rdb.c, aof.c and server.c; Redis's persistence and latency docs): RDB
 * snapshots (save points, BGSAVE), the fork stall, the child's duration, copy-on-write, AOF with appendfsync always / everysec /
 * no, AOF rewrite, and what a crash loses and how long the restart's load takes.
 *
 * What we model, and what we simplify:
 * - fork() blocks the main thread for used_memory × ms-per-GB (latency.md's table; the preset names are
 *   its platforms). Commands that arrive during the stall wait for it.
 * - The child runs for max(used_memory / save-speed, rdb bytes / disk write speed) (§A4). While it exists
 *   no key's LRU/LFU is touched and dicts do not resize (server.c updateDictResizePolicy: AVOID).
 * - Copy-on-write, page-accurate in the way §A3 recommends: at fork the dataset is laid out as one pool
 *   of pages per jemalloc size class (entries, key sds, robjs, each value class) plus the bucket arrays
 *   (scanAtFork); a write or delete of a key while the child runs dirties the pages it writes there
 *   (cowTouch: its dict entry, and for a SET a new robj and value sds at slots anywhere in their pools).
 *   A newly dirtied page adds page-size bytes; the child's own ~1.1 MB comes on top; COW is capped at
 *   the dataset, reads dirty nothing, and with 2 MiB pages a few thousand writes dirty nearly
 *   everything. Checked against redis-server 7.0.15 in docs/cow-fidelity.md. Not modelled: the 7.0
 *   child's MADV_DONTNEED of values > 2 KiB it has written (COW of big values is ~2.3× too high),
 *   allocator metadata pages.
 * - RSS = used_memory × fragmentation ratio + COW (+ the AOF buffer). maxmemory never sees COW (§A7).
 *   If a host memory is given and RSS + COW would exceed it, the kernel's OOM killer kills the child
 *   (we assume the child is chosen, as with oom-score-adj yes; with the default `no` the kernel may
 *   pick the parent instead): the save fails, and with stop-writes-on-bgsave-error every write is
 *   refused with -MISCONF until a save succeeds (retried ≥ 5 s later).
 * - The AOF buffer is reported on its own (mem_aof_buffer, and in RSS) and not added to used_memory.
 *   Redis adds it to used_memory and subtracts it again before comparing with maxmemory
 *   (mem_not_counted_for_evict), so eviction is the same; our used_memory reads low by the buffer,
 *   which is ~0 except while an everysec write is postponed.
 * - A failed AOF rewrite is retried at the next cron tick; Redis 7 backs off after three failures
 *   (aofRewriteLimited). Not modelled.
 * - AOF: each write command appends its protocol bytes. `always`: write + fdatasync in the main thread
 *   once per event-loop iteration, group-committing every write that arrived while the previous fsync
 *   ran (every command, reads too, waits for it). `everysec`: a background fsync at most once a second;
 *   while one runs, writes are postponed (aof_buf grows) from the first write that finds it running, and
 *   2 s later the main thread writes anyway and blocks until the fsync ends (aof_delayed_fsync). `no`: the kernel writes back
 *   pages older than 30 s, every 5 s. An event-loop iteration is not modelled as such: a write that
 *   arrives when the main thread is idle starts its own iteration.
 * - Durability: a crash (power loss by default) loses acknowledged writes newer than the durable point:
 *   with AOF always none; everysec, those after the start of the last completed fsync; no, the last
 *   ~30 s; RDB only, everything since the fork of the last completed snapshot; no persistence, all.
 *   On restart the keys created after the durable point are gone (a key overwritten after it survives
 *   with its older value; keys deleted after it are not brought back: a small undercount of what
 *   survives), and the load takes keys / 1M/s + bytes / 500 MB/s (+ the AOF tail at 300k commands/s),
 *   during which every command gets -LOADING. A SHUTDOWN (restart event) saves first and loses nothing.
 */

export { APPENDFSYNC, APPENDFSYNC_DEFAULT, FSYNC_ALWAYS, FSYNC_CODE, FSYNC_EVERYSEC, FSYNC_NO, type AppendFsync, type PersistencePlan } from "./persistence/config.ts";

/** RDB load: 1M keys/s + 500 MB/s (§B5 preset); AOF tail replay: 300k commands/s. */
const LOAD_KEYS_PER_SEC = 1_000_000;
const LOAD_BYTES_PER_SEC = 500e6;
const AOF_REPLAY_PER_SEC = 300_000;
/** CONFIG_BGSAVE_RETRY_DELAY: a failed bgsave is retried by save points after 5 s. */
const BGSAVE_RETRY_DELAY_US = 5_000_000;
/** Postponed everysec write gives up waiting after 2 s (7.4+: 2000 ms). */
const AOF_POSTPONE_US = 2_000_000;
/** Kernel writeback: pages dirty for 30 s (dirty_expire_centisecs) written by the flusher every 5 s. */
const WRITEBACK_AGE_US = 30_000_000;
const WRITEBACK_PERIOD_US = 5_000_000;

/**
 * The child's own private dirty memory (its stack, buffers, allocator state): a save with no writes at
 * all reported rdb_last_cow_size ≈ 1.1 MB on redis-server 7.0.15 (docs/cow-fidelity.md).
 */
const CHILD_OWN_BYTES = 1_100_000;

const CHILD_NONE = 0;
const CHILD_RDB = 1;
const CHILD_AOF = 2;


export class Persistence {
  readonly cfg: PersistencePlan;
  private readonly server: RedisServer;
  private readonly sim: Sim;
  private readonly rng: Rng;
  private readonly evChildDone: number;
  private readonly evFsyncDone: number;
  private readonly evSecond: number;

  // ---- INFO persistence / stats fields ----
  /** rdb_changes_since_last_save (server.dirty). */
  dirty = 0;
  /** rdb_last_save_time, µs. */
  lastsave = 0;
  lastBgsaveOk = true;
  lastBgsaveTry = -Infinity;
  rdbSaves = 0;
  rdbFailed = 0;
  aofRewrites = 0;
  totalForks = 0;
  latestForkUs = 0;
  forksThisInterval = 0;
  rdbLastCowSize = 0;
  aofLastCowSize = 0;
  aofDelayedFsync = 0;
  oomKills = 0;
  misconfRejected = 0;
  /** The AOF's size now and after the last rewrite (bytes). */
  aofSize = 0;
  aofBaseSize = 0;
  /** Writes appended to the AOF since the last rewrite (the incr file's commands). */
  aofIncrCommands = 0;
  aofRewriteScheduled = false;

  // ---- the child ----
  child = CHILD_NONE;
  private childGen = 0;
  private childStart = 0;
  private childEnd = 0;
  private dirtyAtFork = 0;
  private writesAtFork = 0;
  private forkTime = 0;
  private aofSizeAtFork = 0;
  private usedAtFork = 0;
  private childRdbBytes = 0;
  private pages = new Uint8Array(0);
  private pageCount = 0;
  /** The fork's page layout: per size class its first page and page count; then the bucket arrays. */
  private readonly poolBase = new Map<number, number>();
  private readonly poolPages = new Map<number, number>();
  private bucketBase = 0;
  private bucketPages = 1;
  private dirtyPages = 0;
  cowPeak = 0;
  /** Largest COW of any child, and largest RSS + COW seen while one ran. */
  cowPeakRun = 0;
  rssPeakRun = 0;
  private readonly hashSalt: number;

  // ---- durability ----
  /** Acknowledged write commands. */
  writes = 0;
  /** Durable point of the RDB file: writes and time at the fork of the last completed save. */
  private rdbDurableWrites = 0;
  private rdbDurableTime = -1;
  private rdbHasFile = false;
  /** AOF durable point (writes, time). */
  private aofDurableWrites = 0;
  private aofDurableTime = 0;
  /** everysec: the fsync in flight (end time, −1 = none), what it covers, postponement start. */
  private fsyncEnd = -1;
  private fsyncCoversWrites = 0;
  private fsyncCoversTime = 0;
  private postponedSince = -1;
  /** always: the latest group commit (when its first write arrived, its fsync start and end) and the one before. */
  private groupStart = -1;
  private groupEnd = -1;
  private groupCreated = -1;
  private prevGroupEnd = -1;
  private prevGroupCreated = -1;
  /** no: writes by second, for the 30 s writeback. */
  private wbTimes: number[] = [];
  private wbWrites: number[] = [];
  /** Bytes in aof_buf (written to the file at the next iteration; accumulates while postponed). */
  aofBuf = 0;
  /** Per key: when it was last created (dbAdd), µs + 1 (0 = unknown); for what survives a crash. */
  private bornAt: Float64Array<ArrayBuffer> = new Float64Array(0);
  /** Acknowledged writes at the last restart (what an earlier crash already accounted for). */
  private writesAtRestart = 0;
  /** everysec: acknowledged writes when the current postponement began. */
  private writesAtPostpone = 0;
  private readonly evPostponeCheck: number;

  /** Main thread blocked until (fork stall, always-fsync, delayed write). */
  blockedUntil = 0;

  readonly writeLatency = latencyHistogram();
  readonly intervalWriteLatency = latencyHistogram();
  readonly fsyncLatency = latencyHistogram();
  readonly intervalFsyncLatency = latencyHistogram();

  constructor(cfg: PersistencePlan, server: RedisServer, sim: Sim, rng: Rng, hashSalt: number) {
    this.cfg = cfg;
    this.server = server;
    this.sim = sim;
    this.rng = rng;
    this.hashSalt = hashSalt;
    this.evChildDone = sim.on((gen) => this.childDone(gen));
    this.evFsyncDone = sim.on(() => this.fsyncDone());
    this.evSecond = sim.on(() => this.everySecond());
    this.evPostponeCheck = sim.on((gen) => this.postponeCheck(gen));
    if (cfg.appendonly && cfg.appendfsync !== FSYNC_ALWAYS) sim.after(1_000_000, this.evSecond);
  }

  /** Whether a restart loads data: save points, AOF, or a snapshot taken by a BGSAVE / SHUTDOWN. */
  get enabled(): boolean {
    return this.cfg.savePoints.length > 0 || this.cfg.appendonly || this.rdbHasFile;
  }

  // ============================== writes ==============================

  /** writeCommandsDeniedByDiskError: -MISCONF after a failed bgsave while save points exist. */
  writesDenied(): boolean {
    return this.cfg.stopWritesOnBgsaveError && this.cfg.savePoints.length > 0 && !this.lastBgsaveOk;
  }

  /**
   * After a write command executed now on `key` (`protoBytes` of AOF): dirty, durability, AOF; returns
   * when its reply leaves (µs), after any stall and, under appendfsync always, the group's fsync.
   */
  afterWrite(key: number, protoBytes: number): number {
    const now = this.sim.now;
    this.dirty++;
    this.writes++;
    let reply = (this.blockedUntil > now ? this.blockedUntil : now) + this.cfg.commandUs;
    if (this.cfg.appendonly) {
      this.aofSize += protoBytes;
      this.aofIncrCommands++;
      const f = this.cfg.appendfsync;
      if (f === FSYNC_ALWAYS && !(this.cfg.noAppendfsyncOnRewrite && this.child !== CHILD_NONE)) reply = this.groupCommit(now);
      else if (f === FSYNC_ALWAYS) {
        // no-appendfsync-on-rewrite: no fsync while a child exists; durable like `no`
        this.noteWriteback(now);
      } else if (f === FSYNC_EVERYSEC && this.fsyncEnd > now && this.blockedUntil < this.fsyncEnd && !(this.cfg.noAppendfsyncOnRewrite && this.child !== CHILD_NONE)) {
        // the background fsync is still running: the write() is postponed (aof_buf grows); if it still
        // runs 2 s later, Redis writes anyway and the main thread blocks until the fsync ends
        if (this.postponedSince < 0) {
          this.postponedSince = now;
          this.writesAtPostpone = this.writes - 1;
          this.sim.at(now + AOF_POSTPONE_US, this.evPostponeCheck, this.fsyncGen);
        }
        this.aofBuf += protoBytes;
      }
      else if (f === FSYNC_NO) this.noteWriteback(now);
    }
    const lat = Math.max(1, Math.round(reply - now));
    this.writeLatency.recordValue(lat);
    this.intervalWriteLatency.recordValue(lat);
    return reply;
  }

  /** When a read arriving now is answered (after any stall of the main thread). */
  readReply(now: number): number {
    return (this.blockedUntil > now ? this.blockedUntil : now) + this.cfg.commandUs;
  }

  /**
   * appendfsync always: the write joins the iteration whose write+fsync has not started yet, or starts
   * one (when the thread is free, at once; else when the current fsync ends). Returns the reply time.
   */
  private groupCommit(now: number): number {
    if (this.groupStart > now) return this.groupEnd; // joins the open group
    const start = this.blockedUntil > now ? this.blockedUntil : now;
    const d = this.cfg.fsync.sample(this.rng);
    this.prevGroupEnd = this.groupEnd;
    this.prevGroupCreated = this.groupCreated;
    this.groupCreated = now;
    this.groupStart = start;
    this.groupEnd = start + this.cfg.commandUs + d;
    this.blockedUntil = this.groupEnd;
    this.recordFsync(d);
    return this.groupEnd;
  }

  private noteWriteback(now: number): void {
    const sec = Math.floor(now / 1_000_000);
    const n = this.wbTimes.length;
    if (n > 0 && this.wbTimes[n - 1] === sec) this.wbWrites[n - 1] = this.writes;
    else {
      this.wbTimes.push(sec);
      this.wbWrites.push(this.writes);
      // keep 40 s of history
      while (this.wbTimes.length > 0 && this.wbTimes[0] < sec - 40) {
        this.wbTimes.shift();
        this.wbWrites.shift();
      }
    }
  }

  private recordFsync(d: number): void {
    const v = Math.max(1, Math.round(d));
    this.fsyncLatency.recordValue(v);
    this.intervalFsyncLatency.recordValue(v);
  }

  /** everysec: once a second, start a background fsync if writes are waiting, or postpone. */
  private everySecond(): void {
    const now = this.sim.now;
    this.sim.after(1_000_000, this.evSecond);
    if (this.cfg.appendfsync !== FSYNC_EVERYSEC) {
      if (this.cfg.appendfsync === FSYNC_NO) this.noteWriteback(now);
      return;
    }
    if (this.cfg.noAppendfsyncOnRewrite && this.child !== CHILD_NONE) {
      this.noteWriteback(now);
      return;
    }
    // one background fsync at a time; the next starts at the first tick after it ends
    if (this.writes === this.aofDurableWrites || this.fsyncEnd >= 0) return;
    this.startFsync(now);
  }

  /** 2 s after a postponement began: if that fsync still runs, write anyway and block until it ends. */
  private postponeCheck(gen: number): void {
    if (gen !== this.fsyncGen || this.postponedSince < 0 || this.fsyncEnd <= this.sim.now) return;
    this.aofDelayedFsync++;
    if (this.fsyncEnd > this.blockedUntil) this.blockedUntil = this.fsyncEnd;
    this.postponedSince = -1;
    this.aofBuf = 0;
  }

  private fsyncGen = 0;

  private startFsync(now: number): void {
    this.fsyncGen++;
    const d = this.cfg.fsync.sample(this.rng);
    this.recordFsync(d);
    this.fsyncEnd = now + d;
    this.fsyncCoversWrites = this.writes;
    this.fsyncCoversTime = now;
    this.sim.at(this.fsyncEnd, this.evFsyncDone);
  }

  private fsyncDone(): void {
    this.fsyncEnd = -1;
    // a postponed write goes out now that the fsync is over
    this.postponedSince = -1;
    this.aofBuf = 0;
    this.aofDurableWrites = this.fsyncCoversWrites;
    this.aofDurableTime = this.fsyncCoversTime;
  }

  // ============================== durability ==============================

  /**
   * The durable point for a crash now: the writes that survive, and the time T such that the writes made
   * before T survive (events at a time run before the requests at that time, so a fork or an fsync at T
   * covers exactly the writes before T). time −1 = nothing survives.
   */
  durablePoint(powerLoss: boolean): { writes: number; time: number } {
    const now = this.sim.now;
    if (this.cfg.appendonly) {
      const f = this.cfg.appendfsync;
      if (!powerLoss) {
        // a process crash: what write() handed to the kernel survives; aof_buf (postponed) does not
        if (f === FSYNC_EVERYSEC && this.postponedSince >= 0) return { writes: this.writesAtPostpone, time: this.postponedSince };
        return { writes: this.writes, time: now };
      }
      const noFsync = f === FSYNC_NO || (this.cfg.noAppendfsyncOnRewrite && this.child !== CHILD_NONE);
      if (f === FSYNC_ALWAYS && !noFsync) {
        // every acknowledged write was fsynced before its reply: none is lost. The writes of groups
        // whose fsync has not finished were never acknowledged; their keys are not in the file.
        let time = now;
        if (this.groupEnd > now) time = this.prevGroupEnd > now && this.groupStart > now ? this.prevGroupCreated : this.groupCreated;
        return { writes: this.writes, time };
      }
      if (f === FSYNC_EVERYSEC && !noFsync) return { writes: this.aofDurableWrites, time: this.aofDurableTime };
      // kernel writeback: pages older than 30 s, written every 5 s (and, under no-appendfsync-on-rewrite,
      // whatever the fsyncs before the child made durable)
      const cutoff = Math.floor((now - WRITEBACK_AGE_US) / WRITEBACK_PERIOD_US) * WRITEBACK_PERIOD_US;
      const wb = { writes: this.writesAt(cutoff), time: Math.max(0, cutoff) };
      if (f !== FSYNC_NO && this.aofDurableWrites > wb.writes) return { writes: this.aofDurableWrites, time: this.aofDurableTime };
      return wb;
    }
    if (this.rdbHasFile) return { writes: this.rdbDurableWrites, time: this.rdbDurableTime };
    // nothing persisted: everything since the last (re)start is lost
    return { writes: this.writesAtRestart, time: -1 };
  }

  /** Writes acknowledged by time t (from the per-second history; before it, 0). */
  private writesAt(t: number): number {
    const sec = Math.floor(t / 1_000_000);
    let w = 0;
    // the entry of second s holds the writes made up to its last write, all before t when s < t's second
    for (let i = 0; i < this.wbTimes.length && this.wbTimes[i] < sec; i++) w = this.wbWrites[i];
    return w;
  }

  /** Writes not yet durable (power loss now would lose them). */
  atRisk(): number {
    return this.writes - this.durablePoint(true).writes;
  }

  /** A key was added to the keyspace now (not an overwrite). */
  noteBorn(key: number): void {
    if (key >= this.bornAt.length) this.bornAt = grownInto(this.bornAt, new Float64Array(Math.max(1024, key + 1, this.bornAt.length * 2)));
    this.bornAt[key] = this.sim.now + 1;
  }

  /**
   * When `key` was created (µs), −1 if unknown. A crash keeps the keys that existed at the durable point
   * (an overwrite after it leaves the older value in the file: the key survives, with that value) and
   * drops the keys created after it. Keys deleted after the durable point are not brought back: a small
   * undercount of what survives.
   */
  bornAtOf(key: number): number {
    return key < this.bornAt.length && this.bornAt[key] > 0 ? this.bornAt[key] - 1 : -1;
  }

  /** Load time (µs) of the persisted dataset of `keys` keys and `bytes` bytes. */
  loadTimeUs(keys: number, bytes: number): number {
    if (!this.enabled) return 0;
    let s = keys / LOAD_KEYS_PER_SEC + bytes / LOAD_BYTES_PER_SEC;
    if (this.cfg.appendonly) s += this.aofIncrCommands / AOF_REPLAY_PER_SEC;
    return Math.round(s * 1e6);
  }

  /** After a restart: the child is gone, buffers empty, the durable state is the loaded file. */
  afterRestart(): void {
    if (this.child !== CHILD_NONE) this.endChild(false, false);
    this.blockedUntil = this.sim.now;
    this.fsyncEnd = -1;
    this.postponedSince = -1;
    this.aofBuf = 0;
    this.groupStart = this.groupEnd = -1;
    this.dirty = 0;
    this.lastsave = this.sim.now;
    this.rdbDurableWrites = this.aofDurableWrites = this.writes;
    this.rdbDurableTime = this.aofDurableTime = this.sim.now;
    this.writesAtRestart = this.writes;
    // what was loaded is what the files hold; a fresh process has no failed bgsave
    this.rdbHasFile = this.rdbHasFile || this.cfg.savePoints.length > 0;
    this.lastBgsaveOk = true;
    this.lastBgsaveTry = -Infinity;
    this.wbTimes = [];
    this.wbWrites = [];
  }

  /**
   * The process restarts now: SHUTDOWN when `graceful` (prepareForShutdown: a synchronous SAVE when save
   * points exist, the AOF written and fsynced; nothing is lost), else a crash (a power loss when
   * `powerLoss`, else a process crash) losing the writes that were not durable: the keys created after
   * the durable point are deleted from the server, or every key when nothing was durable. A graceful
   * restart with nothing to save or load comes back empty. Returns the SAVE's time (µs), the acknowledged
   * writes lost, and the load time (µs) of what the restarted server holds. The caller keeps the server
   * down and then loading for those, and calls blockUntil when it serves again.
   */
  restart(graceful: boolean, powerLoss: boolean): { saveUs: number; writesLost: number; loadUs: number } {
    const s = this.server;
    let saveUs = 0;
    let writesLost = 0;
    if (graceful && !this.enabled) {
      s.flushall();
      this.afterRestart();
    } else if (graceful) {
      // SHUTDOWN: a synchronous SAVE when save points exist (AOF: the buffer is written and fsynced)
      if (this.cfg.savePoints.length > 0) saveUs = Math.round((s.used / this.cfg.saveBytesPerSec) * 1e6);
      this.snapshotNow();
      this.afterRestart();
    } else {
      const dp = this.durablePoint(powerLoss);
      writesLost = this.writes - dp.writes;
      // the child dies with its parent (before the keys go, so that their deletion copies no page)
      this.afterRestart();
      if (dp.time < 0) s.flushall();
      else {
        // the keys created after the durable point are not in the files
        for (const db of s.ks.dbs)
          for (let i = db.allN - 1; i >= 0; i--) {
            const k = db.all[2 * i];
            if (this.bornAtOf(k) >= dp.time) s.deleteKey(k);
          }
      }
    }
    return { saveUs, writesLost, loadUs: this.loadTimeUs(s.ks.keys, Math.max(0, s.used - s.mem.startup)) };
  }

  /** The main thread is busy until `tUs` (the restarted server serves from then on). */
  blockUntil(tUs: number): void {
    this.blockedUntil = tUs;
  }

  /** SHUTDOWN with save points (or SAVE): a synchronous snapshot of everything now. */
  snapshotNow(): void {
    this.rdbHasFile = true;
    this.rdbDurableWrites = this.aofDurableWrites = this.writes;
    this.rdbDurableTime = this.aofDurableTime = this.sim.now;
    this.lastsave = this.sim.now;
    this.dirty = 0;
  }

  // ============================== fork, child, COW ==============================

  /** serverCron's persistence part: save points and the AOF rewrite trigger (no child running). */
  cron(): void {
    const now = this.sim.now;
    if (this.child !== CHILD_NONE) {
      this.checkHostMemory();
      return;
    }
    if (this.aofRewriteScheduled) {
      this.aofRewriteScheduled = false;
      this.fork(CHILD_AOF);
      return;
    }
    for (const sp of this.cfg.savePoints) {
      if (this.dirty >= sp.changes && now - this.lastsave > sp.seconds * 1e6 && (this.lastBgsaveOk || now - this.lastBgsaveTry > BGSAVE_RETRY_DELAY_US)) {
        this.fork(CHILD_RDB);
        return;
      }
    }
    const c = this.cfg;
    if (c.appendonly && c.autoAofRewritePercentage > 0 && this.aofSize > c.autoAofRewriteMinSize) {
      const base = this.aofBaseSize > 0 ? this.aofBaseSize : 1;
      if (((this.aofSize - base) * 100) / base >= c.autoAofRewritePercentage) this.fork(CHILD_AOF);
    }
  }

  /** BGSAVE (manual): starts now; refused (as Redis replies an error) while a child exists. */
  bgsave(): void {
    if (this.child === CHILD_NONE) this.fork(CHILD_RDB);
  }

  /** BGREWRITEAOF: starts now, or is scheduled after a running BGSAVE. */
  bgrewriteaof(): void {
    if (this.child === CHILD_NONE) this.fork(CHILD_AOF);
    else if (this.child === CHILD_RDB) this.aofRewriteScheduled = true;
  }

  private fork(kind: number): void {
    const now = this.sim.now;
    const s = this.server;
    const used = s.used;
    const forkUs = Math.round((used / 2 ** 30) * this.cfg.forkUsPerGb);
    this.latestForkUs = forkUs;
    this.totalForks++;
    this.forksThisInterval++;
    this.blockedUntil = Math.max(this.blockedUntil, now) + forkUs;
    if (kind === CHILD_RDB) this.lastBgsaveTry = now;
    this.child = kind;
    this.childGen++;
    s.childActive = true;
    s.resizePolicy = RESIZE_AVOID;
    this.dirtyAtFork = this.dirty;
    this.writesAtFork = this.writes;
    if (this.cfg.appendonly && this.cfg.appendfsync === FSYNC_ALWAYS) {
      // every acknowledged write so far was fsynced (for no-appendfsync-on-rewrite's durable point)
      this.aofDurableWrites = this.writes;
      this.aofDurableTime = now;
    }
    this.forkTime = now;
    this.aofSizeAtFork = this.aofSize;
    this.usedAtFork = used;
    this.childRdbBytes = this.scanAtFork();
    const secs = Math.max(used / this.cfg.saveBytesPerSec, this.childRdbBytes / this.cfg.diskWriteBytesPerSec);
    this.childStart = now + forkUs;
    this.childEnd = this.childStart + Math.max(1, Math.round(secs * 1e6));
    // COW ledger: the dataset's pages at fork (scanAtFork laid them out), none dirty yet
    if (this.pages.length < this.pageCount) this.pages = new Uint8Array(this.pageCount);
    else this.pages.fill(0, 0, this.pageCount);
    this.dirtyPages = 0;
    this.cowPeak = 0;
    this.sim.at(this.childEnd, this.evChildDone, this.childGen);
  }

  /**
   * At fork: the RDB file's size (per key: type, key, value, TTL and LRU/LFU fields, §A4, plus a
   * header), and the page layout of the dataset for the COW ledger. jemalloc keeps each small size class
   * in its own pages, so the layout is one pool of pages per size class (dict entries, key sds, robjs,
   * values), sized by what the keys hold in it, plus the dicts' bucket arrays. An overwrite writes into
   * three of them (the entry's value pointer, a new robj and a new value sds in slots freed earlier), so
   * the small-object pools fill up long before the values' pool does: that is what makes COW per write
   * fall as a save goes on (measured on redis-server 7.0.15: docs/cow-fidelity.md).
   */
  private scanAtFork(): number {
    const ks = this.server.ks;
    const A = this.server.mem.A;
    const page = this.cfg.pageSize;
    // RDB_OPCODE_FREQ + 1 byte under LFU policies; RDB_OPCODE_IDLE + a length-encoded idle time under LRU
    const lruField = this.server.lfu ? 2 : this.server.cfg.maxmemoryPolicy.includes("lru") ? 3 : 0;
    const pool = new Map<number, number>();
    const add = (c: number) => pool.set(c, (pool.get(c) ?? 0) + c);
    const entry = A(DICT_ENTRY_SIZE);
    let b = 100;
    let buckets = 0;
    for (const db of ks.dbs) {
      if (db.allN > 0) b += 6;
      buckets += db.main.bytes + db.expires.bytes;
      for (let i = 0; i < db.allN; i++) {
        const k = db.all[2 * i];
        const r = k * REC;
        const meta = ks.rec[r + R_META];
        const klen = meta & 0xffff;
        const vlen = ks.rec[r + R_VALLEN];
        b += 1 + lenPrefix(klen) + klen + lenPrefix(vlen) + vlen + lruField;
        add(entry);
        add(A(sdsAllocSize(klen)));
        this.valueAllocs((meta >>> 16) & 0xff, vlen, add);
        if (ks.rec[r + R_VOLPOS] !== NO_KEY) {
          b += 9;
          add(entry);
        }
      }
    }
    this.poolBase.clear();
    this.poolPages.clear();
    let base = 0;
    for (const c of [...pool.keys()].sort((x, y) => x - y)) {
      const n = Math.max(1, Math.ceil(pool.get(c)! / page));
      this.poolBase.set(c, base);
      this.poolPages.set(c, n);
      base += n;
    }
    this.bucketBase = base;
    this.bucketPages = Math.max(1, Math.ceil(buckets / page));
    this.pageCount = base + this.bucketPages;
    return b;
  }

  /** The allocations of a string value of encoding `enc` (memory.ts): robj and/or sds size classes. */
  private valueAllocs(enc: number, vlen: number, visit: (sizeClass: number) => void): void {
    const A = this.server.mem.A;
    if (enc === ENC_SHARED) return;
    if (enc === ENC_INT) visit(A(ROBJ_SIZE));
    else if (enc === ENC_EMBSTR) visit(A(ROBJ_SIZE + 3 + vlen + 1));
    else {
      visit(A(ROBJ_SIZE));
      visit(A(sdsAllocSize(vlen)));
    }
  }

  /**
   * A write (`write`: SET, with the new value's encoding and length) or a delete (eviction, expiry,
   * DEL) of `key` while the child runs: the pages it writes. Any write or delete changes the key's dict
   * entry (its value pointer, or the chain it is unlinked from) and, when the key is added or removed,
   * its bucket; a SET allocates its value (robj and sds) in slots freed earlier, so in pages of the
   * fork's pools; a new key also allocates its key sds. Frees write jemalloc's out-of-line metadata,
   * not the data pages. Which page in a pool: a hash of the key and of the time, since a freed slot
   * anywhere in the pool may be reused.
   */
  cowTouch(key: number, write: boolean, isNew: boolean, klen: number, enc: number, vlen: number): void {
    const A = this.server.mem.A;
    let h = Math.imul(key ^ this.hashSalt, 0x9e3779b1);
    h ^= h >>> 15;
    this.region(A(DICT_ENTRY_SIZE), h);
    if (isNew || !write) this.mark(this.bucketBase + ((Math.imul(h, 0x85ebca6b) >>> 0) % this.bucketPages));
    if (write) {
      // a fresh slot: a different place at each write of the key
      let g = Math.imul(h ^ (this.sim.now | 0) ^ this.writes, 0xc2b2ae35);
      g ^= g >>> 13;
      if (isNew) this.region(A(sdsAllocSize(klen)), Math.imul(g, 0x27d4eb2f));
      this.valueAllocs(enc, vlen, (c) => {
        g = Math.imul(g ^ c, 0x9e3779b1);
        g ^= g >>> 16;
        this.region(c, g);
      });
    }
    const cow = this.cowBytes;
    if (cow > this.cowPeak) {
      this.cowPeak = cow;
      if (cow > this.cowPeakRun) this.cowPeakRun = cow;
      const rss = this.rssParent + cow;
      if (rss > this.rssPeakRun) this.rssPeakRun = rss;
    }
    if (this.cfg.hostMemory > 0) this.checkHostMemory();
  }

  /** One allocation of size class `c` at a slot chosen by hash `h` in its pool: the pages it spans. */
  private region(c: number, h: number): void {
    const pages = this.poolPages.get(c);
    if (pages === undefined) return; // a size class the dataset did not use at fork: new memory, not shared
    const page = this.cfg.pageSize;
    const slots = Math.max(1, Math.floor((pages * page) / c));
    const start = ((h >>> 0) % slots) * c;
    const base = this.poolBase.get(c)!;
    const last = Math.min(pages - 1, Math.floor((start + c - 1) / page));
    for (let p = Math.floor(start / page); p <= last; p++) this.mark(base + p);
  }

  private mark(p: number): void {
    if (this.pages[p] === 0) {
      this.pages[p] = 1;
      this.dirtyPages++;
    }
  }

  /** Current copy-on-write bytes of the running child (0 without one). */
  get cowBytes(): number {
    return this.child === CHILD_NONE ? 0 : Math.min(CHILD_OWN_BYTES + this.dirtyPages * this.cfg.pageSize, this.usedAtFork);
  }

  /** used_memory_rss as modelled: used × fragmentation + the AOF buffer (the parent's pages). */
  get rssParent(): number {
    return Math.round(this.server.used * this.cfg.fragmentationRatio) + this.aofBuf;
  }

  private checkHostMemory(): void {
    if (this.cfg.hostMemory > 0 && this.child !== CHILD_NONE && this.rssParent + this.cowBytes > this.cfg.hostMemory) {
      // the OOM killer kills the child: the save fails
      this.oomKills++;
      this.endChild(false, true);
    }
  }

  private childDone(gen: number): void {
    if (gen !== this.childGen || this.child === CHILD_NONE) return;
    this.endChild(true, false);
  }

  private endChild(ok: boolean, killed: boolean): void {
    const s = this.server;
    const kind = this.child;
    this.child = CHILD_NONE;
    this.childGen++;
    s.childActive = false;
    s.resizePolicy = RESIZE_ENABLE;
    if (kind === CHILD_RDB) {
      if (ok) {
        this.rdbSaves++;
        this.lastBgsaveOk = true;
        this.lastsave = this.sim.now;
        this.dirty -= this.dirtyAtFork;
        this.rdbLastCowSize = this.cowPeak;
        this.rdbHasFile = true;
        this.rdbDurableWrites = this.writesAtFork;
        this.rdbDurableTime = this.forkTime;
      } else if (killed) {
        this.rdbFailed++;
        this.lastBgsaveOk = false;
      }
      if (this.aofRewriteScheduled) {
        this.aofRewriteScheduled = false;
        this.fork(CHILD_AOF);
      }
    } else if (kind === CHILD_AOF && ok) {
      this.aofRewrites++;
      this.aofLastCowSize = this.cowPeak;
      this.aofBaseSize = this.childRdbBytes;
      // the new base is the child's RDB preamble; what was appended since the fork is the new incr file
      this.aofSize = this.childRdbBytes + (this.aofSize - this.aofSizeAtFork);
      this.aofIncrCommands = this.writes - this.writesAtFork;
    }
  }

  get childEndUs(): number {
    return this.childEnd;
  }
}

function lenPrefix(n: number): number {
  return n < 64 ? 1 : n < 16384 ? 2 : n < 2 ** 32 ? 5 : 9;
}


/** One RESP bulk string of n bytes: $<n>\r\n<bytes>\r\n. */
const bulk = (n: number) => 1 + digits(n) + 2 + n + 2;

/** Protocol bytes of SET key value [PXAT ms] / DEL key as appended to the AOF (RESP multibulk, "*N\r\n" first). */
export function setProtoBytes(klen: number, vlen: number, ttl: boolean): number {
  return 4 + bulk(3) + bulk(klen) + bulk(vlen) + (ttl ? bulk(4) + bulk(13) : 0);
}

export function delProtoBytes(klen: number): number {
  return 4 + bulk(3) + bulk(klen);
}
