import { cut, InputError } from "../errors.ts";
import { allocatorFn, type Allocator, type SizeClassFn } from "../redis/alloc.ts";
import { CLIENT_BYTES, DICT_ENTRY_SIZE, LATENCY_HISTOGRAM_BYTES, sdsAllocSize, startupUsedMemory } from "../redis/memory.ts";
import { formatBytes, formatDuration } from "../units.ts";
import { CONFIG_MAX_HZ, CONFIG_MIN_HZ, DEFAULT_REDIS_CONFIG } from "../redis/config.ts";
import { REDIS_POLICY_NAMES } from "../redis/policies.ts";
import type { InferredField } from "./redis-conf.ts";
import { valueLenFromValueBytes } from "./sizes.ts";

/*
 * The text of `INFO all` (or `INFO everything`, or `redis-cli info all > info.txt`) and what a scenario
 * can take from it. Pure: the caller reads the file.
 *
 * Format (server.c genRedisInfoString): sections headed `# Name`, lines `field:value`, `\r\n` line ends
 * (tolerated with or without \r), the keyspace as `db0:keys=1000,expires=300,avg_ttl=52000` (7.4 adds
 * `subexpiry=`; any k=v pairs are read). Lines that are neither are ignored.
 */

export interface InfoDb {
  db: number;
  keys: number;
  expires: number;
  /** Mean remaining TTL of the keys with one, ms (Redis's running estimate; 0 = not estimated yet). */
  avgTtlMs: number;
  line: number;
}

/** INFO fields read as numbers (those the inference uses or reports). */
const NUMERIC = [
  "used_memory",
  "used_memory_rss",
  "used_memory_peak",
  "used_memory_startup",
  "used_memory_dataset",
  "mem_fragmentation_ratio",
  "maxmemory",
  "mem_replication_backlog",
  "mem_clients_slaves",
  "mem_aof_buffer",
  "connected_clients",
  "instantaneous_ops_per_sec",
  "total_commands_processed",
  "uptime_in_seconds",
  "keyspace_hits",
  "keyspace_misses",
  "evicted_keys",
  "expired_keys",
  "hz",
  "configured_hz",
  "aof_enabled",
  "rdb_changes_since_last_save",
  "rdb_saves",
  "rdb_last_bgsave_time_sec",
  "rdb_last_cow_size",
  "aof_rewrites",
  "aof_last_cow_size",
  "latest_fork_usec",
  "total_forks",
] as const;
type NumericField = (typeof NUMERIC)[number];

export type RedisInfo = { [K in NumericField]?: number } & {
  file: string;
  /** Every field: value with its section and line. */
  fields: Map<string, { value: string; section: string; line: number }>;
  sections: string[];
  redis_version?: string;
  maxmemory_policy?: string;
  mem_allocator?: string;
  rdb_last_bgsave_status?: string;
  aof_last_write_status?: string;
  /** Every rdb_* and aof_* field as text. */
  rdb: Record<string, string>;
  aof: Record<string, string>;
  /** The keyspace, one entry per non-empty db. */
  dbs: InfoDb[];
  /** Whether a `# Keyspace` section was present (INFO all has one even when empty). */
  hasKeyspace: boolean;
  /** Commands with a cmdstat_ line (each has a latency histogram in used_memory). */
  commandTypes: number;
};

/** Parses INFO text. Throws InputError when it is not INFO output at all. */
export function parseInfo(text: string, file = "info.txt"): RedisInfo {
  const info: RedisInfo = { file, fields: new Map(), sections: [], rdb: {}, aof: {}, dbs: [], hasKeyspace: false, commandTypes: 0 };
  let section = "";
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i].replace(/\r$/, "").trim();
    if (t === "") continue;
    const h = /^#\s*(\S.*)$/.exec(t);
    if (h) {
      section = h[1].trim();
      info.sections.push(section);
      if (section.toLowerCase() === "keyspace") info.hasKeyspace = true;
      continue;
    }
    const c = t.indexOf(":");
    if (c <= 0) continue;
    const key = t.slice(0, c);
    const value = t.slice(c + 1);
    info.fields.set(key, { value, section, line: i + 1 });
    const db = /^db(\d+)$/.exec(key);
    if (db) {
      const kv: Record<string, number> = {};
      for (const part of value.split(",")) {
        const [k, v] = part.split("=");
        if (k && v !== undefined && /^-?\d+(\.\d+)?$/.test(v)) kv[k.trim()] = Number(v);
      }
      if (kv.keys === undefined) throw new InputError(`${file}:${i + 1}: ${cut(t, 40)}: a keyspace line without keys=`);
      info.dbs.push({ db: Number(db[1]), keys: kv.keys, expires: kv.expires ?? 0, avgTtlMs: kv.avg_ttl ?? 0, line: i + 1 });
      continue;
    }
    if (key.startsWith("cmdstat_")) info.commandTypes++;
    if (key.startsWith("rdb_")) info.rdb[key] = value;
    if (key.startsWith("aof_")) info.aof[key] = value;
    if ((NUMERIC as readonly string[]).includes(key)) {
      const n = Number(value);
      if (value !== "" && Number.isFinite(n)) (info as Record<string, unknown>)[key] = n;
    } else if (key === "redis_version" || key === "maxmemory_policy" || key === "mem_allocator" || key === "rdb_last_bgsave_status" || key === "aof_last_write_status")
      (info as Record<string, unknown>)[key] = value;
  }
  if (info.fields.size === 0) throw new InputError(`${file}: not the output of INFO: no "field:value" lines (capture it with: redis-cli INFO all > ${file})`);
  return info;
}

// ---- inference ------------------------------------------------------------------------------------------

export interface InferredClass {
  name: string;
  db: number;
  keys: InferredField;
  share: InferredField;
  ttl: InferredField;
}

export interface MemoryEstimate {
  /** used_memory less the baseline, clients, histograms and replication/AOF buffers. */
  dataBytes: number;
  /** Bytes of the dicts' bucket arrays (8 per slot, slots = next power of two ≥ keys). */
  tableBytes: number;
  /** Per key, what is left for the value after entry, key name and TTL entry. */
  valueBytesPerKey: number;
  /** The value length with that allocation. */
  valueLen: number;
  /** The formula with numbers, for the comment. */
  formula: string;
}

export interface InfoInference {
  /** Fields of the scenario's redis section (maxmemory, maxmemory-policy, hz, clients, appendonly). */
  redis: InferredField[];
  rate: InferredField;
  classes: InferredClass[];
  /** Mean value size estimated from used_memory (null when it cannot be). */
  valueSize: InferredField | null;
  memory: MemoryEstimate | null;
  /** Observed figures, for comments (hit ratio, evictions, …). */
  observed: string[];
  notes: string[];
}

const nextPow2 = (n: number) => (n <= 4 ? 4 : 2 ** Math.ceil(Math.log2(n)));

/** Mean A(sds) of the simulator's key names `<prefix>:<i>` for i in 0 … keys−1 (generator.ts). */
export function meanKeySdsBytes(A: SizeClassFn, prefix: string, keys: number): number {
  let sum = 0;
  for (let d = 1, lo = 0; lo < keys; d++) {
    // indices with d digits: [10^(d−1), 10^d), and 0 among the 1-digit ones
    const hi = Math.min(keys, 10 ** d);
    sum += (hi - lo) * A(sdsAllocSize(prefix.length + 1 + d));
    lo = hi;
  }
  return sum / keys;
}

/** Below this uptime total_commands_processed / uptime_in_seconds is not taken as the long-run rate. */
export const MIN_UPTIME_S = 600;

const roundRate = (r: number) => (r >= 10 ? Math.round(r) : Number(r.toPrecision(3)) || 0.01);
const fmtUptime = (s: number) =>
  s >= 86_400 ? `${Number((s / 86_400).toFixed(1))} day${s === 86_400 ? "" : "s"}` : s >= 3600 ? `${Number((s / 3600).toFixed(1))} h` : `${Number((s / 60).toFixed(1))} min`;
const fmtOps = (r: number) => (r >= 10 ? String(Math.round(r)) : r.toPrecision(3));

/** A duration written compactly, rounded to whole seconds from 10 s up (to ms below). */
export function roundDuration(ms: number): string {
  const us = ms >= 10_000 ? Math.round(ms / 1000) * 1_000_000 : Math.max(1, Math.round(ms)) * 1000;
  return formatDuration(us);
}

/** A share rounded to 3 significant digits (never to 0 for a non-empty class). */
export function roundShare(x: number): number {
  return Number(x.toPrecision(3));
}

/**
 * The allocator's size classes, where INFO shows them: Redis 6.x and 7.0 bundle jemalloc 5.1/5.2, so a
 * 6.x/7.0 server reporting `mem_allocator:jemalloc-5.3.0` (released after 7.0) runs on the system
 * jemalloc of a distribution package, whose 16-byte quantum is the model's `jemalloc-debian`. Newer
 * servers bundle 5.3.0 themselves, so nothing can be told from it; libc malloc is not modelled.
 */
export function inferAllocator(info: RedisInfo): InferredField | null {
  const v = info.redis_version ?? "";
  const a = info.mem_allocator ?? "";
  if (/^(6\.|7\.0\.)/.test(v) && /^jemalloc-5\.3\./.test(a))
    return {
      field: "allocator",
      value: "jemalloc-debian",
      from: `INFO redis_version:${v}, mem_allocator:${a}`,
      note: `Redis ${v.replace(/\.\d+$/, "")} bundles an older jemalloc, so this is a distribution's system jemalloc (16-byte quantum)`,
    };
  return null;
}

/**
 * What INFO tells about the workload and the server:
 *
 * - redis fields: `maxmemory` (INFO memory maxmemory), `maxmemory-policy`, `hz` (configured_hz),
 *   `clients` (connected_clients), `appendonly` (aof_enabled). Save points are not in INFO.
 * - rate: application requests per second. Commands per second are total_commands_processed /
 *   uptime_in_seconds, the long-run average (instantaneous_ops_per_sec, a snapshot of about one second,
 *   is in the comment beside it); when the uptime is under 10 minutes (MIN_UPTIME_S) or those fields are
 *   missing, instantaneous_ops_per_sec, then the short average, then a stated default, each saying so.
 *   In cache-aside each request is a GET and each miss adds a SET, so requests = ops / (2 − hit ratio)
 *   when keyspace hits/misses are known.
 * - one key class per database with keys, split in two when only some keys have a TTL: `dbN` (no TTL,
 *   keys − expires) and `dbN-ttl` (expires keys). Shares follow the key counts (INFO has no per-db
 *   traffic).
 * - TTL: avg_ttl is the mean REMAINING TTL of keys with one. Keys written at a steady rate with one TTL
 *   T have remaining TTLs spread evenly over 0…T, so T ≈ 2 × avg_ttl. avg_ttl 0 means Redis has not
 *   estimated it (it does so in the active expire cycle): then 1h, the stated default.
 * - value size (mean, from memory):
 *       data       = used_memory − used_memory_startup (INFO's; 876 184 if absent)
 *                    − connected_clients × 38 112 (per client, measured; src/redis/memory.ts)
 *                    − cmdstat lines × 24 688 (one latency histogram per command used)
 *                    − mem_replication_backlog − mem_clients_slaves − mem_aof_buffer
 *       tables     = Σ_db 8 × slots(keys) + 8 × slots(expires)   (slots: next power of two, at least 4)
 *       per key    = (data − tables) / keys − A(24) [dictEntry] − mean A(key sds) − share_ttl × A(24)
 *       value size = the length whose robj+sds allocation is nearest `per key` (sizes.ts)
 *   with the simulator's own key names (`<class>:<index>`), so that the simulator's used_memory
 *   reproduces INFO's. It treats every key as a string and ignores fragmentation inside hashes etc.
 */
export function infoToScenario(info: RedisInfo, opts: { allocator?: Allocator } = {}): InfoInference {
  const f = info.file;
  const at = (k: string) => {
    const e = info.fields.get(k);
    return e ? `INFO ${e.section.toLowerCase() || "?"} ${k}:${e.value}` : `INFO ${k}`;
  };
  if (!info.hasKeyspace && info.dbs.length === 0)
    throw new InputError(`${f}: no # Keyspace section: capture INFO all (redis-cli INFO all > ${f}), not one section`);
  if (info.dbs.length === 0) throw new InputError(`${f}: the # Keyspace section is empty: the server holds no keys, so there is nothing to size a workload from`);
  const notes: string[] = [];
  const observed: string[] = [];
  const redis: InferredField[] = [];
  const allocator = opts.allocator ?? DEFAULT_REDIS_CONFIG.allocator;
  const A = allocatorFn(allocator);

  // ---- redis fields
  if (info.maxmemory !== undefined) {
    const mm = formatBytes(info.maxmemory);
    redis.push({ field: "maxmemory", value: /^\d+$/.test(mm) ? Number(mm) : mm, from: at("maxmemory"), note: info.maxmemory === 0 ? "0 = no limit: nothing is evicted" : undefined });
  }
  if (info.maxmemory_policy !== undefined) {
    if ((REDIS_POLICY_NAMES as readonly string[]).includes(info.maxmemory_policy)) redis.push({ field: "maxmemory-policy", value: info.maxmemory_policy, from: at("maxmemory_policy") });
    else notes.push(`${at("maxmemory_policy")}: not a policy the simulator knows; not used`);
  }
  const hz = info.configured_hz ?? info.hz;
  if (hz !== undefined) {
    const v = Math.min(CONFIG_MAX_HZ, Math.max(CONFIG_MIN_HZ, hz));
    redis.push({ field: "hz", value: v, from: at(info.configured_hz !== undefined ? "configured_hz" : "hz") });
  }
  if (info.connected_clients !== undefined) {
    redis.push({ field: "clients", value: info.connected_clients, from: at("connected_clients"), note: "each ≈ 38 KB of used_memory" });
  }
  if (info.aof_enabled !== undefined) redis.push({ field: "appendonly", value: info.aof_enabled ? "yes" : "no", from: at("aof_enabled") });

  // ---- traffic
  const hits = info.keyspace_hits, misses = info.keyspace_misses;
  const lookups = (hits ?? 0) + (misses ?? 0);
  const hitRatio = hits !== undefined && misses !== undefined && lookups > 0 ? hits / lookups : null;
  // commands per second: the long-run average over the uptime first (instantaneous_ops_per_sec is a
  // snapshot of the last second or so: a quiet or a busy moment); the snapshot beside it in the note
  const cmds = info.total_commands_processed, up = info.uptime_in_seconds, inst = info.instantaneous_ops_per_sec;
  const avgOk = cmds !== undefined && cmds > 0 && up !== undefined && up > 0;
  const instOk = inst !== undefined && inst > 0;
  const avgFrom = () => `${at("total_commands_processed")} / ${at("uptime_in_seconds").replace(/^INFO \S+ /, "")}`;
  const instWords = inst !== undefined ? `instantaneous_ops_per_sec:${inst} (a one-second snapshot)` : "no instantaneous_ops_per_sec";
  let ops: number | null = null;
  let opsFrom = "";
  let opsNote = "";
  if (avgOk && up! >= MIN_UPTIME_S) {
    ops = cmds! / up!;
    opsFrom = avgFrom();
    opsNote = `the long-run average over ${fmtUptime(up!)} of uptime; ${instWords}`;
  } else if (instOk) {
    ops = inst!;
    opsFrom = at("instantaneous_ops_per_sec");
    opsNote = avgOk
      ? `a one-second snapshot: uptime_in_seconds:${up} is under ${MIN_UPTIME_S} s, too short for the long-run average (total_commands_processed / uptime ${fmtOps(cmds! / up!)}/s)`
      : `a one-second snapshot: INFO has no total_commands_processed and uptime_in_seconds for the long-run average`;
    notes.push(`rate: ${opsNote}`);
  } else if (avgOk) {
    ops = cmds! / up!;
    opsFrom = avgFrom();
    opsNote = `uptime_in_seconds:${up} is under ${MIN_UPTIME_S} s (a short average) and ${inst === undefined ? "INFO has no instantaneous_ops_per_sec" : "instantaneous_ops_per_sec is 0"}: the best there is`;
    notes.push(`rate: ${opsNote}`);
  }
  let rate: InferredField;
  if (ops === null) {
    rate = { field: "rate", value: 1000, from: "default: INFO shows no commands per second", note: "not inferable: set your request rate" };
    notes.push(`rate: INFO has no total_commands_processed/uptime_in_seconds or instantaneous_ops_per_sec above 0; 1000 requests/s is a stated default`);
  } else if (hitRatio !== null) {
    const r = ops / (2 - hitRatio);
    rate = { field: "rate", value: roundRate(r), from: `${opsFrom} ÷ (2 − hit ratio ${hitRatio.toFixed(3)})`, note: `${opsNote}; commands/s to requests/s: a cache-aside miss is a GET and a SET` };
  } else {
    rate = { field: "rate", value: roundRate(ops), from: opsFrom, note: `${opsNote}; commands per second taken as requests per second` };
  }

  // ---- classes
  const total = info.dbs.reduce((a, d) => a + d.keys, 0);
  const classes: InferredClass[] = [];
  for (const d of info.dbs) {
    if (d.keys <= 0) continue;
    if (d.db > 15) {
      notes.push(`INFO keyspace db${d.db} (line ${d.line}): the simulator models databases 0–15; its ${d.keys} keys are left out`);
      continue;
    }
    const line = `INFO keyspace db${d.db}: keys=${d.keys},expires=${d.expires},avg_ttl=${d.avgTtlMs}`;
    const plain = Math.max(0, d.keys - d.expires);
    const withTtl = Math.min(d.keys, d.expires);
    if (plain > 0)
      classes.push({
        name: `db${d.db}`,
        db: d.db,
        keys: { field: "keys", value: plain, from: withTtl > 0 ? `${line} (keys − expires)` : line },
        share: { field: "share", value: roundShare(plain / total), from: `keys / all keys (${plain} / ${total})`, note: "INFO has no per-db traffic: shares follow key counts" },
        ttl: { field: "ttl", value: "none", from: withTtl > 0 ? `${line}: the keys without a TTL` : `${line}: expires=0` },
      });
    if (withTtl > 0) {
      let ttl: InferredField;
      if (d.avgTtlMs > 0) ttl = { field: "ttl", value: roundDuration(2 * d.avgTtlMs), from: `${line}: 2 × avg_ttl`, note: "remaining TTLs average half the TTL when keys are written steadily" };
      else {
        ttl = { field: "ttl", value: "1h", from: `default: ${line} (avg_ttl=0: Redis has not estimated it yet)`, note: "not inferable: set your TTL" };
        notes.push(`db${d.db}: avg_ttl is 0 (Redis estimates it in the active expire cycle); TTL 1h is a stated default`);
      }
      classes.push({
        name: plain > 0 ? `db${d.db}-ttl` : `db${d.db}`,
        db: d.db,
        keys: { field: "keys", value: withTtl, from: plain > 0 ? `${line} (expires)` : line },
        share: { field: "share", value: roundShare(withTtl / total), from: `keys / all keys (${withTtl} / ${total})`, note: "INFO has no per-db traffic: shares follow key counts" },
        ttl,
      });
    }
  }
  if (classes.length === 0) throw new InputError(`${f}: no database 0–15 in the # Keyspace section holds keys`);

  // ---- value size from memory
  let memory: MemoryEstimate | null = null;
  let valueSize: InferredField | null = null;
  if (info.used_memory !== undefined) {
    const base = info.used_memory_startup ?? startupUsedMemory(allocator);
    const clients = (info.connected_clients ?? 1) * CLIENT_BYTES;
    const hist = info.commandTypes * LATENCY_HISTOGRAM_BYTES;
    const other = (info.mem_replication_backlog ?? 0) + (info.mem_clients_slaves ?? 0) + (info.mem_aof_buffer ?? 0);
    const data = info.used_memory - base - clients - hist - other;
    const keys = classes.reduce((a, c) => a + (c.keys.value as number), 0);
    const ttlKeys = classes.reduce((a, c) => a + (c.ttl.value !== "none" ? (c.keys.value as number) : 0), 0);
    let tables = 0;
    for (const d of info.dbs) if (d.db <= 15 && d.keys > 0) tables += 8 * nextPow2(d.keys) + (d.expires > 0 ? 8 * nextPow2(d.expires) : 0);
    const keySds = classes.reduce((a, c) => a + (c.keys.value as number) * meanKeySdsBytes(A, c.name, c.keys.value as number), 0) / keys;
    const perKey = (data - tables) / keys - A(DICT_ENTRY_SIZE) - keySds - (ttlKeys / keys) * A(DICT_ENTRY_SIZE);
    const formula =
      `(used_memory ${info.used_memory} − startup ${base} − ${info.connected_clients ?? 1} clients × ${CLIENT_BYTES} − ${info.commandTypes} command histograms × ${LATENCY_HISTOGRAM_BYTES}` +
      `${other ? ` − buffers ${other}` : ""} − dict tables ${tables}) / ${keys} keys − entry ${A(DICT_ENTRY_SIZE)} − key name ${keySds.toFixed(1)} − TTL entry ${((ttlKeys / keys) * A(DICT_ENTRY_SIZE)).toFixed(1)} = ${perKey.toFixed(1)} B per value`;
    if (perKey > 0) {
      const r = valueLenFromValueBytes(A, perKey);
      memory = { dataBytes: data, tableBytes: tables, valueBytesPerKey: perKey, valueLen: r.len, formula };
      if (r.below) notes.push(`used_memory leaves ${perKey.toFixed(1)} B per value, less than the smallest string value (${allocator}); value-size ${r.len}`);
      valueSize = { field: "value-size", value: r.len, from: `INFO memory used_memory:${info.used_memory} over ${keys} keys, less the overheads (formula above)`, note: `a mean: INFO has no size distribution (give --sizes for one)` };
    } else {
      notes.push(`value size: used_memory ${info.used_memory} leaves nothing per key after the overheads (${formula}); the default 100 bytes is used`);
    }
  }

  // ---- observed figures, for comments
  if (info.redis_version) observed.push(`redis_version ${info.redis_version}, uptime ${info.uptime_in_seconds ?? "?"} s, mem_allocator ${info.mem_allocator ?? "?"}`);
  if (hitRatio !== null) observed.push(`keyspace_hits ${hits}, keyspace_misses ${misses}: hit ratio ${hitRatio.toFixed(4)} (compare with the run's hit_ratio)`);
  const perSec = (n: number | undefined) => (n !== undefined && info.uptime_in_seconds ? ` (${(n / info.uptime_in_seconds).toFixed(2)}/s over the uptime)` : "");
  if (info.evicted_keys !== undefined || info.expired_keys !== undefined)
    observed.push(`evicted_keys ${info.evicted_keys ?? "?"}${perSec(info.evicted_keys)}, expired_keys ${info.expired_keys ?? "?"}${perSec(info.expired_keys)}`);
  if (info.used_memory !== undefined)
    observed.push(
      `used_memory ${info.used_memory}, used_memory_rss ${info.used_memory_rss ?? "?"}, mem_fragmentation_ratio ${info.mem_fragmentation_ratio ?? "?"} (not used: small datasets inflate it; host.fragmentation-ratio models RSS)`,
    );
  if (info.aof_enabled !== undefined || info.rdb_saves !== undefined)
    observed.push(
      `persistence: aof_enabled ${info.aof_enabled ?? "?"}, rdb_saves ${info.rdb_saves ?? "?"}, rdb_last_bgsave_status ${info.rdb_last_bgsave_status ?? "?"}, rdb_changes_since_last_save ${info.rdb_changes_since_last_save ?? "?"}, rdb_last_cow_size ${info.rdb_last_cow_size ?? "?"}, latest_fork_usec ${info.latest_fork_usec ?? "?"} (INFO does not show the save points)`,
    );
  return { redis, rate, classes, valueSize, memory, observed, notes };
}
