import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { InputError, oneLine } from "../src/errors.ts";
import { loadScenarioFile, openTrace } from "../src/io/scenario-file.ts";
import { runPlan, runPlanAsync } from "../src/run.ts";
import { estimateWork } from "../src/scenario/bounds.ts";
import { compile } from "../src/scenario/compile.ts";
import { infoToScenario, inferAllocator, parseInfo } from "../src/conf/info.ts";
import { confToScenarioRedis, parseRedisConf } from "../src/conf/redis-conf.ts";
import { fitSizes, parseSizes } from "../src/conf/sizes.ts";
import { sweepPoints } from "../src/sweep/points.ts";

/*
 * Property-based fuzzing of everything a user hands the simulator: scenario files (the bundled ones,
 * mutated), --set paths and values, and trace files in every format (random, truncated, corrupted).
 * The properties, as the CLI sees them (src/cli/main.ts cli()): the outcome is success (exit 0) or an
 * InputError (exit 2) whose message makes one short line without a stack trace; any other exception
 * (exit 1) is a bug. Each case must finish in bounded time, and a run writes nothing outside its
 * output directory.
 *
 * Most cases run in-process through the CLI's own path (loadScenarioFile: parse, validate, bounds;
 * compile), a sample is simulated with the duration clamped short, and a handful run `node bin/sim.js`
 * end to end. Fixed seed by default (CI); FUZZ_SEED=<n> explores, FUZZ_RUNS=<factor> scales the counts.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 42);
const SCALE = Number(process.env.FUZZ_RUNS ?? 1);
const n = (k: number) => Math.max(1, Math.round(k * SCALE));
const ROOT = resolve(import.meta.dirname, "..");
const SCENARIOS = join(ROOT, "scenarios");
/** A case (in-process) slower than this is a failure: nothing a user types should hang the tool. */
const CASE_MS = 5_000;

const dir = mkdtempSync(join(tmpdir(), "evictsim-fuzz-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BASES: { name: string; text: string }[] = readdirSync(SCENARIOS)
  .filter((f) => f.endsWith(".yaml"))
  .sort()
  .map((f) => ({ name: f, text: readFileSync(join(SCENARIOS, f), "utf8") }));

// ---- the properties ------------------------------------------------------------------------------------

type Outcome = { code: 0 | 2; message?: string; ms: number };

/** Checks an InputError's message as the CLI prints it: one line, short, no stack, no raw control characters. */
function checkMessage(message: string, what: string): void {
  const line = `sim: ${oneLine(message)}`;
  if (line.includes("\n")) throw new Error(`${what}: the printed message spans lines: ${JSON.stringify(line)}`);
  if (/\n\s+at /.test(message) || line.includes("    at ")) throw new Error(`${what}: a stack trace in a user error: ${JSON.stringify(message.slice(0, 500))}`);
  // values are cut where the message is made, not only by oneLine: no line of the message is huge
  const longest = Math.max(...message.split("\n").map((l) => l.length));
  if (longest > 1000) throw new Error(`${what}: a message line of ${longest} characters (values not cut): ${JSON.stringify(message.slice(0, 300))}…`);
  if (/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(line)) throw new Error(`${what}: a raw control character in ${JSON.stringify(line)}`);
  if (line.length > 600) throw new Error(`${what}: ${line.length} characters`);
}

/** Runs `body` as cli() would judge it: InputError → 2 (message checked), success → 0, anything else thrown on. */
async function judge(what: string, body: () => unknown): Promise<Outcome> {
  const t0 = performance.now();
  let out: Outcome;
  try {
    await body();
    out = { code: 0, ms: 0 };
  } catch (e) {
    if (!(e instanceof InputError)) {
      const err = e as Error;
      throw new Error(`${what}: exit 1 (internal error): ${err?.stack ?? err}`);
    }
    checkMessage(e.message, what);
    out = { code: 2, message: e.message, ms: 0 };
  }
  out.ms = performance.now() - t0;
  if (out.ms > CASE_MS) throw new Error(`${what}: took ${Math.round(out.ms)} ms`);
  return out;
}

let fileNo = 0;
function writeCase(text: string | Uint8Array, ext = ".yaml"): string {
  const f = join(dir, `case-${fileNo++}${ext}`);
  writeFileSync(f, text);
  return f;
}

/** The CLI's path up to the simulation: read, parse, --set, validate, bounds, compile. */
function load(file: string, sets: string[] = []) {
  const loaded = loadScenarioFile(file, sets);
  return { loaded, plan: compile(loaded.scenario) };
}

/** Describes a case for a failure message (short). */
const describeCase = (text: string, sets: string[] = []) => `case ${JSON.stringify(text.length > 1500 ? text.slice(0, 1500) + "…" : text)}${sets.length ? ` with --set ${JSON.stringify(sets.map((s) => (s.length > 200 ? s.slice(0, 200) + "…" : s)))}` : ""}`;

// ---- generators ----------------------------------------------------------------------------------------

const HUGE = "x".repeat(30_000);
const SCALARS: string[] = [
  "0", "-1", "-0", "1", "1.5", "1e3", "1e23", "1e300", "1e400", "-1e400", "9007199254740993", "99999999999gb", "1e30", "18446744073709551616",
  "0x10", "0o17", ".inf", "-.inf", ".nan", "NaN", "nan", "Infinity", "null", "~", "", '""', "''", "yes", "no", "true", "false", "on",
  "1h", "0s", "-5m", "1us", "1d1h", "500ms", "1e9d", "999999999999999999999h", "10%", "200%", "-10%", "1kb", "0mb", "-1mb", "8192tb", "8193tb",
  "allkeys-lru", "opt", "exact-lru", "noeviction", "unbounded", "none", "lock", "xfetch", "zipf", "uniform",
  "[]", "{}", "[1, 2]", "{a: 1}", "[[[[[]]]]]", "{dist: lognormal, median: 1, p99: 0}", "{dist: hot-set}", "{dist: empirical, values: []}",
  "&x [*x]", "*nope", "&y {a: *y}", "!!binary aGVsbG8=", "!!set {a, b}", "!!timestamp 2001-12-14", "!custom 1", "<<: {a: 1}",
  '"\\u0000\\u001b[31m red"', '"\\x07\\x1b]0;title\\x07"', "ß€😀ℝ", '"\\u2028\\u2029"', "'\t'", '"' + "y".repeat(5000) + '"', HUGE,
  "[" + "[".repeat(300) + "]".repeat(300) + "]", "{a: ".repeat(200) + "1" + "}".repeat(200), "- - - - - - -",
  "/etc/passwd", "../../../etc/passwd", "/dev/zero", "/dev/stdin", "/", ".", "..", "a/b", "C:\\\\x",
  "__proto__", "constructor", "toString", "hasOwnProperty",
];
const scalar = fc.oneof(fc.constantFrom(...SCALARS), fc.string({ maxLength: 12 }), fc.integer().map(String), fc.double().map(String), fc.string({ unit: "binary", maxLength: 6 }));

const LINES: string[] = [
  "redis: &r {maxmemory: 1mb}", "redis: *r", "<<: *r", "a: &a [*a]", "\tmaxmemory: 1mb", "  \t- x", "duration: 1s", "duration: 2s", "sweep: {redis.maxmemory: [1mb, foo]}",
  "sweep: {a: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], b: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], c: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], d: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], e: [1, 2]}",
  "events: [{at: 1s, action: restart}]", "events: [{at: 1e400, action: crash}]", "---", "...", "%YAML 1.1", "? complex", ": value", "- item", "{", "}", "[", "'", '"',
  "workload: {trace: {path: /etc/passwd, format: csv}}", "redis: {conf: /etc/passwd}", "redis: {conf: /etc}", "redis: {conf: /dev/null}", "output: {interval: 1us}",
  "workload: {rate: 1e15, classes: [{name: a, keys: 1}]}", "host: {memory: 99999999999gb}", "name: ../../escape", "name: \"a\\u0000b\"",
  "# comment", "", "  ", "\u0000", "\ufeffname: bom", "x: " + "y".repeat(3000),
];

/** One mutation of a scenario's lines. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("duplicate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), line: fc.oneof(fc.constantFrom(...LINES), fc.string({ maxLength: 30 })), indent: fc.constantFrom("", "  ", "    ", "\t") }),
  fc.record({ kind: fc.constant("value" as const), at: fc.nat(), value: scalar }),
  fc.record({ kind: fc.constant("swap" as const), at: fc.nat(), with: fc.nat() }),
  fc.record({ kind: fc.constant("wrap" as const), at: fc.nat(), how: fc.constantFrom("[", "{v: ", "&z ", "*z ", "!!str ", "- ") }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("bytes" as const), at: fc.nat(), bytes: fc.string({ maxLength: 4 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

const VALUE_RE = /^(\s*(?:- )?[\w.-]+:\s*)(.*?)(\s*#.*)?$/;

function mutate(text: string, ms: Mutation[]): string {
  let lines = text.split("\n");
  for (const m of ms) {
    const i = lines.length === 0 ? 0 : m.at % lines.length;
    switch (m.kind) {
      case "delete":
        lines.splice(i, 1);
        break;
      case "duplicate":
        lines.splice(i, 0, lines[i] ?? "");
        break;
      case "insert":
        lines.splice(i, 0, m.indent + m.line);
        break;
      case "value": {
        const v = VALUE_RE.exec(lines[i] ?? "");
        if (v) lines[i] = v[1] + m.value + (v[3] ?? "");
        else lines[i] = (lines[i] ?? "") + " " + m.value;
        break;
      }
      case "swap": {
        const j = m.with % Math.max(1, lines.length);
        const a = VALUE_RE.exec(lines[i] ?? ""), b = VALUE_RE.exec(lines[j] ?? "");
        if (a && b) {
          lines[i] = a[1] + b[2];
          lines[j] = b[1] + a[2];
        } else [lines[i], lines[j]] = [lines[j] ?? "", lines[i] ?? ""];
        break;
      }
      case "wrap": {
        const v = VALUE_RE.exec(lines[i] ?? "");
        if (v) lines[i] = v[1] + m.how + v[2] + (m.how === "[" ? "]" : m.how === "{v: " ? "}" : "");
        break;
      }
      case "truncate": {
        const all = lines.join("\n");
        lines = all.slice(0, m.at % (all.length + 1)).split("\n");
        break;
      }
      case "bytes": {
        const l = lines[i] ?? "";
        const p = m.at % (l.length + 1);
        lines[i] = l.slice(0, p) + m.bytes + l.slice(p);
        break;
      }
    }
  }
  return lines.join("\n");
}

const mutatedScenario = fc.record({
  base: fc.nat({ max: BASES.length - 1 }),
  mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }),
});

/** Every dotted path of the reference scenario (and of the others), for --set. */
function pathsOf(v: unknown, prefix = ""): string[] {
  if (typeof v !== "object" || v === null) return prefix ? [prefix] : [];
  const out: string[] = prefix ? [prefix] : [];
  for (const [k, x] of Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v)) out.push(...pathsOf(x, prefix ? `${prefix}.${k}` : k));
  return out;
}
const PATHS = [...new Set(BASES.flatMap((b) => pathsOf(parseYaml(b.text))))].sort();
const SEGMENTS = ["0", "1", "2", "3", "100", "1e3", "100000000", "-1", "", " ", "__proto__", "prototype", "constructor", "x", "maxmemory", "keys", "classes", "sweep", "a.b", "9".repeat(400)];
const setPath = fc.oneof(
  fc.constantFrom(...PATHS),
  fc.tuple(fc.constantFrom(...PATHS), fc.constantFrom(...SEGMENTS)).map(([p, s]) => `${p}.${s}`),
  fc.array(fc.oneof(fc.constantFrom(...SEGMENTS), fc.string({ maxLength: 6 })), { minLength: 1, maxLength: 5 }).map((a) => a.join(".")),
);
const setArg = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(setPath, scalar).map(([p, v]) => `${p}=${v}`) },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom("=", "=x", "a==b", "redis.maxmemory", "redis..maxmemory=1", ".=1", "redis.maxmemory=" + HUGE)) },
);

// ---- traces --------------------------------------------------------------------------------------------

interface TraceFormatCase {
  format: string;
  ext: string;
  /** Options for the trace section. */
  extra: string;
  /** A small valid trace. */
  valid: () => Uint8Array;
}

const te = new TextEncoder();
function oracle(records: [number, number, number, number][]): Uint8Array {
  const b = Buffer.alloc(24 * records.length);
  records.forEach(([t, id, size, next], i) => {
    b.writeUInt32LE(t, 24 * i);
    b.writeUInt32LE(id, 24 * i + 4);
    b.writeUInt32LE(0, 24 * i + 8);
    b.writeUInt32LE(size, 24 * i + 12);
    b.writeBigInt64LE(BigInt(next), 24 * i + 16);
  });
  return b;
}
/** What the messages name as expected (a line of the file may be part of it: a truncated header). */
const EXPECTED_TEXT = "t_ms,op,key,value_size,ttl_s timestamp,key,key size,value size,client id,operation,TTL";
const FORMATS: TraceFormatCase[] = [
  { format: "csv", ext: ".csv", extra: "", valid: () => te.encode("t_ms,op,key,value_size,ttl_s\n0,GET,a,100,0\n1,SET,b,200,5\n2.5,DEL,a,,\n3,get,b,1,0.5\n") },
  { format: "oracle-general", ext: ".oracleGeneral", extra: "", valid: () => oracle([[10, 1, 100, 3], [10, 2, 50, -1], [11, 1, 100, -1], [12, 3, 7, -1]]) },
  { format: "twitter", ext: ".twitter.csv", extra: "", valid: () => te.encode("0,key1,4,100,1,get,0\n1,key2,4,50,1,set,60\n1,key1,4,100,2,gets,0\n2,k,e,y,1,5,1,delete,0\n") },
  {
    format: "libcachesim-csv",
    ext: ".lcs.csv",
    extra: ", time-col: 1, obj-id-col: 2, obj-size-col: 3, op-col: 4, ttl-col: 5",
    valid: () => te.encode("time,id,size,op,ttl\n0,1,100,read,0\n1,2,200,write,10\n2,1,100,delete,\n"),
  },
  { format: "cache2k", ext: ".trace", extra: ", rate: 1000, value-size: 64", valid: () => Buffer.from(new Int32Array([1, 2, 3, 1, -5, 2]).buffer) },
];

const traceBytes = fc.oneof(
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  { weight: 3, arbitrary: fc.tuple(fc.nat(), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 4 }), fc.constantFrom("truncate", "flip", "insert", "append-line")) },
);

function traceCase(f: TraceFormatCase, how: Uint8Array | [number, number, Uint8Array, string]): Uint8Array {
  if (how instanceof Uint8Array) return how;
  const [a, b, bytes, op] = how;
  const v = f.valid();
  const i = a % (v.length + 1);
  switch (op) {
    case "truncate":
      return v.subarray(0, i);
    case "flip": {
      const c = Uint8Array.from(v);
      if (c.length) c[i % c.length] ^= bytes[0] || 0xff;
      if (c.length) c[b % c.length] = bytes[bytes.length - 1];
      return c;
    }
    case "insert":
      return Buffer.concat([v.subarray(0, i), bytes, v.subarray(i)]);
    default: {
      const lines = ["9".repeat(20) + ",GET,a,1,0", "1e300,GET,a,1,0", "NaN,GET,a,1,0", "-1,GET,a,1,0", "4294967295,x,1,1,1,get,0", "1e308,1,1,read,0", ",,,,", "\u001b[31m,\u0000"];
      return Buffer.concat([v, te.encode(lines[b % lines.length] + "\n")]);
    }
  }
}

// ---- sim init's inputs ---------------------------------------------------------------------------------

const CONF_SAMPLE = [
  "# redis.conf", "bind 127.0.0.1", "port 6379", "maxmemory 2gb", "maxmemory-policy allkeys-lru", "maxmemory-samples 10", "hz 10",
  'save 3600 1 300 100', 'save ""', "appendonly yes", "appendfsync everysec", "include /etc/redis/other.conf", 'requirepass "s3cr3t-do-not-show"',
  "lfu-log-factor 10", "databases 16", "auto-aof-rewrite-min-size 64mb", "rename-command FLUSHALL \"\"",
].join("\n");
const INFO_SAMPLE = [
  "# Server", "redis_version:7.0.15", "uptime_in_seconds:1000", "configured_hz:10", "", "# Clients", "connected_clients:3", "", "# Memory",
  "used_memory:12000000", "used_memory_startup:876224", "used_memory_rss:15000000", "mem_fragmentation_ratio:1.25", "maxmemory:33554432",
  "maxmemory_policy:volatile-lru", "mem_allocator:jemalloc-5.3.0", "", "# Persistence", "aof_enabled:1", "rdb_saves:4", "", "# Stats",
  "total_commands_processed:500000", "instantaneous_ops_per_sec:1500", "keyspace_hits:750", "keyspace_misses:250", "evicted_keys:10", "expired_keys:20", "",
  "# Keyspace", "db0:keys=40000,expires=10000,avg_ttl=1800000", "db1:keys=500,expires=0,avg_ttl=0", "db3:keys=100,expires=100,avg_ttl=0", "",
].join("\r\n");
const SIZES_SAMPLE = ["key,bytes", "user:1,72", "user:2,1024", "session:9,4096", "x,(nil)", "y,56", "z,100000"].join("\n");

// ---- edge values the schema accepts, for simulating -----------------------------------------------------

const EDGES: Record<string, string[]> = {
  "redis.maxmemory": ["0", "1", "1000", "1mb", "8192tb"],
  "redis.maxmemory-policy": ["noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "exact-lru", "opt"],
  "redis.maxmemory-samples": ["1", "64"],
  "redis.maxmemory-eviction-tenacity": ["0", "100"],
  "redis.hz": ["1", "500"],
  "redis.lfu-log-factor": ["0", "1000000000"],
  "redis.lfu-decay-time": ["0", "1000000000"],
  "redis.active-expire-effort": ["10"],
  "redis.clients": ["0", "1000000"],
  "redis.save": ['"1 0"', '""', '"1 1 1 1"'],
  "redis.appendonly": ["yes"],
  "redis.appendfsync": ["always", "no"],
  "redis.auto-aof-rewrite-percentage": ["0", "1"],
  "redis.auto-aof-rewrite-min-size": ["0", "1"],
  "redis.memory-accounting": ["object-size"],
  "redis.allocator": ["jemalloc-debian"],
  "workload.rate": ["0.000000001", "0.001", "1", "100000"],
  "workload.arrivals": ["constant"],
  "workload.sampling": ["0.000000001", "0.5"],
  "workload.classes.0.keys": ["1", "2", "unbounded"],
  "workload.classes.0.value-size": ["0", "512mb", "{dist: uniform, min: 0, max: 0}", "{dist: lognormal, median: 1, p99: 512mb}", "{dist: empirical, values: [0], weights: [1]}"],
  "workload.classes.0.ttl": ["1ms", "{dist: uniform, min: 1ms, max: 1ms}", "{ttl: 1ms, jitter: 0.99}", "99999d"],
  "workload.classes.0.popularity": ["{dist: zipf, alpha: 0}", "{dist: zipf, alpha: 10}", "{dist: hot-set, keys: 0, share: 1}", "{dist: hot-set, keys: 1, share: 0}", "{dist: uniform, offset: 1}"],
  "workload.classes.0.share": ["0", "1e300"],
  "workload.classes.0.db": ["15"],
  "workload.classes.0.mode": ["explicit"],
  "workload.classes.0.ops": ["{get: 0, set: 0, del: 0}", "{del: 1}"],
  "workload.classes.0.new-keys": ["0", "1"],
  "workload.classes.0.mitigation": ["lock", "xfetch", "ttl-jitter", "stale-while-revalidate", "{kind: lock, lock-ttl: 1ms, poll: 1ms, holder-failure: 1}"],
  events: ["[{at: 0s, action: flushall}]", "[{at: 0s, action: restart, downtime: 0s}]", "[{at: 100ms, action: crash, kind: process}]", "[{at: 0s, action: prewarm, keys: 1}]", "[{at: 0s, action: bgsave}]", "[{at: 0s, action: bgrewriteaof}]"],
  "output.interval": ["1ms", "1h"],
  persistence: ["{fork: 0, disk: {fsync: 1us}, save-speed: 1}", "{transparent-huge-pages: yes}"],
  host: ["{memory: 1, fragmentation-ratio: 10}"],
  database: ["{pool: 1, max-connections: 1, query-time: 1us, query-timeout: 1ms, pool-timeout: 1ms, cancel-on-timeout: true}"],
  app: ["{instances: 100000, retry: {max: 100, base: 1us, cap: 1us}}"],
  "workload.phases": ["[{duration: 1ms, rate: 0}, {duration: 1ms, rate: 1000}]"],
};
const edgeSet = fc.constantFrom(...Object.keys(EDGES)).chain((k) => fc.constantFrom(...EDGES[k]).map((v) => `${k}=${v}`));

// ---- the suites ----------------------------------------------------------------------------------------

const stats = { ok: 0, input: 0, simulated: 0 };
/** Process warnings (the yaml library warns on stderr, e.g. for a map used as a key): the CLI's stderr must stay one line. */
const warnings: string[] = [];
process.on("warning", (w) => warnings.push(w.message));

describe("fuzz", () => {
  const SCEN = n(1500);
  it(`${SCEN} mutated scenarios (seed ${SEED}): exit 0 or 2, one short line, no stack, bounded time; ${n(40)} of them simulated for 200 ms`, async () => {
    let simulated = 0;
    await fc.assert(
      fc.asyncProperty(mutatedScenario, fc.boolean(), async ({ base, mutations }, simulate) => {
        const text = mutate(BASES[base].text, mutations);
        const file = writeCase(text);
        const what = `${BASES[base].name} mutated: ${describeCase(text)}`;
        let loaded: ReturnType<typeof load> | null = null;
        const o = await judge(what, () => (loaded = load(file)));
        stats[o.code === 0 ? "ok" : "input"]++;
        // sim sweep loads every point of the sweep block as the scenario with its --sets
        const sweep = o.code === 0 ? (loaded as ReturnType<typeof load> | null)?.loaded.scenario.sweep : undefined;
        if (sweep) for (const p of sweepPoints(sweep).slice(0, 20)) await judge(`${what} (sweep point ${p.sets.join(" ")})`, () => load(file, p.sets));
        if (o.code === 0 && simulate && simulated < n(40) && loaded !== null) {
          // the simulation itself, clamped short (and small: the bounds allow hours of work)
          const short = await judge(what + " (200 ms)", () => load(file, ["duration=200ms", "output.interval=100ms"]));
          if (short.code !== 0) return;
          const { plan, loaded: l } = load(file, ["duration=200ms", "output.interval=100ms"]);
          const w = estimateWork(l.scenario);
          if ((w.requests ?? 0) > 2e5 || w.keys > 5e6 || l.tracePath) return;
          simulated++;
          stats.simulated++;
          await judge(what + " (simulated 200 ms)", () => runPlan(plan, {}));
        }
      }),
      { seed: SEED, numRuns: SCEN, endOnFailure: true },
    );
  }, 120_000);

  const SETS = n(600);
  it(`${SETS} --set paths and values on the bundled scenarios (seed ${SEED}): exit 0 or 2, one short line, no stack`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: BASES.length - 1 }), fc.array(setArg, { minLength: 1, maxLength: 3 }), async (base, sets) => {
        const file = join(SCENARIOS, BASES[base].name);
        const o = await judge(`${BASES[base].name} ${describeCase("", sets)}`, () => load(file, sets));
        stats[o.code === 0 ? "ok" : "input"]++;
      }),
      { seed: SEED + 1, numRuns: SETS, endOnFailure: true },
    );
  }, 120_000);

  const EDGE = n(250);
  it(`${EDGE} scenarios with edge values the schema accepts, simulated for 200 ms (seed ${SEED}): exit 0 or 2, never an internal error`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: BASES.length - 1 }), fc.array(edgeSet, { minLength: 1, maxLength: 5 }), async (base, sets) => {
        const file = join(SCENARIOS, BASES[base].name);
        const all = [...sets, "duration=200ms"];
        const what = `${BASES[base].name} ${describeCase("", all)}`;
        let loaded: ReturnType<typeof load> | null = null;
        const o = await judge(what, () => (loaded = load(file, all)));
        stats[o.code === 0 ? "ok" : "input"]++;
        const l = loaded as ReturnType<typeof load> | null;
        if (o.code !== 0 || l === null || l.loaded.tracePath) return;
        const w = estimateWork(l.loaded.scenario);
        if ((w.requests ?? 0) > 2e5 || w.keys > 5e6) return;
        stats.simulated++;
        await judge(what + " (simulated)", () => runPlan(l.plan, {}));
      }),
      { seed: SEED + 5, numRuns: EDGE, endOnFailure: true },
    );
  }, 120_000);

  const TRACES = n(400);
  it(`${TRACES} random, truncated and corrupted traces in every format (seed ${SEED}): read to the end or refused in one line`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: FORMATS.length - 1 }), traceBytes, fc.boolean(), async (fi, how, gz) => {
        const f = FORMATS[fi];
        const bytes = traceCase(f, how);
        const ext = f.ext + (gz ? ".gz" : "");
        const trace = writeCase(gz ? gzipSync(bytes) : bytes, ext);
        // a duration keeps a trace with a long idle gap short (the model fast-forwards idle time: see input-errors.test.ts)
        const scen = writeCase(`duration: 10s\noutput: {interval: 1s}\nworkload:\n  trace: {path: ${JSON.stringify(trace)}, format: ${f.format}${f.extra}}\n`);
        const what = `${f.format}${gz ? " (gzip)" : ""} trace ${JSON.stringify(Buffer.from(bytes).toString("latin1").slice(0, 400))}`;
        const o = await judge(what, async () => {
          const { loaded, plan } = load(scen);
          await runPlanAsync(plan, openTrace(plan, loaded), {});
        });
        stats[o.code === 0 ? "ok" : "input"]++;
        // the message says which line and what was expected; it does not repeat the file's lines
        if (o.message)
          for (const line of Buffer.from(bytes).toString("utf8").split("\n"))
            if (line.length >= 12 && o.message.includes(line) && !EXPECTED_TEXT.includes(line)) throw new Error(`${what}: the message echoes a line of the file: ${JSON.stringify(o.message)}`);
      }),
      { seed: SEED + 2, numRuns: TRACES, endOnFailure: true },
    );
  }, 120_000);

  const INIT = n(300);
  it(`${INIT} mutated redis.conf, INFO and sizes files, as sim init and redis: {conf} read them (seed ${SEED}): only user errors, no file content echoed`, async () => {
    const docs = { conf: CONF_SAMPLE, info: INFO_SAMPLE, sizes: SIZES_SAMPLE };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("conf", "info", "sizes"), fc.array(mutation, { minLength: 1, maxLength: 4 }), async (kind, ms) => {
        const text = mutate(docs[kind as keyof typeof docs], ms);
        const what = `${kind} ${describeCase(text)}`;
        const o = await judge(what, () => {
          if (kind === "conf") {
            confToScenarioRedis(parseRedisConf(text, "redis.conf"));
            // and through a scenario, as redis: {conf: …} reads it
            const conf = writeCase(text, ".conf");
            load(writeCase(`duration: 1s\nredis: {conf: ${JSON.stringify(conf)}}\nworkload: {rate: 10, classes: [{name: a, keys: 10}]}\n`));
          } else if (kind === "info") {
            const info = parseInfo(text, "info.txt");
            inferAllocator(info);
            infoToScenario(info);
          } else fitSizes(parseSizes(text, "sizes.csv"));
        });
        stats[o.code === 0 ? "ok" : "input"]++;
        if (o.message && kind === "conf")
          for (const line of text.split("\n")) if (line.trim().length >= 16 && /\s/.test(line.trim()) && o.message.includes(line.trim())) throw new Error(`${what}: the message echoes a line of the file: ${JSON.stringify(o.message)}`);
      }),
      { seed: SEED + 4, numRuns: INIT, endOnFailure: true },
    );
  }, 120_000);

  const E2E = n(10);
  it(`${E2E} mutated scenarios end to end through node bin/sim.js run --out (seed ${SEED}): exit 0 or 2, one line, nothing written outside --out`, async () => {
    const cases = fc.sample(mutatedScenario, { seed: SEED + 3, numRuns: E2E });
    const run = async (c: (typeof cases)[number], i: number) => {
      const cwd = join(dir, `e2e-${i}`);
      mkdirSync(cwd);
      const text = mutate(BASES[c.base].text, c.mutations);
      writeFileSync(join(cwd, "s.yaml"), text);
      const r = await new Promise<{ code: number | null; err: string }>((res) => {
        const p = spawn(process.execPath, [join(ROOT, "bin/sim.js"), "run", "s.yaml", "--out", "out", "--no-charts", "--quiet", "--set", "duration=300ms", "--set", "output.interval=100ms"], { cwd });
        let err = "";
        p.stderr.on("data", (d) => (err += d));
        const timer = setTimeout(() => p.kill("SIGKILL"), 60_000);
        p.on("close", (code) => {
          clearTimeout(timer);
          res({ code, err });
        });
      });
      const what = `e2e ${describeCase(text)}`;
      expect(r.code, `${what}: ${r.err}`).toSatisfy((x: number) => x === 0 || x === 2);
      if (r.code === 2) {
        expect(r.err.split("\n").filter((l) => l !== ""), what).toHaveLength(1);
        expect(r.err, what).not.toMatch(/    at /);
      }
      expect(readdirSync(cwd).sort(), `${what}: files outside --out`).toEqual(r.code === 0 ? ["out", "s.yaml"] : ["s.yaml"]);
    };
    // two at a time (a 2-core machine)
    for (let i = 0; i < cases.length; i += 2) await Promise.all(cases.slice(i, i + 2).map((c, j) => run(c, i + j)));
  }, 120_000);

  it("the cases above covered both outcomes, and printed no warnings", async () => {
    await new Promise((r) => setTimeout(r, 10));
    expect(stats.ok).toBeGreaterThan(0);
    expect(stats.input).toBeGreaterThan(0);
    expect(stats.simulated).toBeGreaterThan(0);
    expect(warnings).toEqual([]);
  });
});
