/*
 * Units as redis.conf writes them. Memory follows Redis's memtoull (util.c): a plain number is bytes;
 * `k` = 1000, `kb` = 1024, `m` = 1 000 000, `mb` = 1024², `g` = 10^9, `gb` = 1024³, case-insensitive.
 * Durations are ours (redis.conf has no duration strings): a plain number is seconds; `us`, `ms`, `s`,
 * `m`/`min`, `h`, `d`, and combinations such as `1h30m`.
 */

import { cut } from "./errors.ts";

/**
 * A value as shown in a message: JSON, at most `max` characters (cut with "…"), Infinity and NaN by
 * name, anything JSON cannot show (a cycle, too deep) as "(a value)". Never throws.
 */
export function show(v: unknown, max = 60): string {
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
  if (typeof v === "string") return cut(JSON.stringify(v.length > max * 2 ? v.slice(0, max * 2) : v), max);
  if (v === undefined) return "undefined";
  if (typeof v === "bigint") return cut(String(v), max);
  try {
    return cut(JSON.stringify(v) ?? String(v), max);
  } catch {
    return "(a value)";
  }
}

/** The most bytes a size may be: 2^53, the largest whole number a double holds exactly (8192tb). */
export const MAX_MEMORY_BYTES = 2 ** 53;
/** Why a size above MAX_MEMORY_BYTES is refused (after the value). */
export const TOO_BIG = `is above 8192tb (2^53 bytes): the simulator counts bytes exactly only up to there (Redis itself stops at 2^64 − 1)`;
/** The longest a duration may be: 2^53 µs (about 285 years), the longest the µs clock counts exactly. */
export const MAX_DURATION_US = 2 ** 53;

const MEMORY_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1000,
  kb: 1024,
  m: 1_000_000,
  mb: 1024 ** 2,
  g: 1_000_000_000,
  gb: 1024 ** 3,
  t: 1e12,
  tb: 1024 ** 4,
};

/** Bytes from `100mb`, `2gb`, `1048576`; null when the text is not a size (or is too large to be finite). */
export function parseMemory(v: unknown): number | null {
  const b = memoryValue(v);
  return b !== null && Number.isFinite(b) ? b : null;
}

/** As parseMemory, but a size too large for a double is Infinity rather than null (for "out of range" messages). */
export function memoryValue(v: unknown): number | null {
  if (typeof v === "number") return Number.isInteger(v) || v === Infinity || v === -Infinity ? v : null;
  if (typeof v !== "string") return null;
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(v);
  if (!m) return null;
  const unit = MEMORY_UNITS[m[2].toLowerCase()];
  if (unit === undefined) return null;
  return Math.floor(Number(m[1]) * unit);
}

const DURATION_UNITS: Record<string, number> = {
  us: 1,
  ms: 1_000,
  s: 1_000_000,
  sec: 1_000_000,
  m: 60_000_000,
  min: 60_000_000,
  h: 3_600_000_000,
  d: 86_400_000_000,
};

/** Microseconds from `500ms`, `10s`, `1h30m`, or a plain number of seconds; null when not a duration (or not finite). */
export function parseDuration(v: unknown): number | null {
  const us = durationValue(v);
  return us !== null && Number.isFinite(us) ? us : null;
}

/** As parseDuration, but a duration too long for a double is Infinity rather than null (for "out of range" messages). */
export function durationValue(v: unknown): number | null {
  if (typeof v === "number") return Number.isNaN(v) ? null : Math.round(v * 1_000_000);
  if (typeof v !== "string") return null;
  const s = v.trim().toLowerCase();
  if (/^-?\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1_000_000);
  const re = /(\d+(?:\.\d+)?)\s*(us|ms|sec|min|s|m|h|d)/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) return null;
    total += Number(m[1]) * DURATION_UNITS[m[2]];
    pos = re.lastIndex;
    while (s[pos] === " ") pos++;
  }
  return pos > 0 ? Math.round(total) : null;
}

/** A fraction from `10%` or `0.1`; null otherwise. */
export function parseFraction(v: unknown): number | null {
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (typeof v !== "string") return null;
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*%\s*$/.exec(v);
  const f = m ? Number(m[1]) / 100 : /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : null;
  return f !== null && Number.isFinite(f) ? f : null;
}

/** Bytes written as Redis writes them in INFO's human fields: 1.50M style is INFO; we use `100mb`. */
export function formatBytes(n: number): string {
  if (n >= 1024 ** 3 && n % 1024 ** 3 === 0) return `${n / 1024 ** 3}gb`;
  if (n >= 1024 ** 2 && n % 1024 ** 2 === 0) return `${n / 1024 ** 2}mb`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024}kb`;
  return `${n}`;
}

/** INFO-style human size: 1.23M, 456.00K, 12B (server.c bytesToHuman). */
export function bytesToHuman(n: number): string {
  if (n < 1024) return `${n}B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(2)}K`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(2)}M`;
  if (n < 1024 ** 4) return `${(n / 1024 ** 3).toFixed(2)}G`;
  return `${(n / 1024 ** 4).toFixed(2)}T`;
}

/** A duration in µs written back compactly: `1h`, `90s`, `250ms`. */
export function formatDuration(us: number): string {
  const units: [string, number][] = [["d", 86_400_000_000], ["h", 3_600_000_000], ["m", 60_000_000], ["s", 1_000_000], ["ms", 1_000], ["us", 1]];
  if (us === 0) return "0s";
  for (const [u, f] of units) if (us % f === 0) return `${us / f}${u}`;
  return `${us}us`;
}
