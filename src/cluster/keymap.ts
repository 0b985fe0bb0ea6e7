import { grownInto } from "../core/arrays.ts";
import type { RedisServer } from "../redis/server.ts";
import { keyHashSlot } from "./slots.ts";

/*
 * Where each key of a run with several servers lives. Request sources give keys dense run-wide ids; each
 * server numbers the keys it holds itself (its local ids, dense per server), so that a cluster of 100
 * masters holding 100 M keys keeps per-key arrays of 1 M entries on each server rather than 100 M on
 * every one. Per key the map keeps its hash slot (2 B), the master holding it (2 B) and its local id
 * there (4 B): 8 B a key beside the servers' own state.
 *
 * A new key goes to the master serving its slot (`owner`, the slot map: what a smart client caches); a
 * key that migrates (reshard) gets a new local id on its new master (`move`), its old one left unused.
 */
export class KeyMap {
  // (a KeyRegistry, workload/request.ts, by its shape: cluster/ is below workload/, which names keys with its slots)
  /** Slot → master index (the cluster's slot map; resharding changes it). */
  readonly owner: Uint16Array;
  readonly servers: RedisServer[];
  /** Per run-wide key id: hash slot, master, local id (−1: not defined yet). */
  slot = new Uint16Array(0);
  node = new Uint16Array(0);
  local = new Int32Array(0);
  /** Keys defined (the largest id + 1). */
  size = 0;
  /** Local ids handed out per master. */
  readonly nextLocal: number[];
  /** A key's name, for sources that do not give the slot themselves (trace readers). */
  nameOf: ((key: number) => string) | null = null;
  /** Routes a new key by this instead of its slot (several standalone servers; tests). */
  private readonly routeFn: ((key: number) => number) | null;

  constructor(servers: RedisServer[], owner: Uint16Array, route: ((key: number) => number) | null = null) {
    this.servers = servers;
    this.owner = owner;
    this.routeFn = route;
    this.nextLocal = servers.map(() => 0);
  }

  private ensure(n: number): void {
    if (n <= this.local.length) return;
    const cap = Math.max(n, Math.ceil(this.local.length * 1.5), 1024);
    this.slot = grownInto(this.slot, new Uint16Array(cap));
    this.node = grownInto(this.node, new Uint16Array(cap));
    const before = this.local.length;
    this.local = grownInto(this.local, new Int32Array(cap));
    this.local.fill(-1, before);
  }

  defineKey(key: number, db: number, keyLen: number, slot = -1): void {
    this.ensure(key + 1);
    if (key >= this.size) this.size = key + 1;
    const known = this.local[key];
    if (known >= 0) {
      this.servers[this.node[key]].defineKey(known, db, keyLen);
      return;
    }
    if (slot < 0) {
      if (this.routeFn === null && this.nameOf === null) throw new Error(`key ${key}: its hash slot is unknown (the request source gives neither the slot nor the name)`);
      slot = this.routeFn === null ? keyHashSlot(this.nameOf!(key)) : 0;
    }
    const node = this.routeFn === null ? this.owner[slot] : this.routeFn(key);
    const local = this.nextLocal[node]++;
    this.slot[key] = slot;
    this.node[key] = node;
    this.local[key] = local;
    this.servers[node].defineKey(local, db, keyLen);
  }

  /** The server holding key `key` now. */
  serverOf(key: number): RedisServer {
    return this.servers[this.node[key]];
  }

  /**
   * Moves key `key`'s identity to master `to` (a migration): a new local id there, declared with the
   * key's DB and name length. The caller copies the value and deletes it on the old master first.
   * Returns the new local id.
   */
  move(key: number, to: number): number {
    const from = this.servers[this.node[key]];
    const old = this.local[key];
    const local = this.nextLocal[to]++;
    this.servers[to].defineKey(local, from.ks.dbOf(old), from.ks.keyLenOf(old));
    this.node[key] = to;
    this.local[key] = local;
    return local;
  }

  /** A master added to the cluster (add-node): no slots yet. */
  addServer(server: RedisServer): number {
    this.servers.push(server);
    this.nextLocal.push(0);
    return this.servers.length - 1;
  }
}
