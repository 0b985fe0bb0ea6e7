import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { ALLOCATORS, allocatorFn, type Allocator } from "../../redis/alloc.ts";
import { EMBSTR_SIZE_LIMIT, ENC_EMBSTR, ENC_RAW, memoryUsage } from "../../redis/memory.ts";
import { describeRedisError, isReplyError, keyspace, withTimeout } from "./connect.ts";

/*
 * Which of the simulator's size-class tables (src/redis/alloc.ts) a real server allocates with.
 *
 * The tables differ only for allocations of 17–64 bytes (jemalloc-bundled has the 24, 40 and 56 classes,
 * jemalloc-debian's 16-byte quantum does not), which is where Redis's small objects live, so comparing
 * a scenario with a server of the other table gets evictions wrong by ~20 % with no other sign. The
 * probe sets one key at a time to values of chosen lengths and reads MEMORY USAGE, which reports the
 * allocator's usable size of the key's sds and of its value (object.c memoryCommand); the lengths are
 * chosen so that the two tables agree on some and disagree on others:
 *
 *   value bytes        1   8  16  24  32  40  44  45  56  100  1000  5000
 *   jemalloc-bundled  80  88  96 104 112 120 120 128 136  184  1096  5192
 *   jemalloc-debian   88  88 104 104 120 120 120 136 136  184  1096  5192
 *
 * (with the probe's 26-byte key names, a 32-byte sds in both tables). A table matches when it predicts
 * every size; a server whose sizes neither table predicts (libc malloc, tcmalloc, a Redis whose objects
 * differ) is "unknown".
 *
 * Safety: the probe writes, so it runs only where the command may write (an empty server, or one the
 * user allowed to be flushed: src/io/replay/connect.ts checkEmpty runs first, and `probeAllowed` says so
 * again here). Its keys have a unique prefix, exist one at a time (SET, MEMORY USAGE, DEL in one
 * pipeline, so no dict grows past its first 4 buckets) and are deleted again on any failure. Where
 * MEMORY USAGE is not available (renamed, ACL), INFO's mem_allocator and redis_version are the fallback.
 */

export type DetectedAllocator = Allocator | "unknown";

export interface AllocatorDetection {
  /** The table that predicts every probe size, or what INFO tells when the probe could not run; else "unknown". */
  allocator: DetectedAllocator;
  /** How it was found: the MEMORY USAGE probe, INFO alone (the probe was refused), or neither. */
  how: "probe" | "info" | "none";
  /** One line of evidence, with the figures. */
  evidence: string;
  redisVersion: string;
  memAllocator: string;
  /** Per table, at how many probe sizes MEMORY USAGE matched its prediction (probe only). */
  matches?: Record<Allocator, number>;
  /** What the server reported (probe only). */
  probes?: { valueSize: number; memoryUsage: number }[];
}

/** Value lengths of the probe keys (see the table above). */
export const PROBE_VALUE_SIZES = [1, 8, 16, 24, 32, 40, 44, 45, 56, 100, 1000, 5000];

/** What MEMORY USAGE of a string key (klen-byte name, vlen-byte non-integer value) is under `allocator`. */
export function expectedMemoryUsage(allocator: Allocator, klen: number, vlen: number): number {
  return memoryUsage(allocatorFn(allocator), klen, vlen, vlen <= EMBSTR_SIZE_LIMIT ? ENC_EMBSTR : ENC_RAW);
}

/**
 * The jemalloc Redis bundles in deps/, by version (its release notes): what `mem_allocator` says on an
 * official build or a Docker image. A distribution's package links the system jemalloc instead, built
 * with jemalloc's own 16-byte quantum (jemalloc-debian), and reports that version.
 */
const BUNDLED_JEMALLOC: [RegExp, string][] = [
  [/^(5\.|6\.)/, "5.1.0"],
  [/^7\.0\./, "5.2.1"],
  [/^(7\.[2-9]|[89]\.)/, "5.3.0"],
];

export interface InfoHint {
  allocator: Allocator | null;
  /** `INFO redis_version:…, mem_allocator:…` */
  from: string;
  /** Why this table, or why none can be told. */
  why: string;
}

/**
 * The size-class table INFO's mem_allocator and redis_version point to, with the reason. A jemalloc
 * version other than the one that Redis version bundles means a system jemalloc (a distribution's
 * package: jemalloc-debian); the bundled version most likely means the bundled build, except where
 * distributions ship the same version (Redis 7.2+ and 5.3.0: then nothing can be told). libc and other
 * allocators are not modelled.
 */
export function allocatorFromInfo(redisVersion: string | undefined, memAllocator: string | undefined): InfoHint {
  const v = redisVersion ?? "";
  const a = memAllocator ?? "";
  const from = `INFO redis_version:${v || "?"}, mem_allocator:${a || "?"}`;
  if (!a) return { allocator: null, from, why: "INFO does not say which allocator the server uses" };
  if (/^libc/.test(a)) return { allocator: null, from, why: "the server uses libc malloc, whose size classes the simulator does not model (memory figures will differ)" };
  const je = /^jemalloc-(\d+\.\d+\.\d+)/.exec(a);
  if (!je) return { allocator: null, from, why: `${a} is not an allocator the simulator models` };
  const bundled = BUNDLED_JEMALLOC.find(([re]) => re.test(v))?.[1];
  const minor = v.replace(/^(\d+\.\d+).*$/, "$1");
  if (!bundled) return { allocator: null, from, why: `the jemalloc that Redis ${v || "(unknown version)"} bundles is not known here` };
  if (je[1] !== bundled)
    return { allocator: "jemalloc-debian", from, why: `Redis ${minor} bundles jemalloc ${bundled}, so ${je[1]} is a distribution's system jemalloc (16-byte quantum)` };
  if (bundled === "5.3.0")
    return { allocator: null, from, why: `Redis ${minor} bundles jemalloc 5.3.0 and distributions ship 5.3.0 too: a bundled build (jemalloc-bundled) and a package (jemalloc-debian) look the same in INFO` };
  return {
    allocator: "jemalloc-bundled",
    from,
    why: `jemalloc ${bundled} is the one Redis ${minor} bundles: most likely an official build or Docker image (a package linking a system jemalloc ${bundled} would need jemalloc-debian)`,
  };
}

export interface DetectOptions {
  /**
   * True only after the caller checked that the server may be written to (src/io/replay/connect.ts
   * checkEmpty: empty, or --flush given). Without it a server holding keys is not probed.
   */
  probeAllowed: boolean;
  /** INFO server+memory text already read (saves a round trip); read here otherwise. */
  info?: Map<string, string>;
}

const range = (xs: number[]) => `${Math.min(...xs)}–${Math.max(...xs)} B`;

/** Which of the simulator's size-class tables the server matches, with the evidence (see the header). */
export async function detectAllocator(c: Redis, opts: DetectOptions): Promise<AllocatorDetection> {
  const info = opts.info ?? infoFields((await c.info("server")) + (await c.info("memory")));
  const redisVersion = info.get("redis_version") ?? "?";
  const memAllocator = info.get("mem_allocator") ?? "?";
  const hint = allocatorFromInfo(info.get("redis_version"), info.get("mem_allocator"));
  const infoSays = (a: Allocator) =>
    hint.allocator === null ? `${hint.from} alone could not tell` : hint.allocator === a ? `${hint.from} agrees` : `${hint.from} suggested ${hint.allocator}`;

  if (!opts.probeAllowed) {
    const keys = [...(await keyspace(c)).values()].reduce((x, y) => x + y, 0);
    // a caller's mistake, not the user's: checkEmpty (src/io/replay/connect.ts) comes first
    if (keys > 0) throw new Error(`the allocator probe was not allowed to write, and the server holds ${keys} keys: refusing to probe`);
  }
  const prefix = `evictsim:probe:${randomBytes(4).toString("hex")}:`; // unique; 26-byte names (see the header)
  const name = (i: number) => `${prefix}${String(i).padStart(2, "0")}`;
  const sizes = PROBE_VALUE_SIZES;
  let res: [Error | null, unknown][] = [];
  let failure: string | null = null;
  try {
    const p = c.pipeline();
    sizes.forEach((n, i) => {
      p.set(name(i), "x".repeat(n));
      p.call("MEMORY", "USAGE", name(i));
      p.del(name(i));
    });
    res = ((await p.exec()) ?? []) as [Error | null, unknown][];
    const err = res.find(([e]) => e)?.[0];
    if (err) {
      if (!isReplyError(err)) throw err;
      failure = describeRedisError(err);
    }
  } finally {
    // Normally each key is gone by its own DEL; after a failure part-way, delete what may be left.
    const left = sizes.map((_, i) => name(i)).filter((_, i) => !(res[3 * i + 2] && res[3 * i + 2][0] === null));
    if (left.length > 0) await withTimeout(c.del(...left), 2000).catch(() => {});
  }

  if (failure !== null) {
    const how = hint.allocator ? "info" : "none";
    return {
      allocator: hint.allocator ?? "unknown",
      how,
      redisVersion,
      memAllocator,
      evidence: `the MEMORY USAGE probe was refused (${failure}); ${hint.from}: ${hint.why}`,
    };
  }
  const probes = sizes.map((n, i) => ({ valueSize: n, memoryUsage: Number(res[3 * i + 1][1]) }));
  const klen = Buffer.byteLength(name(0));
  const matches = Object.fromEntries(
    ALLOCATORS.map((a) => [a, probes.filter((p) => p.memoryUsage === expectedMemoryUsage(a, klen, p.valueSize)).length]),
  ) as Record<Allocator, number>;
  const full = ALLOCATORS.filter((a) => matches[a] === sizes.length);
  const scores = [...ALLOCATORS].sort((x, y) => matches[y] - matches[x]).map((a) => `${a} at ${matches[a]}/${sizes.length}`);
  const what = `MEMORY USAGE of ${sizes.length} probe keys (values ${range(sizes)})`;
  if (full.length === 1) {
    const [first, ...rest] = scores;
    return {
      allocator: full[0],
      how: "probe",
      redisVersion,
      memAllocator,
      matches,
      probes,
      evidence: `${what} matches ${first} sizes${rest.length ? `, ${rest.join(", ")}` : ""}; ${infoSays(full[0])}`,
    };
  }
  return {
    allocator: "unknown",
    how: "probe",
    redisVersion,
    memAllocator,
    matches,
    probes,
    evidence: `${what} matches ${full.length === 0 ? "none of the simulator's tables" : "more than one table"}: ${scores.join(", ")} (the server said ${probes.map((p) => p.memoryUsage).join(", ")}); ${hint.from}: ${hint.why}`,
  };
}

/** field → value of INFO text. */
function infoFields(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const i = line.indexOf(":");
    if (line && !line.startsWith("#") && i > 0) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

/** "jemalloc-bundled (the default)" / "jemalloc-debian (from --set)". */
export function describeScenarioAllocator(allocator: Allocator, source: string | undefined): string {
  return source ? `${allocator} (${source})` : allocator;
}

/**
 * The one line `sim replay` refuses with when the scenario's table is not the server's: both tables and
 * the fix first (the CLI cuts a line at 400 characters), then the evidence; null when they agree.
 */
export function allocatorMismatch(scenario: Allocator, source: string | undefined, d: AllocatorDetection, where: string): string | null {
  if (d.allocator === scenario) return null;
  const mine = `the scenario's redis.allocator is ${describeScenarioAllocator(scenario, source)}`;
  if (d.allocator === "unknown")
    return `${where}: the server's size classes match none of the simulator's tables and ${mine}: memory and evictions would not compare with sim run's; --allow-allocator-mismatch replays anyway. ${d.evidence}`;
  return `${where}: the server uses ${d.allocator} size classes but ${mine}: memory and evictions would differ from sim run's; fix: --set redis.allocator=${d.allocator} (or --allow-allocator-mismatch). ${d.evidence}`;
}
