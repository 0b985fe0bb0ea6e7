import { grownInto } from "../../core/arrays.ts";
import type { Sim } from "../../core/sim.ts";
import type { Aof } from "./aof.ts";
import type { PersistencePlan } from "./config.ts";
import type { Rdb } from "./rdb.ts";
import type { PersistedServer, PersistenceState } from "./state.ts";

/*
 * What survives a crash, and how long the restart's load takes (rdbLoad, loadAppendOnlyFiles). The
 * durable point is the AOF's (aof.ts) with appendonly, else the RDB file's (rdb.ts), else nothing. A
 * crash keeps the keys that existed at the durable point (an overwrite after it leaves the older value
 * in the file: the key survives, with that value) and drops the keys created after it. Keys deleted
 * after the durable point are not brought back: a small undercount of what survives.
 */

/** RDB load: 1M keys/s + 500 MB/s (docs/persistence-model.md §B5 preset); AOF tail replay: 300k commands/s. */
const LOAD_KEYS_PER_SEC = 1_000_000;
const LOAD_BYTES_PER_SEC = 500e6;
const AOF_REPLAY_PER_SEC = 300_000;

export class Durability {
  private readonly cfg: PersistencePlan;
  private readonly st: PersistenceState;
  private readonly sim: Sim;
  private readonly server: PersistedServer;
  private readonly rdb: Rdb;
  private readonly aof: Aof;
  /** Per key: when it was last created (dbAdd), µs + 1 (0 = unknown). */
  private bornAt: Float64Array<ArrayBuffer> = new Float64Array(0);
  /** Acknowledged writes at the last restart (what an earlier crash already accounted for). */
  private writesAtRestart = 0;

  constructor(cfg: PersistencePlan, st: PersistenceState, sim: Sim, server: PersistedServer, rdb: Rdb, aof: Aof) {
    this.cfg = cfg;
    this.st = st;
    this.sim = sim;
    this.server = server;
    this.rdb = rdb;
    this.aof = aof;
  }

  /** Whether a restart loads data: save points, AOF, or a snapshot taken by a BGSAVE / SHUTDOWN. */
  get enabled(): boolean {
    return this.cfg.savePoints.length > 0 || this.cfg.appendonly || this.rdb.hasFile;
  }

  /**
   * The durable point for a crash now: the writes that survive, and the time T such that the writes made
   * before T survive (events at a time run before the requests at that time, so a fork or an fsync at T
   * covers exactly the writes before T). time −1 = nothing survives.
   */
  durablePoint(powerLoss: boolean): { writes: number; time: number } {
    if (this.cfg.appendonly) return this.aof.durablePoint(powerLoss, this.sim.now);
    if (this.rdb.hasFile) return { writes: this.rdb.durableWrites, time: this.rdb.durableTime };
    // nothing persisted: everything since the last (re)start is lost
    return { writes: this.writesAtRestart, time: -1 };
  }

  /** Writes not yet durable (power loss now would lose them). */
  atRisk(): number {
    return this.st.writes - this.durablePoint(true).writes;
  }

  /** A key was added to the keyspace now (not an overwrite). */
  noteBorn(key: number): void {
    if (key >= this.bornAt.length) this.bornAt = grownInto(this.bornAt, new Float64Array(Math.max(1024, key + 1, this.bornAt.length * 2)));
    this.bornAt[key] = this.sim.now + 1;
  }

  /** When `key` was created (µs), −1 if unknown. */
  bornAtOf(key: number): number {
    return key < this.bornAt.length && this.bornAt[key] > 0 ? this.bornAt[key] - 1 : -1;
  }

  /** After a crash whose durable point is `time`: the keys created after it are not in the files (−1: none is). */
  dropNotDurable(time: number): void {
    const s = this.server;
    if (time < 0) {
      s.flushall();
      return;
    }
    for (const db of s.ks.dbs)
      for (let i = db.allN - 1; i >= 0; i--) {
        const k = db.all[2 * i];
        if (this.bornAtOf(k) >= time) s.deleteKey(k);
      }
  }

  /** Load time (µs) of the persisted dataset of `keys` keys and `bytes` bytes. */
  loadTimeUs(keys: number, bytes: number): number {
    if (!this.enabled) return 0;
    let s = keys / LOAD_KEYS_PER_SEC + bytes / LOAD_BYTES_PER_SEC;
    if (this.cfg.appendonly) s += this.aof.incrCommands / AOF_REPLAY_PER_SEC;
    return Math.round(s * 1e6);
  }

  /** A restarted process: what it loaded is durable. */
  afterRestart(): void {
    this.writesAtRestart = this.st.writes;
  }
}
