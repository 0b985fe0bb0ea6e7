import type { PersistencePlan } from "./config.ts";
import type { PersistenceState } from "./state.ts";

/*
 * RDB snapshots (rdb.c): the save points serverCron checks, the bookkeeping of a BGSAVE
 * (rdbSaveBackground, backgroundSaveDoneHandler), the synchronous SAVE of a SHUTDOWN (rdbSave), the
 * durable point of the RDB file, and the size of the file (rdbSaveKeyValuePair per key, docs/persistence-model.md §A4).
 * The fork itself and copy-on-write are fork.ts.
 */

/** CONFIG_BGSAVE_RETRY_DELAY: a failed bgsave is retried by save points after 5 s. */
const BGSAVE_RETRY_DELAY_US = 5_000_000;

/** The RDB file's header and trailer (magic, version, aux fields, EOF, checksum), bytes. */
export const RDB_HEADER_BYTES = 100;
/** RDB_OPCODE_SELECTDB + RDB_OPCODE_RESIZEDB of a database that holds keys, bytes. */
export const RDB_SELECTDB_BYTES = 6;
/** RDB_OPCODE_EXPIRETIME_MS + an 8-byte time, bytes. */
export const RDB_EXPIRE_BYTES = 9;

/** rdbSaveLen: the length prefix of a string of n bytes. */
export function rdbLenBytes(n: number): number {
  return n < 64 ? 1 : n < 16384 ? 2 : n < 2 ** 32 ? 5 : 9;
}

/** RDB_OPCODE_FREQ + 1 byte under LFU policies; RDB_OPCODE_IDLE + a length-encoded idle time under LRU. */
export function rdbLruFieldBytes(lfu: boolean, maxmemoryPolicy: string): number {
  return lfu ? 2 : maxmemoryPolicy.includes("lru") ? 3 : 0;
}

/** One string key in the file: type, key, value and the LRU/LFU field (without its expire). */
export function rdbKeyBytes(klen: number, vlen: number, lruField: number): number {
  return 1 + rdbLenBytes(klen) + klen + rdbLenBytes(vlen) + vlen + lruField;
}

export class Rdb {
  private readonly cfg: PersistencePlan;
  private readonly st: PersistenceState;

  /** rdb_changes_since_last_save (server.dirty). */
  dirty = 0;
  /** rdb_last_save_time, µs. */
  lastsave = 0;
  lastBgsaveOk = true;
  lastBgsaveTry = -Infinity;
  /** Completed and failed (killed) background saves. */
  saves = 0;
  failed = 0;
  /** rdb_last_cow_size. */
  lastCowSize = 0;
  /** Whether an RDB file exists (a save completed, or save points made a restart load one). */
  hasFile = false;
  /** Durable point of the RDB file: writes and time at the fork of the last completed save. */
  durableWrites = 0;
  durableTime = -1;
  /** server.dirty at the fork (what a completed save subtracts). */
  private dirtyAtFork = 0;

  constructor(cfg: PersistencePlan, st: PersistenceState) {
    this.cfg = cfg;
    this.st = st;
  }

  /** writeCommandsDeniedByDiskError: -MISCONF after a failed bgsave while save points exist. */
  writesDenied(): boolean {
    return this.cfg.stopWritesOnBgsaveError && this.cfg.savePoints.length > 0 && !this.lastBgsaveOk;
  }

  /** serverCron: a save point is reached (and a failed save is not retried before CONFIG_BGSAVE_RETRY_DELAY). */
  savePointDue(now: number): boolean {
    for (const sp of this.cfg.savePoints) {
      if (this.dirty >= sp.changes && now - this.lastsave > sp.seconds * 1e6 && (this.lastBgsaveOk || now - this.lastBgsaveTry > BGSAVE_RETRY_DELAY_US)) return true;
    }
    return false;
  }

  /** At a fork (of either child): server.dirty as the child sees it; an RDB child is a bgsave try. */
  forked(rdbChild: boolean, now: number): void {
    if (rdbChild) this.lastBgsaveTry = now;
    this.dirtyAtFork = this.dirty;
  }

  /**
   * backgroundSaveDoneHandler: a completed save is the new file, durable up to its fork; a killed one
   * fails the save (lastbgsave_status err). `cowPeak` is the child's COW (rdb_last_cow_size).
   */
  saveDone(ok: boolean, killed: boolean, now: number, cowPeak: number, writesAtFork: number, forkTime: number): void {
    if (ok) {
      this.saves++;
      this.lastBgsaveOk = true;
      this.lastsave = now;
      this.dirty -= this.dirtyAtFork;
      this.lastCowSize = cowPeak;
      this.hasFile = true;
      this.durableWrites = writesAtFork;
      this.durableTime = forkTime;
    } else if (killed) {
      this.failed++;
      this.lastBgsaveOk = false;
    }
  }

  /** SHUTDOWN's synchronous SAVE (when save points exist): used_memory at the save speed, µs. */
  saveUs(used: number): number {
    return this.cfg.savePoints.length > 0 ? Math.round((used / this.cfg.saveBytesPerSec) * 1e6) : 0;
  }

  /** rdbSave (SHUTDOWN, SAVE): a file of everything now. */
  snapshotNow(now: number): void {
    this.hasFile = true;
    this.durableWrites = this.st.writes;
    this.durableTime = now;
    this.lastsave = now;
    this.dirty = 0;
  }

  /** A restarted process: its file is what it loaded; it has no failed bgsave. */
  afterRestart(now: number): void {
    this.dirty = 0;
    this.lastsave = now;
    this.durableWrites = this.st.writes;
    this.durableTime = now;
    // what was loaded is what the files hold; a fresh process has no failed bgsave
    this.hasFile = this.hasFile || this.cfg.savePoints.length > 0;
    this.lastBgsaveOk = true;
    this.lastBgsaveTry = -Infinity;
  }
}
