import { cut, InputError } from "../errors.ts";
import { show } from "../units.ts";
import { allocatorFn, type Allocator, type SizeClassFn } from "../redis/alloc.ts";
import { EMBSTR_SIZE_LIMIT, ENC_EMBSTR, ENC_RAW, memoryUsage, stringValueBytes } from "../redis/memory.ts";
import { DEFAULT_REDIS_CONFIG, MAX_VALUE_BYTES } from "../redis/config.ts";

/*
 * A sample of key sizes → a value-size distribution the scenario schema accepts.
 *
 * Accepted inputs (detected from the text):
 *   - CSV (or tab- or space-separated) lines of `key,bytes` or just `bytes`, where bytes is what
 *     `MEMORY USAGE <key>` returned. A header line is optional; with one, the bytes column is the one
 *     named bytes / memory_usage / memory / usage / size, the key column key / name. Lines starting with
 *     `#` and blank lines are skipped; `(integer) 72` (redis-cli's reply format) is read as 72, and
 *     `(nil)` or an empty bytes field (a key that was gone) is skipped and counted. Any other
 *     non-number is an error naming the file and line. Optional columns, named in the header: `ttl`
 *     (seconds, as TTL prints them: -1 no TTL, -2 the key was gone: skipped) or `pttl` (ms), `type`,
 *     `db`; without a header, three columns are key,bytes,ttl. Keys' names group them by prefix
 *     (groupByPrefix, below) for sim init's classes.
 *   - `redis-cli --keystats` output (Redis 7.4+/8): its "Key size Percentile Total keys" table of
 *     MEMORY USAGE percentiles; the keys between two rows are taken at the midpoint of the two sizes
 *     (the sizes are printed to 3 significant digits, e.g. 4.92K), and the mean key length from
 *     "Total key length is 495B (9B avg)".
 *   - `redis-cli --memkeys` output (7.0 format: "1200 strings with 96000 bytes (…, avg size 80.00)"):
 *     only the mean MEMORY USAGE of string keys, so the result is a fixed size at that mean.
 *     `redis-cli --bigkeys` output ("… lists with 5 items …") gives the mean string LENGTH instead,
 *     used as is.
 *
 * From MEMORY USAGE to value bytes. For a string key Redis 7.0 reports (object.c memoryCommand)
 *     MEMORY USAGE = value + A(key sds) + 24 (the dictEntry, not rounded)
 *     value = A(16 + 3 + L + 1) when L ≤ 44 (EMBSTR: robj and sds in one allocation)
 *           = 16 + A(sdshdr + L + 1)   otherwise (RAW: robj + a separate sds; hdr 3 below 256 bytes, then 5)
 * with A the allocator's size class (src/redis/memory.ts memoryUsage, the model's own formula). We
 * invert it: the value length L is the midpoint of the lengths that give the reported size (sizes in
 * one size class cannot be told apart), using the key's own length when the sample names the key and
 * the mean key length (keystats/memkeys summary, else 16 bytes) otherwise. Approximations: non-string
 * keys (hashes, lists, …) are treated as strings of the same memory; integer-encoded values (≤ 20
 * digits) report 16 bytes of value and come out as short strings; a size below the smallest string of
 * its key length (another allocator, or a shared integer) is taken as a 0-byte value and counted.
 */

export interface SizeSample {
  /** MEMORY USAGE bytes (or, for bigkeys, the value length itself: see `valueBytes`). */
  bytes: number;
  keyLen?: number;
  /** How many keys this sample stands for (1, or a keystats row's count). */
  weight: number;
  /** The key's name, when the sample gives it (CSV with a key column). */
  key?: string;
  /** Remaining TTL in ms from a ttl/pttl column: null = no TTL (TTL -1); absent = not given. */
  ttlMs?: number | null;
  /** TYPE of the key from a type column (string, hash, …). */
  type?: string;
  /** The database from a db column. */
  db?: number;
}

export interface ParsedSizes {
  file: string;
  format: "csv" | "keystats" | "memkeys" | "bigkeys";
  samples: SizeSample[];
  /** true when `bytes` already are value lengths (bigkeys), not MEMORY USAGE. */
  valueBytes: boolean;
  /** Mean key name length, from a keystats/memkeys summary. */
  meanKeyLen?: number;
  /** Lines skipped ((nil), empty) and other remarks. */
  notes: string[];
  /** Which optional columns the CSV had (ttl: seconds as TTL prints them, or ms as PTTL). */
  columns?: { key: boolean; ttl: "s" | "ms" | null; type: boolean; db: boolean };
}

/** Key length assumed when a sample names no key and no summary gives the mean. */
export const DEFAULT_KEY_LEN = 16;

const BYTES_COLS = ["bytes", "memory_usage", "memory-usage", "memory usage", "memory", "usage", "size", "mem", "memusage"];
const KEY_COLS = ["key", "name", "keyname", "key_name"];
const TTL_S_COLS = ["ttl", "ttl_s", "ttl_sec", "ttl_seconds"];
const TTL_MS_COLS = ["pttl", "ttl_ms"];
const TYPE_COLS = ["type", "key_type"];
const DB_COLS = ["db", "database"];
const INTEGER = /^-?\d+$/;

/** Splits one CSV line (double quotes, "" inside quotes); null on an unterminated quote. */
function splitCsv(line: string, sep: string): string[] | null {
  const out: string[] = [];
  let cur = "";
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') q = false;
      else cur += c;
    } else if (c === '"' && cur.trim() === "") {
      q = true;
      cur = "";
    } else if (c === sep) {
      out.push(cur.trim());
      cur = "";
    } else cur += c;
  }
  if (q) return null;
  out.push(cur.trim());
  return out;
}

const NUMBER = /^\d+(\.\d+)?$/;

/** `64B`, `4.92K`, `1.00M` (redis-cli bytesToHuman, 1024-based) → bytes. */
function humanBytes(s: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([BKMGT])$/i.exec(s.trim());
  if (!m) return null;
  const mul = { B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[m[2].toUpperCase() as "B"];
  return Math.round(Number(m[1]) * mul);
}

function parseKeystats(lines: string[], file: string): ParsedSizes {
  const start = lines.findIndex((l) => /^\s*Key size\s+Percentile\s+Total keys/.test(l));
  const samples: SizeSample[] = [];
  let prevSize = 0;
  let prevCum = 0;
  for (let i = start + 1; i < lines.length; i++) {
    const l = lines[i].trim();
    if (/^-+(\s+-+)*$/.test(l)) continue;
    const m = /^(\S+)\s+([\d.]+)%\s+(\d+)$/.exec(l);
    if (!m) break;
    const size = humanBytes(m[1]);
    if (size === null) throw new InputError(`${file}:${i + 1}: ${show(m[1], 40)} is not a size as redis-cli prints it (64B, 4.92K, 1.00M)`);
    const cum = Number(m[3]);
    const n = cum - prevCum;
    if (n > 0) samples.push({ bytes: samples.length === 0 && prevCum === 0 ? size : Math.round((prevSize + size) / 2), weight: n });
    prevSize = size;
    prevCum = cum;
  }
  if (samples.length === 0) throw new InputError(`${file}:${start + 1}: the --keystats "Key size" table has no rows`);
  const kl = lines.map((l) => /Total key length is \S+ \((\d+(?:\.\d+)?)B avg\)/.exec(l)).find((m) => m);
  const notes = [`--keystats percentile table: ${prevCum} keys in ${samples.length} rows; keys between two rows taken at the midpoint`];
  return { file, format: "keystats", samples, valueBytes: false, meanKeyLen: kl ? Number(kl[1]) : undefined, notes };
}

function parseMemkeys(lines: string[], file: string): ParsedSizes {
  const text = lines.join("\n");
  const bigkeys = /\b(lists|hashs|sets|zsets|streams) with \d+ (items|fields|members|entries)\b/.test(text);
  const m = /(\d+) strings with (\d+) bytes/.exec(text);
  const lineNo = lines.findIndex((l) => /\d+ strings with \d+ bytes/.test(l)) + 1;
  if (!m) throw new InputError(`${file}: redis-cli --memkeys/--bigkeys output without its "N strings with B bytes" summary line`);
  const n = Number(m[1]);
  const total = Number(m[2]);
  if (n === 0) throw new InputError(`${file}:${lineNo}: the summary counts 0 string keys: no sizes to fit`);
  const kl = /Total key length in bytes is \d+ \(avg len (\d+(?:\.\d+)?)\)/.exec(text);
  const others = [...text.matchAll(/(\d+) (lists|hashs|sets|zsets|streams) with/g)].filter((x) => Number(x[1]) > 0).map((x) => `${x[1]} ${x[2]}`);
  const notes = [
    `redis-cli ${bigkeys ? "--bigkeys" : "--memkeys"} gives only the mean ${bigkeys ? "string length" : "MEMORY USAGE"} of ${n} string keys (line ${lineNo}): a fixed size; sample MEMORY USAGE per key for a distribution`,
  ];
  if (others.length) notes.push(`not strings, not used: ${others.join(", ")}`);
  return { file, format: bigkeys ? "bigkeys" : "memkeys", samples: [{ bytes: total / n, weight: n }], valueBytes: bigkeys, meanKeyLen: kl ? Number(kl[1]) : undefined, notes };
}

/** Parses a sizes file (see the comment at the top for what is accepted). Throws InputError with file:line. */
export function parseSizes(text: string, file = "sizes.csv"): ParsedSizes {
  const lines = text.split(/\r?\n/);
  if (lines.some((l) => /^\s*Key size\s+Percentile\s+Total keys/.test(l))) return parseKeystats(lines, file);
  if (lines.some((l) => /^\d+ strings with \d+ bytes/.test(l.trim()))) return parseMemkeys(lines, file);
  const samples: SizeSample[] = [];
  let header: { bytes: number; key: number; ttl: number; ttlUnit: "s" | "ms"; type: number; db: number } | null = null;
  let sep: string | null = null;
  let skipped = 0;
  let gone = 0;
  let sawData = false;
  /** Columns of the first data line without a header (2: key,bytes; 3: key,bytes,ttl). */
  let width: number | null = null;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i].trim();
    if (raw === "" || raw.startsWith("#")) continue;
    const t = raw.replace(/^\(integer\)\s+/, "");
    sep ??= t.includes(",") ? "," : t.includes("\t") ? "\t" : " ";
    let cols: string[] | null;
    if (sep === " ") {
      // whitespace-separated: the last field is the size, the rest is the key
      const m = /^(.*\S)\s+(\S+)$/.exec(t);
      cols = m ? [m[1], m[2]] : [t];
    } else cols = splitCsv(t, sep);
    if (cols === null) throw new InputError(`${file}:${lineNo}: unterminated quote`);
    if (!sawData && header === null) {
      const last = cols[cols.length - 1].replace(/^\(integer\)\s+/, "");
      if (!NUMBER.test(last) && /[A-Za-z_]/.test(last) && last !== "(nil)") {
        // a header line
        const names = cols.map((c) => c.toLowerCase().trim());
        let b = names.findIndex((c) => BYTES_COLS.includes(c));
        if (b < 0 && names.length === 1) b = 0;
        if (b < 0)
          throw new InputError(`${file}:${lineNo}: the header names no bytes column (${cut(cols.map((c) => show(c, 30)).join(", "), 120)}); name it "bytes", or give lines of key,bytes or bytes without a header`);
        const ts = names.findIndex((c) => TTL_S_COLS.includes(c));
        const tm = names.findIndex((c) => TTL_MS_COLS.includes(c));
        header = {
          bytes: b,
          key: names.findIndex((c) => KEY_COLS.includes(c)),
          ttl: ts >= 0 ? ts : tm,
          ttlUnit: ts >= 0 ? "s" : "ms",
          type: names.findIndex((c) => TYPE_COLS.includes(c)),
          db: names.findIndex((c) => DB_COLS.includes(c)),
        };
        continue;
      }
    }
    const firstData = !sawData;
    sawData = true;
    let bi: number, ki: number, ti = -1, yi = -1, di = -1;
    let unit: "s" | "ms" = "s";
    if (header) {
      bi = header.bytes;
      ki = header.key;
      ti = header.ttl;
      unit = header.ttlUnit;
      yi = header.type;
      di = header.db;
    } else if (cols.length === 1) {
      bi = 0;
      ki = -1;
    } else if (cols.length === 2) {
      bi = 1;
      ki = 0;
    } else if (cols.length === 3 && (firstData || width === 3) && INTEGER.test(cols[2].replace(/^\(integer\)\s+/, "").trim())) {
      // key,bytes,ttl: MEMORY USAGE and TTL (seconds, -1 none) of each key, as a shell loop prints them
      bi = 1;
      ki = 0;
      ti = 2;
    } else
      throw new InputError(`${file}:${lineNo}: ${cols.length} columns and no header: give key,bytes, key,bytes,ttl or bytes, or a header naming the bytes column`);
    if (firstData && !header) width = cols.length;
    if (bi >= cols.length) throw new InputError(`${file}:${lineNo}: no value in the bytes column (column ${bi + 1})`);
    const v = cols[bi].replace(/^\(integer\)\s+/, "").trim();
    if (v === "" || v === "(nil)" || v.toLowerCase() === "null") {
      skipped++;
      continue;
    }
    if (!NUMBER.test(v)) throw new InputError(`${file}:${lineNo}: ${show(v, 40)} is not a number of bytes (expected key,bytes or bytes per line: MEMORY USAGE of each key)`);
    const bytes = Math.round(Number(v));
    const key = ki >= 0 && ki < cols.length ? cols[ki] : undefined;
    const sample: SizeSample = { bytes, keyLen: key !== undefined ? new TextEncoder().encode(key).length : undefined, weight: 1 };
    if (key !== undefined) sample.key = key;
    if (ti >= 0) {
      const t = (cols[ti] ?? "").replace(/^\(integer\)\s+/, "").trim();
      if (t !== "" && t !== "(nil)") {
        if (!INTEGER.test(t)) throw new InputError(`${file}:${lineNo}: ${show(t, 40)} is not a TTL (whole ${unit === "s" ? "seconds" : "milliseconds"}, -1 for none, as ${unit === "s" ? "TTL" : "PTTL"} prints it)`);
        const n = Number(t);
        if (n === -2) {
          // the key was gone by the time its TTL was asked
          gone++;
          continue;
        }
        sample.ttlMs = n < 0 ? null : unit === "s" ? n * 1000 : n;
      }
    }
    if (yi >= 0 && (cols[yi] ?? "").trim() !== "") sample.type = cols[yi].trim().toLowerCase();
    if (di >= 0) {
      const d = (cols[di] ?? "").trim();
      if (d !== "") {
        if (!/^\d+$/.test(d)) throw new InputError(`${file}:${lineNo}: ${show(d, 40)} is not a database number (the db column)`);
        sample.db = Number(d);
      }
    }
    samples.push(sample);
  }
  if (samples.length === 0)
    throw new InputError(`${file}: no sizes found${skipped ? ` (${skipped} empty or (nil) values)` : ""}: expected lines of key,bytes or bytes (MEMORY USAGE per key), or redis-cli --keystats/--memkeys output`);
  const notes = skipped ? [`${skipped} lines with no size ((nil): the key was gone) skipped`] : [];
  if (gone) notes.push(`${gone} lines with TTL -2 (the key was gone) skipped`);
  const ttlCol = header ? (header.ttl >= 0 ? header.ttlUnit : null) : width === 3 ? "s" : null;
  const columns = { key: samples.some((x) => x.key !== undefined), ttl: ttlCol, type: !!header && header.type >= 0, db: !!header && header.db >= 0 };
  return { file, format: "csv", samples, valueBytes: false, notes, columns };
}

// ---- inversion ------------------------------------------------------------------------------------------

/** How the simulator encodes a generated string value of `len` bytes (never an integer). */
export const encodingOf = (len: number) => (len <= EMBSTR_SIZE_LIMIT ? ENC_EMBSTR : ENC_RAW);

/**
 * The length L (0 … 512 MB) at which the nondecreasing step function f comes nearest `target`: when
 * some lengths give exactly `target`, the midpoint of that run; otherwise the nearer neighbour.
 * `below` is set when target is under f(0) (nothing that small exists under this model).
 */
export function invertSteps(f: (len: number) => number, target: number, max = MAX_VALUE_BYTES): { len: number; below: boolean } {
  if (target <= f(0)) {
    let hi = 0;
    if (target === f(0)) hi = lastAtMost(f, target, max);
    return { len: Math.floor(hi / 2), below: target < f(0) };
  }
  if (target >= f(max)) return { len: max, below: false };
  // smallest L with f(L) ≥ target
  let lo = 0, hi = max;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (f(mid) >= target) hi = mid;
    else lo = mid + 1;
  }
  if (f(lo) === target) return { len: Math.floor((lo + lastAtMost(f, target, max)) / 2), below: false };
  return { len: target - f(lo - 1) <= f(lo) - target ? lo - 1 : lo, below: false };
}

/** The largest L with f(L) ≤ target. */
function lastAtMost(f: (len: number) => number, target: number, max: number): number {
  let lo = 0, hi = max;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (f(mid) <= target) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Value length from one MEMORY USAGE figure of a string key whose name is `keyLen` bytes long. */
export function valueLenFromMemoryUsage(A: SizeClassFn, memUsage: number, keyLen: number): { len: number; below: boolean } {
  return invertSteps((L) => memoryUsage(A, keyLen, L, encodingOf(L)), Math.round(memUsage));
}

/** Value length whose used_memory value allocation (robj + sds, as the model counts it) is nearest `bytes`. */
export function valueLenFromValueBytes(A: SizeClassFn, bytes: number): { len: number; below: boolean } {
  return invertSteps((L) => stringValueBytes(A, L, encodingOf(L)), Math.round(bytes));
}

// ---- fitting ----------------------------------------------------------------------------------------------

export type EmpiricalSize = { dist: "empirical"; values: number[]; weights: number[] };
export type FittedSize = EmpiricalSize | { dist: "fixed"; size: number };

export interface SizeFit {
  /** The value-size to put in the scenario. */
  valueSize: FittedSize;
  /** The same sample as a lognormal, for the comment (null when all values are equal or zero). */
  lognormal: { median: number; p99: number } | null;
  /** Keys the sample stands for. */
  n: number;
  meanMemoryUsage: number | null;
  meanValue: number;
  meanKeyLen: number;
  /** Samples below the smallest string of their key length, taken as 0-byte values. */
  below: number;
  /** Where it came from, for the `# from` comment. */
  from: string;
  notes: string[];
}

/** Weighted quantile of sorted (value, weight) pairs. */
function quantile(sorted: { v: number; w: number }[], total: number, p: number): number {
  let acc = 0;
  for (const s of sorted) {
    acc += s.w;
    if (acc >= p * total) return s.v;
  }
  return sorted[sorted.length - 1].v;
}

/**
 * Fits the sample: value lengths (see the top comment), then an empirical distribution of at most
 * `bins` (20) values: every distinct value with its count when there are that few, else `bins` bins of
 * equal weight over the sorted sample, each at its mean (so the mean, and the memory, are kept exactly
 * up to rounding) with its weight. Also a lognormal by the sample's median and 99th percentile.
 */
export function fitSizes(parsed: ParsedSizes, opts: { allocator?: Allocator; bins?: number; label?: string } = {}): SizeFit {
  const allocator = opts.allocator ?? DEFAULT_REDIS_CONFIG.allocator;
  const A = allocatorFn(allocator);
  const bins = opts.bins ?? 20;
  const meanKeyLen = parsed.meanKeyLen ?? DEFAULT_KEY_LEN;
  const vals: { v: number; w: number }[] = [];
  let below = 0;
  let n = 0;
  let sumMu = 0;
  let sumKey = 0;
  const cache = new Map<string, { len: number; below: boolean }>();
  for (const s of parsed.samples) {
    const kl = s.keyLen ?? Math.round(meanKeyLen);
    n += s.weight;
    sumMu += s.bytes * s.weight;
    sumKey += (s.keyLen ?? meanKeyLen) * s.weight;
    if (parsed.valueBytes) {
      vals.push({ v: Math.round(s.bytes), w: s.weight });
      continue;
    }
    const ck = `${kl}:${Math.round(s.bytes)}`;
    let r = cache.get(ck);
    if (!r) cache.set(ck, (r = valueLenFromMemoryUsage(A, s.bytes, kl)));
    if (r.below) below += s.weight;
    vals.push({ v: r.len, w: s.weight });
  }
  vals.sort((a, b) => a.v - b.v);
  const total = vals.reduce((a, s) => a + s.w, 0);
  const meanValue = vals.reduce((a, s) => a + s.v * s.w, 0) / total;
  // distinct values
  const distinct: { v: number; w: number }[] = [];
  for (const s of vals) {
    const last = distinct[distinct.length - 1];
    if (last && last.v === s.v) last.w += s.w;
    else distinct.push({ ...s });
  }
  let valueSize: FittedSize;
  if (distinct.length === 1) valueSize = { dist: "fixed", size: distinct[0].v };
  else if (distinct.length <= bins) valueSize = { dist: "empirical", values: distinct.map((d) => d.v), weights: distinct.map((d) => d.w) };
  else {
    const out: { v: number; w: number }[] = [];
    let acc = 0, bw = 0, bs = 0, b = 0;
    for (const s of vals) {
      bw += s.w;
      bs += s.v * s.w;
      acc += s.w;
      if (acc >= ((b + 1) * total) / bins - 1e-9 || s === vals[vals.length - 1]) {
        const v = Math.round(bs / bw);
        const last = out[out.length - 1];
        if (last && last.v === v) last.w += bw;
        else out.push({ v, w: bw });
        bw = bs = 0;
        b++;
      }
    }
    valueSize = { dist: "empirical", values: out.map((o) => o.v), weights: out.map((o) => o.w) };
  }
  const median = Math.max(1, quantile(vals, total, 0.5));
  const p99 = Math.max(median, quantile(vals, total, 0.99));
  const lognormal = median === p99 ? null : { median, p99 };
  const what =
    parsed.format === "csv" ? `${n} MEMORY USAGE samples${opts.label ? ` of ${opts.label}` : ""}` : parsed.format === "keystats" ? `redis-cli --keystats percentiles of ${n} keys` : parsed.format === "memkeys" ? `redis-cli --memkeys mean of ${n} string keys` : `redis-cli --bigkeys mean string length of ${n} keys`;
  const keyWhat = parsed.samples.every((s) => s.keyLen !== undefined) ? "each key's own name length" : parsed.meanKeyLen !== undefined ? `mean key length ${parsed.meanKeyLen}` : `key names assumed ${DEFAULT_KEY_LEN} bytes`;
  const from = parsed.valueBytes ? `${parsed.file}: ${what}` : `${parsed.file}: ${what}, less per-key overhead (dictEntry, key sds, robj; ${allocator} size classes; ${keyWhat})`;
  const notes = [...parsed.notes];
  const types = new Map<string, number>();
  for (const x of parsed.samples) if (x.type !== undefined && x.type !== "string") types.set(x.type, (types.get(x.type) ?? 0) + x.weight);
  if (types.size)
    notes.push(`${[...types.values()].reduce((a, b) => a + b, 0)} of ${n} sampled keys are not strings (${[...types].map(([t, k]) => `${t} ${k}`).join(", ")}): modelled as strings of the same memory`);
  if (below > 0) notes.push(`${below} of ${n} sizes are below the smallest string key of their name length under ${allocator} (another allocator? integer values?): taken as 0-byte values`);
  return {
    valueSize,
    lognormal,
    n,
    meanMemoryUsage: parsed.valueBytes ? null : sumMu / n,
    meanValue,
    meanKeyLen: sumKey / n,
    below,
    from,
    notes,
  };
}

// ---- key prefixes -----------------------------------------------------------------------------------------

/** Separators tried, in order: ':' is Redis's convention (object-type:id), the others common ones. */
export const PREFIX_SEPARATORS = [":", "|", "/", ".", "_", "-"] as const;
/** At most this many prefix classes; smaller prefixes go into one "other" class. */
export const MAX_PREFIX_CLASSES = 12;
/** A prefix needs at least this share of the named sampled keys (and 2 keys) to be a class of its own. */
export const MIN_PREFIX_SHARE = 0.01;

export interface PrefixGroup {
  /** The prefix as the keys have it (`product`), or null for the "other" group. */
  prefix: string | null;
  /** The database (from a db column), or undefined. */
  db?: number;
  samples: SizeSample[];
  /** Keys in the sample (sum of weights). */
  n: number;
}

export interface PrefixGrouping {
  sep: string;
  groups: PrefixGroup[];
  /** Named keys in the sample. */
  n: number;
  /** How the grouping was decided, for a comment. */
  rule: string;
}

/**
 * Groups the sampled keys by prefix: the part before the first separator, the separator being the
 * first of `:`, `|`, `/`, `.`, `_`, `-` that splits the sample into few groups: prefixes each holding at
 * least 1 % of the named keys (and 2 keys), the 12 largest, together at least half of the keys. Keys
 * without that separator, and smaller prefixes, form one group (prefix null, "other"). ':' is tried
 * first as Redis's own convention (`product:123`); a separator that gives a prefix per key (ids,
 * hashes) gives no grouping. Null when the sample names no keys or no separator groups them; with a
 * db column, groups are per database and prefix.
 */
export function groupByPrefix(parsed: ParsedSizes): PrefixGrouping | null {
  const named = parsed.samples.filter((x) => x.key !== undefined);
  if (named.length === 0 || named.length < parsed.samples.length) return null;
  const n = named.reduce((a, x) => a + x.weight, 0);
  for (const sep of PREFIX_SEPARATORS) {
    const by = new Map<string, PrefixGroup>();
    let rest: SizeSample[] = [];
    for (const x of named) {
      const i = x.key!.indexOf(sep);
      if (i <= 0) {
        rest.push(x);
        continue;
      }
      const prefix = x.key!.slice(0, i);
      const id = `${x.db ?? ""}\u0000${prefix}`;
      let g = by.get(id);
      if (!g) by.set(id, (g = { prefix, db: x.db, samples: [], n: 0 }));
      g.samples.push(x);
      g.n += x.weight;
    }
    const sorted = [...by.values()].sort((a, b) => b.n - a.n || (a.db ?? 0) - (b.db ?? 0) || (a.prefix! < b.prefix! ? -1 : a.prefix! > b.prefix! ? 1 : 0));
    const kept = sorted.filter((g, i) => i < MAX_PREFIX_CLASSES && g.n >= 2 && g.n >= MIN_PREFIX_SHARE * n);
    const covered = kept.reduce((a, g) => a + g.n, 0);
    if (kept.length === 0 || covered < 0.5 * n) continue;
    for (const g of sorted) if (!kept.includes(g)) rest = rest.concat(g.samples);
    const groups = [...kept];
    if (rest.length) groups.push({ prefix: null, samples: rest, n: rest.reduce((a, x) => a + x.weight, 0) });
    const rule =
      `keys grouped by the part before the first '${sep}'` +
      (sep === ":" ? " (Redis's convention, object-type:id)" : ` (the first of ${PREFIX_SEPARATORS.map((c) => `'${c}'`).join(" ")} that groups most sampled keys; none had ':')`) +
      `; prefixes with at least ${MIN_PREFIX_SHARE * 100} % of the sample and 2 keys, the ${MAX_PREFIX_CLASSES} largest at most, are classes` +
      (rest.length ? `; the other ${rest.length} keys (no '${sep}', or rarer prefixes) are one class` : "");
    return { sep, groups, n, rule };
  }
  return null;
}

/** A sample made of some of `parsed`'s samples (to fit one prefix's sizes). */
export function subsetSizes(parsed: ParsedSizes, samples: SizeSample[]): ParsedSizes {
  return { ...parsed, samples, notes: [] };
}
