import type { Rng } from "../core/random.ts";
import type { Sim } from "../core/sim.ts";
import { latencyHistogram } from "../metrics/histogram.ts";
import { Aof } from "./persistence/aof.ts";
import type { PersistencePlan } from "./persistence/config.ts";
import { Durability } from "./persistence/durability.ts";
import { Fork } from "./persistence/fork.ts";
import { Rdb } from "./persistence/rdb.ts";
import { CHILD_AOF, CHILD_NONE, CHILD_RDB, PersistenceState, type PersistedServer } from "./persistence/state.ts";

export { APPENDFSYNC, APPENDFSYNC_DEFAULT, FSYNC_ALWAYS, FSYNC_CODE, FSYNC_EVERYSEC, FSYNC_NO, type AppendFsync, type PersistencePlan } from "./persistence/config.ts";
export { delProtoBytes, setProtoBytes } from "./persistence/aof.ts";
export { CHILD_AOF, CHILD_NONE, CHILD_RDB, type PersistedServer } from "./persistence/state.ts";

/*
 * Persistence costs (Redis 7.0's rdb.c, aof.c and server.c; Redis's persistence and latency docs): RDB
 * snapshots (save points, BGSAVE), the fork stall, the child's duration, copy-on-write, AOF with appendfsync always / everysec /
 * no, AOF rewrite, and what a crash loses and how long the restart's load takes.
 *
 * What we model, and what we simplify:
 * - fork() blocks the main thread for used_memory × ms-per-GB (latency.md's table; the preset names are
 *   its platforms). Commands that arrive during the stall wait for it.
 * - The child runs for max(used_memory / save-speed, rdb bytes / disk write speed) (docs/persistence-model.md §A4). While it exists
 *   no key's LRU/LFU is touched and dicts do not resize (server.c updateDictResizePolicy: AVOID).
 * - Copy-on-write, page-accurate in the way docs/persistence-model.md §A3 recommends: at fork the dataset is laid out as one pool
 *   of pages per jemalloc size class (entries, key sds, robjs, each value class) plus the bucket arrays
 *   (scanAtFork); a write or delete of a key while the child runs dirties the pages it writes there
 *   (cowTouch: its dict entry, and for a SET a new robj and value sds at slots anywhere in their pools).
 *   A newly dirtied page adds page-size bytes; the child's own ~1.1 MB comes on top; COW is capped at
 *   the dataset, reads dirty nothing, and with 2 MiB pages a few thousand writes dirty nearly
 *   everything. Checked against redis-server 7.0.15 in docs/cow-fidelity.md. Not modelled: the 7.0
 *   child's MADV_DONTNEED of values > 2 KiB it has written (COW of big values is ~2.3× too high),
 *   allocator metadata pages.
 * - RSS = used_memory × fragmentation ratio + COW (+ the AOF buffer). maxmemory never sees COW (docs/persistence-model.md §A7).
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

/*
 * The parts, split as Redis splits them: persistence/rdb.ts (rdb.c: save points, BGSAVE bookkeeping,
 * the file's size), persistence/aof.ts (aof.c: append, write and fsync per appendfsync, rewrite),
 * persistence/fork.ts (server.c redisFork and childinfo.c: the stall, the child, copy-on-write),
 * persistence/durability.ts (what a crash keeps, the load time), persistence/state.ts (what they share,
 * and the view of the server they need), persistence/config.ts (the configuration). This class wires
 * them: the server's command path (afterWrite, readReply, writesDenied, cowTouch, noteBorn), serverCron
 * (cron), the BGSAVE / BGREWRITEAOF commands, checkChildrenDone (endChild), and a restart or crash.
 */
export class Persistence {
  readonly cfg: PersistencePlan;
  private readonly server: PersistedServer;
  private readonly sim: Sim;
  private readonly evChildDone: number;
  private readonly st = new PersistenceState();
  private readonly rdb: Rdb;
  private readonly aof: Aof;
  private readonly forker: Fork;
  private readonly durability: Durability;

  /** Writes killed by the host's OOM killer (the child), and writes refused with -MISCONF (counted by the server). */
  oomKills = 0;
  misconfRejected = 0;

  readonly writeLatency = latencyHistogram();
  readonly intervalWriteLatency = latencyHistogram();

  constructor(cfg: PersistencePlan, server: PersistedServer, sim: Sim, rng: Rng, hashSalt: number) {
    this.cfg = cfg;
    this.server = server;
    this.sim = sim;
    this.evChildDone = sim.on((gen) => this.childDone(gen));
    this.rdb = new Rdb(cfg, this.st);
    this.aof = new Aof(cfg, this.st, sim, rng);
    this.forker = new Fork(cfg, this.st, server, () => this.rssParent, hashSalt);
    this.durability = new Durability(cfg, this.st, sim, server, this.rdb, this.aof);
    this.aof.start();
  }

  // ---- INFO persistence / stats fields ----
  /** rdb_changes_since_last_save (server.dirty). */
  get dirty(): number {
    return this.rdb.dirty;
  }
  /** rdb_last_save_time, µs. */
  get lastsave(): number {
    return this.rdb.lastsave;
  }
  get lastBgsaveOk(): boolean {
    return this.rdb.lastBgsaveOk;
  }
  get lastBgsaveTry(): number {
    return this.rdb.lastBgsaveTry;
  }
  get rdbSaves(): number {
    return this.rdb.saves;
  }
  get rdbFailed(): number {
    return this.rdb.failed;
  }
  get rdbLastCowSize(): number {
    return this.rdb.lastCowSize;
  }
  get aofRewrites(): number {
    return this.aof.rewrites;
  }
  get aofLastCowSize(): number {
    return this.aof.lastCowSize;
  }
  get aofDelayedFsync(): number {
    return this.aof.delayedFsync;
  }
  /** The AOF's size now and after the last rewrite (bytes). */
  get aofSize(): number {
    return this.aof.size;
  }
  get aofBaseSize(): number {
    return this.aof.baseSize;
  }
  /** Writes appended to the AOF since the last rewrite (the incr file's commands). */
  get aofIncrCommands(): number {
    return this.aof.incrCommands;
  }
  get aofRewriteScheduled(): boolean {
    return this.aof.rewriteScheduled;
  }
  /** Bytes in aof_buf (mem_aof_buffer). */
  get aofBuf(): number {
    return this.aof.buf;
  }
  get fsyncLatency() {
    return this.aof.fsyncLatency;
  }
  get intervalFsyncLatency() {
    return this.aof.intervalFsyncLatency;
  }
  get totalForks(): number {
    return this.forker.totalForks;
  }
  get latestForkUs(): number {
    return this.forker.latestForkUs;
  }
  get forksThisInterval(): number {
    return this.forker.forksThisInterval;
  }
  /** The running child (CHILD_NONE, CHILD_RDB, CHILD_AOF). */
  get child(): number {
    return this.st.child;
  }
  /** Largest COW of the running (or last) child; of any child; largest RSS + COW while one ran. */
  get cowPeak(): number {
    return this.forker.cowPeak;
  }
  get cowPeakRun(): number {
    return this.forker.cowPeakRun;
  }
  get rssPeakRun(): number {
    return this.forker.rssPeakRun;
  }
  /** Acknowledged write commands. */
  get writes(): number {
    return this.st.writes;
  }
  /** When the running (or last) child ends, µs. */
  get childEndUs(): number {
    return this.forker.end;
  }
  /** Current copy-on-write bytes of the running child (0 without one). */
  get cowBytes(): number {
    return this.forker.cowBytes;
  }
  /** used_memory_rss as modelled: used × fragmentation + the AOF buffer (the parent's pages). */
  get rssParent(): number {
    return Math.round(this.server.used * this.cfg.fragmentationRatio) + this.aof.buf;
  }

  /** Whether a restart loads data: save points, AOF, or a snapshot taken by a BGSAVE / SHUTDOWN. */
  get enabled(): boolean {
    return this.durability.enabled;
  }

  // ============================== the command path ==============================

  /** writeCommandsDeniedByDiskError: -MISCONF after a failed bgsave while save points exist. */
  writesDenied(): boolean {
    return this.rdb.writesDenied();
  }

  /**
   * After a write command executed now on `key` (`protoBytes` of AOF): dirty, durability, AOF; returns
   * when its reply leaves (µs), after any stall and, under appendfsync always, the group's fsync.
   */
  afterWrite(key: number, protoBytes: number): number {
    const now = this.sim.now;
    const st = this.st;
    this.rdb.dirty++;
    st.writes++;
    let reply = (st.blockedUntil > now ? st.blockedUntil : now) + this.cfg.commandUs;
    if (this.cfg.appendonly) reply = this.aof.feed(now, protoBytes, reply);
    const lat = Math.max(1, Math.round(reply - now));
    this.writeLatency.recordValue(lat);
    this.intervalWriteLatency.recordValue(lat);
    return reply;
  }

  /** When a read arriving now is answered (after any stall of the main thread). */
  readReply(now: number): number {
    const b = this.st.blockedUntil;
    return (b > now ? b : now) + this.cfg.commandUs;
  }

  /** A write (SET) or delete of `key` while a child runs: the pages it dirties (fork.ts), and the host's OOM killer. */
  cowTouch(key: number, write: boolean, isNew: boolean, klen: number, enc: number, vlen: number): void {
    this.forker.touch(key, write, isNew, klen, enc, vlen, this.sim.now);
    if (this.cfg.hostMemory > 0) this.checkHostMemory();
  }

  /** A key was added to the keyspace now (not an overwrite). */
  noteBorn(key: number): void {
    this.durability.noteBorn(key);
  }

  /** Writes not yet durable (power loss now would lose them). */
  atRisk(): number {
    return this.durability.atRisk();
  }

  // ============================== serverCron, BGSAVE, BGREWRITEAOF, children ==============================

  /** serverCron's persistence part: save points and the AOF rewrite trigger (no child running). */
  cron(): void {
    if (this.st.child !== CHILD_NONE) {
      this.checkHostMemory();
      return;
    }
    if (this.aof.rewriteScheduled) {
      this.aof.rewriteScheduled = false;
      this.fork(CHILD_AOF);
      return;
    }
    if (this.rdb.savePointDue(this.sim.now)) {
      this.fork(CHILD_RDB);
      return;
    }
    if (this.aof.rewriteDue()) this.fork(CHILD_AOF);
  }

  /** BGSAVE (manual): starts now; refused (as Redis replies an error) while a child exists. */
  bgsave(): void {
    if (this.st.child === CHILD_NONE) this.fork(CHILD_RDB);
  }

  /** BGREWRITEAOF: starts now, or is scheduled after a running BGSAVE. */
  bgrewriteaof(): void {
    if (this.st.child === CHILD_NONE) this.fork(CHILD_AOF);
    else if (this.st.child === CHILD_RDB) this.aof.rewriteScheduled = true;
  }

  /** rdbSaveBackground / rewriteAppendOnlyFileBackground: fork a child of `kind` now. */
  private fork(kind: number): void {
    const now = this.sim.now;
    this.forker.fork(kind, now);
    this.rdb.forked(kind === CHILD_RDB, now);
    this.aof.forked(now);
    this.sim.at(this.forker.end, this.evChildDone, this.forker.gen);
  }

  private checkHostMemory(): void {
    if (this.cfg.hostMemory > 0 && this.st.child !== CHILD_NONE && this.rssParent + this.cowBytes > this.cfg.hostMemory) {
      // the OOM killer kills the child: the save fails
      this.oomKills++;
      this.endChild(false, true);
    }
  }

  private childDone(gen: number): void {
    if (gen !== this.forker.gen || this.st.child === CHILD_NONE) return;
    this.endChild(true, false);
  }

  /**
   * checkChildrenDone: the child ended (`ok`), was killed by the OOM killer (`killed`), or died with its
   * parent (neither); then backgroundSaveDoneHandler or backgroundRewriteDoneHandler. A rewrite scheduled
   * behind a BGSAVE starts when it ends. (bench/cow-fidelity.ts and test/docs-figures.test.ts wrap this
   * method to read the child's ledger: writes, writesAtFork, childStart, childEnd, dirtyPages, pageCount,
   * poolPages.)
   */
  private endChild(ok: boolean, killed: boolean): void {
    const f = this.forker;
    const kind = f.exit();
    if (kind === CHILD_RDB) {
      this.rdb.saveDone(ok, killed, this.sim.now, f.cowPeak, f.writesAtFork, f.forkTime);
      if (this.aof.rewriteScheduled) {
        this.aof.rewriteScheduled = false;
        this.fork(CHILD_AOF);
      }
    } else if (kind === CHILD_AOF && ok) this.aof.rewriteDone(f.cowPeak, f.rdbBytes, f.writesAtFork);
  }

  // the running (or last) child's ledger, for the instrumentation that wraps endChild
  private get writesAtFork(): number {
    return this.forker.writesAtFork;
  }
  private get childStart(): number {
    return this.forker.start;
  }
  private get childEnd(): number {
    return this.forker.end;
  }
  private get dirtyPages(): number {
    return this.forker.dirtyPages;
  }
  private get pageCount(): number {
    return this.forker.pageCount;
  }
  private get poolPages(): ReadonlyMap<number, number> {
    return this.forker.poolPages;
  }

  // ============================== restart and crash ==============================

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
      saveUs = this.rdb.saveUs(s.used);
      this.snapshotNow();
      this.afterRestart();
    } else {
      const dp = this.durability.durablePoint(powerLoss);
      writesLost = this.st.writes - dp.writes;
      // the child dies with its parent (before the keys go, so that their deletion copies no page)
      this.afterRestart();
      this.durability.dropNotDurable(dp.time);
    }
    return { saveUs, writesLost, loadUs: this.loadTimeUs(s.ks.keys, Math.max(0, s.used - s.mem.startup)) };
  }

  /** The main thread is busy until `tUs` (the restarted server serves from then on). */
  blockUntil(tUs: number): void {
    this.st.blockedUntil = tUs;
  }

  /** Load time (µs) of the persisted dataset of `keys` keys and `bytes` bytes. */
  loadTimeUs(keys: number, bytes: number): number {
    return this.durability.loadTimeUs(keys, bytes);
  }

  /** After a restart: the child is gone, buffers empty, the durable state is the loaded file. */
  afterRestart(): void {
    if (this.st.child !== CHILD_NONE) this.endChild(false, false);
    const now = this.sim.now;
    this.st.blockedUntil = now;
    this.aof.afterRestart(now);
    this.rdb.afterRestart(now);
    this.durability.afterRestart();
  }

  /** SHUTDOWN with save points (or SAVE): a synchronous snapshot of everything now. */
  private snapshotNow(): void {
    const now = this.sim.now;
    this.rdb.snapshotNow(now);
    this.aof.snapshotNow(now);
  }
}
