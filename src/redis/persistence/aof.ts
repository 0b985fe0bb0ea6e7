import type { Rng } from "../../core/random.ts";
import type { Sim } from "../../core/sim.ts";
import { latencyHistogram } from "../../metrics/histogram.ts";
import { digits } from "../../core/digits.ts";
import { FSYNC_ALWAYS, FSYNC_EVERYSEC, FSYNC_NO, type PersistencePlan } from "./config.ts";
import { CHILD_NONE, type PersistenceState } from "./state.ts";

/*
 * The append-only file (aof.c): each write command appended (feedAppendOnlyFile), the buffer written
 * and fsynced per appendfsync (flushAppendOnlyFile: always, everysec with its postponement and
 * aof_delayed_fsync, no: the kernel's writeback), the automatic rewrite's trigger and its end
 * (backgroundRewriteDoneHandler), and what the file holds after a crash. The rewrite's fork is fork.ts.
 */

/** Postponed everysec write gives up waiting after 2 s (7.4+: 2000 ms). */
const AOF_POSTPONE_US = 2_000_000;
/** Kernel writeback: pages dirty for 30 s (dirty_expire_centisecs) written by the flusher every 5 s. */
const WRITEBACK_AGE_US = 30_000_000;
const WRITEBACK_PERIOD_US = 5_000_000;

/** One RESP bulk string of n bytes: $<n>\r\n<bytes>\r\n. */
const bulk = (n: number) => 1 + digits(n) + 2 + n + 2;

/** Protocol bytes of SET key value [PXAT ms] / DEL key as appended to the AOF (RESP multibulk, "*N\r\n" first). */
export function setProtoBytes(klen: number, vlen: number, ttl: boolean): number {
  return 4 + bulk(3) + bulk(klen) + bulk(vlen) + (ttl ? bulk(4) + bulk(13) : 0);
}

export function delProtoBytes(klen: number): number {
  return 4 + bulk(3) + bulk(klen);
}

export class Aof {
  private readonly cfg: PersistencePlan;
  private readonly st: PersistenceState;
  private readonly sim: Sim;
  private readonly rng: Rng;
  private readonly evFsyncDone: number;
  private readonly evSecond: number;
  private readonly evPostponeCheck: number;

  /** The AOF's size now and after the last rewrite (bytes). */
  size = 0;
  baseSize = 0;
  /** Writes appended to the AOF since the last rewrite (the incr file's commands). */
  incrCommands = 0;
  /** A BGREWRITEAOF waiting for the running BGSAVE (aof_rewrite_scheduled). */
  rewriteScheduled = false;
  rewrites = 0;
  /** aof_last_cow_size. */
  lastCowSize = 0;
  /** aof_delayed_fsync. */
  delayedFsync = 0;
  /** Bytes in aof_buf (written to the file at the next iteration; accumulates while postponed). */
  buf = 0;
  private sizeAtFork = 0;

  /** AOF durable point (writes, time). */
  private durableWrites = 0;
  private durableTime = 0;
  /** everysec: the fsync in flight (end time, −1 = none), what it covers, postponement start. */
  private fsyncEnd = -1;
  private fsyncCoversWrites = 0;
  private fsyncCoversTime = 0;
  private postponedSince = -1;
  private fsyncGen = 0;
  /** everysec: acknowledged writes when the current postponement began. */
  private writesAtPostpone = 0;
  /** always: the latest group commit (when its first write arrived, its fsync start and end) and the one before. */
  private groupStart = -1;
  private groupEnd = -1;
  private groupCreated = -1;
  private prevGroupEnd = -1;
  private prevGroupCreated = -1;
  /** no: writes by second, for the 30 s writeback. */
  private wbTimes: number[] = [];
  private wbWrites: number[] = [];

  readonly fsyncLatency = latencyHistogram();
  readonly intervalFsyncLatency = latencyHistogram();

  constructor(cfg: PersistencePlan, st: PersistenceState, sim: Sim, rng: Rng) {
    this.cfg = cfg;
    this.st = st;
    this.sim = sim;
    this.rng = rng;
    this.evFsyncDone = sim.on(() => this.fsyncDone());
    this.evSecond = sim.on(() => this.everySecond());
    this.evPostponeCheck = sim.on((gen) => this.postponeCheck(gen));
  }

  /** Starts the once-a-second tick (serverCron's flushAppendOnlyFile for everysec; the writeback record for no). */
  start(): void {
    if (this.cfg.appendonly && this.cfg.appendfsync !== FSYNC_ALWAYS) this.sim.after(1_000_000, this.evSecond);
  }

  /** Whether no-appendfsync-on-rewrite suspends fsync now (a child exists). */
  private noFsyncNow(): boolean {
    return this.cfg.noAppendfsyncOnRewrite && this.st.child !== CHILD_NONE;
  }

  /**
   * feedAppendOnlyFile + flushAppendOnlyFile for a write executed now (`protoBytes` of protocol) whose
   * reply would leave at `reply`: returns when it leaves (under always, after its group's fsync).
   */
  feed(now: number, protoBytes: number, reply: number): number {
    this.size += protoBytes;
    this.incrCommands++;
    const f = this.cfg.appendfsync;
    if (f === FSYNC_ALWAYS && !this.noFsyncNow()) return this.groupCommit(now);
    if (f === FSYNC_ALWAYS) {
      // no-appendfsync-on-rewrite: no fsync while a child exists; durable like `no`
      this.noteWriteback(now);
    } else if (f === FSYNC_EVERYSEC && this.fsyncEnd > now && this.st.blockedUntil < this.fsyncEnd && !this.noFsyncNow()) {
      // the background fsync is still running: the write() is postponed (aof_buf grows); if it still
      // runs 2 s later, Redis writes anyway and the main thread blocks until the fsync ends
      if (this.postponedSince < 0) {
        this.postponedSince = now;
        this.writesAtPostpone = this.st.writes - 1;
        this.sim.at(now + AOF_POSTPONE_US, this.evPostponeCheck, this.fsyncGen);
      }
      this.buf += protoBytes;
    } else if (f === FSYNC_NO) this.noteWriteback(now);
    return reply;
  }

  /**
   * appendfsync always: the write joins the iteration whose write+fsync has not started yet, or starts
   * one (when the thread is free, at once; else when the current fsync ends). Returns the reply time.
   */
  private groupCommit(now: number): number {
    if (this.groupStart > now) return this.groupEnd; // joins the open group
    const st = this.st;
    const start = st.blockedUntil > now ? st.blockedUntil : now;
    const d = this.cfg.fsync.sample(this.rng);
    this.prevGroupEnd = this.groupEnd;
    this.prevGroupCreated = this.groupCreated;
    this.groupCreated = now;
    this.groupStart = start;
    this.groupEnd = start + this.cfg.commandUs + d;
    st.blockedUntil = this.groupEnd;
    this.recordFsync(d);
    return this.groupEnd;
  }

  private noteWriteback(now: number): void {
    const sec = Math.floor(now / 1_000_000);
    const n = this.wbTimes.length;
    const writes = this.st.writes;
    if (n > 0 && this.wbTimes[n - 1] === sec) this.wbWrites[n - 1] = writes;
    else {
      this.wbTimes.push(sec);
      this.wbWrites.push(writes);
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
    if (this.noFsyncNow()) {
      this.noteWriteback(now);
      return;
    }
    // one background fsync at a time; the next starts at the first tick after it ends
    if (this.st.writes === this.durableWrites || this.fsyncEnd >= 0) return;
    this.startFsync(now);
  }

  /** 2 s after a postponement began: if that fsync still runs, write anyway and block until it ends. */
  private postponeCheck(gen: number): void {
    if (gen !== this.fsyncGen || this.postponedSince < 0 || this.fsyncEnd <= this.sim.now) return;
    this.delayedFsync++;
    if (this.fsyncEnd > this.st.blockedUntil) this.st.blockedUntil = this.fsyncEnd;
    this.postponedSince = -1;
    this.buf = 0;
  }

  private startFsync(now: number): void {
    this.fsyncGen++;
    const d = this.cfg.fsync.sample(this.rng);
    this.recordFsync(d);
    this.fsyncEnd = now + d;
    this.fsyncCoversWrites = this.st.writes;
    this.fsyncCoversTime = now;
    this.sim.at(this.fsyncEnd, this.evFsyncDone);
  }

  private fsyncDone(): void {
    this.fsyncEnd = -1;
    // a postponed write goes out now that the fsync is over
    this.postponedSince = -1;
    this.buf = 0;
    this.durableWrites = this.fsyncCoversWrites;
    this.durableTime = this.fsyncCoversTime;
  }

  // ---- rewrite ----

  /** serverCron: auto-aof-rewrite-percentage of growth over the last rewrite's size, above auto-aof-rewrite-min-size. */
  rewriteDue(): boolean {
    const c = this.cfg;
    if (c.appendonly && c.autoAofRewritePercentage > 0 && this.size > c.autoAofRewriteMinSize) {
      const base = this.baseSize > 0 ? this.baseSize : 1;
      if (((this.size - base) * 100) / base >= c.autoAofRewritePercentage) return true;
    }
    return false;
  }

  /** At a fork (of either child): the file's size then; under always every acknowledged write was fsynced. */
  forked(now: number): void {
    if (this.cfg.appendonly && this.cfg.appendfsync === FSYNC_ALWAYS) {
      // every acknowledged write so far was fsynced (for no-appendfsync-on-rewrite's durable point)
      this.durableWrites = this.st.writes;
      this.durableTime = now;
    }
    this.sizeAtFork = this.size;
  }

  /**
   * backgroundRewriteDoneHandler: the new base is the child's RDB preamble (`rdbBytes`); what was
   * appended since the fork is the new incr file.
   */
  rewriteDone(cowPeak: number, rdbBytes: number, writesAtFork: number): void {
    this.rewrites++;
    this.lastCowSize = cowPeak;
    this.baseSize = rdbBytes;
    this.size = rdbBytes + (this.size - this.sizeAtFork);
    this.incrCommands = this.st.writes - writesAtFork;
  }

  // ---- durability ----

  /**
   * What the AOF holds after a crash now (see durability.ts): the writes that survive, and the time T
   * such that the writes made before T survive.
   */
  durablePoint(powerLoss: boolean, now: number): { writes: number; time: number } {
    const f = this.cfg.appendfsync;
    const writes = this.st.writes;
    if (!powerLoss) {
      // a process crash: what write() handed to the kernel survives; aof_buf (postponed) does not
      if (f === FSYNC_EVERYSEC && this.postponedSince >= 0) return { writes: this.writesAtPostpone, time: this.postponedSince };
      return { writes, time: now };
    }
    const noFsync = f === FSYNC_NO || this.noFsyncNow();
    if (f === FSYNC_ALWAYS && !noFsync) {
      // every acknowledged write was fsynced before its reply: none is lost. The writes of groups
      // whose fsync has not finished were never acknowledged; their keys are not in the file.
      let time = now;
      if (this.groupEnd > now) time = this.prevGroupEnd > now && this.groupStart > now ? this.prevGroupCreated : this.groupCreated;
      return { writes, time };
    }
    if (f === FSYNC_EVERYSEC && !noFsync) return { writes: this.durableWrites, time: this.durableTime };
    // kernel writeback: pages older than 30 s, written every 5 s (and, under no-appendfsync-on-rewrite,
    // whatever the fsyncs before the child made durable)
    const cutoff = Math.floor((now - WRITEBACK_AGE_US) / WRITEBACK_PERIOD_US) * WRITEBACK_PERIOD_US;
    const wb = { writes: this.writesAt(cutoff), time: Math.max(0, cutoff) };
    if (f !== FSYNC_NO && this.durableWrites > wb.writes) return { writes: this.durableWrites, time: this.durableTime };
    return wb;
  }

  /** Writes acknowledged by time t (from the per-second history; before it, 0). */
  private writesAt(t: number): number {
    const sec = Math.floor(t / 1_000_000);
    let w = 0;
    // the entry of second s holds the writes made up to its last write, all before t when s < t's second
    for (let i = 0; i < this.wbTimes.length && this.wbTimes[i] < sec; i++) w = this.wbWrites[i];
    return w;
  }

  /** SHUTDOWN: the buffer written and fsynced; everything acknowledged is in the file. */
  snapshotNow(now: number): void {
    this.durableWrites = this.st.writes;
    this.durableTime = now;
  }

  /** A restarted process: no fsync in flight, empty buffer, the file is what it loaded. */
  afterRestart(now: number): void {
    this.fsyncEnd = -1;
    this.postponedSince = -1;
    this.buf = 0;
    this.groupStart = this.groupEnd = -1;
    this.durableWrites = this.st.writes;
    this.durableTime = now;
    this.wbTimes = [];
    this.wbWrites = [];
  }
}
