import { accessSync, constants, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import yargs from "yargs";
import { simInit, initCommand, buildInitScenario } from "../src/cli/init.ts";
import { simRun } from "../src/cli/run.ts";
import { inferAllocator, infoToScenario, parseInfo } from "../src/conf/info.ts";
import { confToScenarioRedis, parseRedisConf, REDIS_DEFAULT_SAVE, splitArgs } from "../src/conf/redis-conf.ts";
import { fitSizes, groupByPrefix, parseSizes, valueLenFromMemoryUsage, encodingOf } from "../src/conf/sizes.ts";
import { InputError } from "../src/errors.ts";
import { allocatorFn } from "../src/redis/alloc.ts";
import { memoryUsage } from "../src/redis/memory.ts";
import { parseScenario } from "../src/scenario/parse.ts";
import { loadScenarioFile } from "../src/io/scenario-file.ts";
import { hasRedisServer, startRedis, type RunningRedis } from "./redis-server.ts";

/*
 * sim init: redis.conf (as config.c reads it), INFO all and MEMORY USAGE samples → a commented scenario
 * that sim run accepts, every inferred value traceable to its source. The Debian package's redis.conf
 * and an INFO all captured from a private redis-server are used where present.
 */

const tmp = () => mkdtempSync(join(tmpdir(), "evictsim-init-"));
const DEBIAN_CONF = "/etc/redis/redis.conf";
const readable = (p: string) => {
  try {
    accessSync(p, constants.R_OK);
    return true;
  } catch {
    return false;
  }
};
const debianConf = existsSync(DEBIAN_CONF) && readable(DEBIAN_CONF);
if (!debianConf) console.warn(`init.test: ${DEBIAN_CONF} ${existsSync(DEBIAN_CONF) ? "is not readable by this user" : "is absent (no redis-server package)"}: the Debian redis.conf tests are skipped`);
if (!hasRedisServer) console.warn("init.test: no redis-server on the PATH: the live INFO all test is skipped");

/** The 1-based line of the first line matching `re` in `text` (an independent look at the file). */
const lineOf = (text: string, re: RegExp) => text.split("\n").findIndex((l) => re.test(l)) + 1;

const expectInputError = (f: () => unknown, re: RegExp) => {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(InputError);
  expect((err as Error).message).toMatch(re);
};

describe("redis.conf: sdssplitargs", () => {
  it("splits on whitespace and reads double and single quotes as Redis does", () => {
    expect(splitArgs("maxmemory   2gb")).toEqual(["maxmemory", "2gb"]);
    expect(splitArgs('proc-title-template "{title} {listen-addr} {server-mode}"')).toEqual(["proc-title-template", "{title} {listen-addr} {server-mode}"]);
    expect(splitArgs('notify-keyspace-events ""')).toEqual(["notify-keyspace-events", ""]);
    expect(splitArgs('requirepass "a\\x41\\n\\t\\"b\\\\"')).toEqual(["requirepass", 'aA\n\t"b\\']);
    expect(splitArgs("requirepass 'it\\'s a \\n'")).toEqual(["requirepass", "it's a \\n"]);
    expect(splitArgs("a\tb \t c")).toEqual(["a", "b", "c"]);
    expect(splitArgs('dir "/var/lib/my redis"')).toEqual(["dir", "/var/lib/my redis"]);
  });
  it("refuses unbalanced quotes and a closing quote glued to more text", () => {
    expect(splitArgs('requirepass "secret')).toBeNull();
    expect(splitArgs("requirepass 'secret")).toBeNull();
    expect(splitArgs('requirepass "abc"def')).toBeNull();
  });
});

describe("redis.conf: directives", () => {
  const TEXT = [
    "# a comment",
    "   # an indented comment",
    "MaxMemory 100MB",
    "maxmemory 2gb",
    "maxmemory-policy ALLKEYS-LFU",
    "save 900 1",
    "save 300 10",
    "include /etc/redis/local.conf",
    "hz 1000",
    "maxmemory-samples 100",
    "lfu-log-factor 1.5",
    "appendonly yes # with a comment",
    "appendfsync always\r",
    "bind 127.0.0.1 -::1",
    'requirepass "unterminated',
    "databases 32",
    "",
  ].join("\n");

  it("reads names case-insensitively, the last occurrence wins, save accumulates, includes are listed", () => {
    const c = parseRedisConf(TEXT, "x.conf");
    expect(c.directives.get("maxmemory")).toEqual({ name: "maxmemory", args: ["2gb"], line: 4, lines: [3, 4] });
    expect(c.directives.get("save")).toEqual({ name: "save", args: ["900", "1", "300", "10"], line: 7, lines: [6, 7] });
    expect(c.directives.get("appendfsync")!.args).toEqual(["always"]); // \r\n trimmed
    expect(c.directives.get("bind")!.args).toEqual(["127.0.0.1", "-::1"]);
    expect(c.includes).toEqual([{ path: "/etc/redis/local.conf", line: 8 }]);
    expect(c.warnings).toEqual([{ line: 15, message: expect.stringMatching(/unbalanced quotes/) }]);
  });

  it('save "" clears the save points of earlier lines; a quoted list is split', () => {
    expect(parseRedisConf('save 900 1\nsave ""\nsave 60 5\n').directives.get("save")!.args).toEqual(["60", "5"]);
    expect(parseRedisConf('save 900 1\nsave ""\n').directives.get("save")!.args).toEqual([]);
    expect(parseRedisConf('save "3600 1 300 100"\n').directives.get("save")!.args).toEqual(["3600", "1", "300", "100"]);
    const bad = parseRedisConf("save 0 1\nsave 10\n");
    expect(bad.warnings.map((w) => w.line)).toEqual([1, 2]);
    expect(bad.directives.has("save")).toBe(false);
  });

  it("maps what the simulator models, with the line each came from; invalid values are warnings with their line", () => {
    const m = confToScenarioRedis(parseRedisConf(TEXT, "x.conf"));
    const f = Object.fromEntries(m.fields.map((x) => [x.field, x]));
    expect(f.maxmemory).toMatchObject({ value: "2gb", from: "x.conf:4" });
    expect(f["maxmemory-policy"]).toMatchObject({ value: "allkeys-lfu", from: "x.conf:5" });
    expect(f.save).toMatchObject({ value: "900 1 300 10", from: "x.conf:6,7" });
    expect(f.hz).toMatchObject({ value: 500, from: "x.conf:9", note: "Redis clamps hz 1000 to 500" });
    expect(f.appendfsync).toMatchObject({ value: "always", from: "x.conf:13" });
    expect(f.databases).toMatchObject({ value: 16, from: "x.conf:16" });
    expect(f["maxmemory-samples"]).toBeUndefined();
    expect(f["lfu-log-factor"]).toBeUndefined();
    expect(f.appendonly).toBeUndefined();
    const w = (line: number) => m.warnings.filter((x) => x.line === line).map((x) => x.message).join(" | ");
    expect(w(10)).toMatch(/maxmemory-samples: 100 must be between 1 and 64; Redis refuses/);
    expect(w(11)).toMatch(/lfu-log-factor: "1.5" is not a whole number/);
    expect(w(12)).toMatch(/appendonly: takes one argument, found 5 \(# starts a comment only at the beginning of a line\)/);
    expect(w(8)).toMatch(/include \/etc\/redis\/local.conf: not followed/);
    expect(w(16)).toMatch(/databases 32: the simulator models at most 16/);
    expect(m.notes).toEqual(["x.conf:8: include /etc/redis/local.conf was not followed: settings in it are not applied"]);
    expect(m.ignored).toEqual([
      { name: "bind", line: 14, why: undefined },
    ]);
  });

  it("units as memtoull reads them; what Redis refuses is not used", () => {
    const get = (text: string) => confToScenarioRedis(parseRedisConf(text));
    expect(get("maxmemory 1G\n").fields.find((x) => x.field === "maxmemory")!.value).toBe("1g");
    expect(get("maxmemory 1048576\n").fields.find((x) => x.field === "maxmemory")!.value).toBe(1048576);
    expect(get("auto-aof-rewrite-min-size 512kb\n").fields.find((x) => x.field === "auto-aof-rewrite-min-size")!.value).toBe("512kb");
    for (const bad of ["1.5gb", "2gib", "-1", "10 mb"]) {
      const m = get(`maxmemory ${bad}\n`);
      expect(m.fields.find((x) => x.field === "maxmemory")).toBeUndefined();
      expect(m.warnings[0].line).toBe(1);
    }
    expect(get("maxmemory-policy lru\n").warnings[0].message).toMatch(/"lru" is not one of volatile-lru, .*noeviction/);
    expect(get("appendonly maybe\n").warnings[0].message).toMatch(/must be yes or no/);
    // Redis's default save points apply when the file has no save line
    expect(get("port 6379\n").fields.find((x) => x.field === "save")).toMatchObject({ value: REDIS_DEFAULT_SAVE, from: expect.stringMatching(/compiled default/) });
  });

  it.skipIf(!debianConf)("Debian's /etc/redis/redis.conf: the directives as that file sets them", () => {
    const text = readFileSync(DEBIAN_CONF, "utf8");
    const c = parseRedisConf(text, DEBIAN_CONF);
    // Redis starts on this file: nothing to warn about
    expect(c.warnings).toEqual([]);
    // appendonly / appendfsync: active lines of the file, found independently
    for (const [name, re] of [
      ["appendonly", /^appendonly\s/],
      ["appendfsync", /^appendfsync\s/],
      ["databases", /^databases\s/],
      ["hz", /^hz\s/],
    ] as const) {
      const line = lineOf(text, re);
      expect(line, name).toBeGreaterThan(0);
      const value = text.split("\n")[line - 1].trim().split(/\s+/)[1];
      expect(c.directives.get(name), name).toMatchObject({ args: [value], line });
    }
    expect(c.directives.get("appendonly")!.args).toEqual(["no"]);
    // save and maxmemory-policy appear only in comments (`# save 3600 1 …`, `# maxmemory-policy noeviction`)
    expect(text).toMatch(/^# save 3600 1 300 100 60 10000$/m);
    expect(text).toMatch(/^# maxmemory-policy noeviction$/m);
    expect(c.directives.has("save")).toBe(false);
    expect(c.directives.has("maxmemory-policy")).toBe(false);
    expect(c.directives.has("maxmemory")).toBe(false);
    // `# include /path/to/local.conf` is commented out too
    expect(c.includes).toEqual([]);
    // quoted arguments: the empty string and one with spaces
    if (/^notify-keyspace-events ""$/m.test(text)) expect(c.directives.get("notify-keyspace-events")!.args).toEqual([""]);
    if (/^proc-title-template "/m.test(text)) expect(c.directives.get("proc-title-template")!.args).toEqual(["{title} {listen-addr} {server-mode}"]);
    expect(c.directives.get("bind")!.args).toEqual(text.split("\n")[lineOf(text, /^bind\s/) - 1].trim().split(/\s+/).slice(1));

    const m = confToScenarioRedis(c);
    const f = Object.fromEntries(m.fields.map((x) => [x.field, x]));
    expect(f.appendonly).toEqual({ field: "appendonly", value: "no", from: `${DEBIAN_CONF}:${lineOf(text, /^appendonly\s/)}`, note: undefined });
    expect(f.save).toMatchObject({ value: REDIS_DEFAULT_SAVE, from: `Redis's compiled default (${DEBIAN_CONF} has no save line)` });
    expect(f["maxmemory-policy"]).toBeUndefined();
    expect(m.ignored.map((d) => d.name)).toContain("port");
    expect(m.ignored.find((d) => d.name === "dynamic-hz")?.why).toMatch(/dynamic-hz/);
  });
});

// ---- INFO -----------------------------------------------------------------------------------------------

const INFO = [
  "# Server",
  "redis_version:7.0.15",
  "uptime_in_seconds:1000",
  "configured_hz:10",
  "",
  "# Clients",
  "connected_clients:3",
  "",
  "# Memory",
  "used_memory:12000000",
  "used_memory_startup:876224",
  "used_memory_rss:15000000",
  "mem_fragmentation_ratio:1.25",
  "maxmemory:33554432",
  "maxmemory_policy:volatile-lru",
  "mem_allocator:jemalloc-5.3.0",
  "",
  "# Persistence",
  "aof_enabled:1",
  "rdb_saves:4",
  "rdb_last_bgsave_status:ok",
  "",
  "# Stats",
  "total_commands_processed:500000",
  "instantaneous_ops_per_sec:1500",
  "keyspace_hits:750",
  "keyspace_misses:250",
  "evicted_keys:10",
  "expired_keys:20",
  "",
  "# Commandstats",
  "cmdstat_get:calls=1,usec=1,usec_per_call=1.00,rejected_calls=0,failed_calls=0",
  "cmdstat_set:calls=1,usec=1,usec_per_call=1.00,rejected_calls=0,failed_calls=0",
  "",
  "# Keyspace",
  "db0:keys=40000,expires=10000,avg_ttl=1800000",
  "db1:keys=500,expires=0,avg_ttl=0",
  "db3:keys=100,expires=100,avg_ttl=0",
  "",
].join("\r\n");

describe("INFO all", () => {
  it("reads sections, field:value lines (\\r\\n tolerated) and the keyspace", () => {
    const i = parseInfo(INFO, "i.txt");
    expect(i.redis_version).toBe("7.0.15");
    expect(i.used_memory).toBe(12_000_000);
    expect(i.maxmemory_policy).toBe("volatile-lru");
    expect(i.instantaneous_ops_per_sec).toBe(1500);
    expect(i.mem_fragmentation_ratio).toBe(1.25);
    expect(i.aof.aof_enabled).toBe("1");
    expect(i.rdb.rdb_saves).toBe("4");
    expect(i.commandTypes).toBe(2);
    expect(i.dbs).toEqual([
      { db: 0, keys: 40000, expires: 10000, avgTtlMs: 1800000, line: 36 },
      { db: 1, keys: 500, expires: 0, avgTtlMs: 0, line: 37 },
      { db: 3, keys: 100, expires: 100, avgTtlMs: 0, line: 38 },
    ]);
    expect(i.fields.get("keyspace_hits")).toEqual({ value: "750", section: "Stats", line: 26 });
  });

  it("infers the rate, classes, TTLs, the mean value size and the redis fields, each with its source", () => {
    const i = parseInfo(INFO, "i.txt");
    const alloc = inferAllocator(i);
    expect(alloc).toMatchObject({ value: "jemalloc-debian", from: "INFO redis_version:7.0.15, mem_allocator:jemalloc-5.3.0" });
    const s = infoToScenario(i, { allocator: "jemalloc-debian" });
    // the long-run average 500 000 commands / 1000 s = 500/s (not the one-second snapshot of 1500/s), with
    // hit ratio 0.75: 500 / 1.25 = 400 requests/s; the snapshot in the note
    expect(s.rate).toMatchObject({ value: 400, from: "INFO stats total_commands_processed:500000 / uptime_in_seconds:1000 ÷ (2 − hit ratio 0.750)" });
    expect(s.rate.note).toMatch(/long-run average over 16\.7 min of uptime; instantaneous_ops_per_sec:1500 \(a one-second snapshot\)/);
    expect(s.classes.map((c) => [c.name, c.db, c.keys.value, c.ttl.value, c.share.value])).toEqual([
      ["db0", 0, 30000, "none", 0.739],
      ["db0-ttl", 0, 10000, "1h", 0.246],
      ["db1", 1, 500, "none", 0.0123],
      ["db3", 3, 100, "1h", 0.00246],
    ]);
    expect(s.classes[1].ttl.from).toBe("INFO keyspace db0: keys=40000,expires=10000,avg_ttl=1800000: 2 × avg_ttl");
    expect(s.classes[3].ttl.from).toMatch(/^default: .*avg_ttl=0: Redis has not estimated it yet/);
    expect(s.classes[0].keys.from).toBe("INFO keyspace db0: keys=40000,expires=10000,avg_ttl=1800000 (keys − expires)");
    const r = Object.fromEntries(s.redis.map((f) => [f.field, f]));
    expect(r.maxmemory).toMatchObject({ value: "32mb", from: "INFO memory maxmemory:33554432" });
    expect(r["maxmemory-policy"]).toMatchObject({ value: "volatile-lru", from: "INFO memory maxmemory_policy:volatile-lru" });
    expect(r.clients).toMatchObject({ value: 3, from: "INFO clients connected_clients:3" });
    expect(r.appendonly).toMatchObject({ value: "yes", from: "INFO persistence aof_enabled:1" });
    expect(r.hz).toMatchObject({ value: 10, from: "INFO server configured_hz:10" });
    // value size: (12 000 000 − 876 224 − 3 × 38 112 − 2 × 24 688 − tables) / 40 600 keys − overheads
    const tables = 8 * (65536 + 16384) + 8 * 512 + 8 * (128 + 128);
    const perKeyData = (12_000_000 - 876_224 - 3 * 38_112 - 2 * 24_688 - tables) / 40_600;
    expect(s.memory!.tableBytes).toBe(tables);
    expect(s.memory!.valueBytesPerKey).toBeLessThan(perKeyData - 32); // less the entry, key name, TTL entry
    expect(s.memory!.valueBytesPerKey).toBeGreaterThan(perKeyData - 32 - 16 - 16 - 1);
    expect(s.valueSize!.value).toBeGreaterThan(150);
    expect(s.valueSize!.value).toBeLessThan(240);
    expect(s.observed.join("\n")).toMatch(/hit ratio 0\.7500/);
  });

  it("rate: total_commands_processed / uptime_in_seconds (the long-run average), the instantaneous figure beside it", () => {
    const info = ["# Server", "redis_version:7.2.4", "uptime_in_seconds:86400", "# Stats", "total_commands_processed:8640000000", "instantaneous_ops_per_sec:250000", "# Keyspace", "db0:keys=1000,expires=0,avg_ttl=0", ""].join("\r\n");
    const s = infoToScenario(parseInfo(info, "i.txt"));
    expect(s.rate).toMatchObject({ value: 100000, from: "INFO stats total_commands_processed:8640000000 / uptime_in_seconds:86400" });
    expect(s.rate.note).toMatch(/^the long-run average over 1 day of uptime; instantaneous_ops_per_sec:250000 \(a one-second snapshot\); commands per second taken as requests per second$/);
    expect(s.notes.join("\n")).not.toMatch(/rate/);
    const { text } = buildInitScenario({ info: { text: info, file: "i.txt" }, name: "x", duration: "10m", command: "sim init --info i.txt" });
    expect(text).toMatch(/^  rate: 100000 +# from INFO stats total_commands_processed:8640000000 \/ uptime_in_seconds:86400; the long-run average .*instantaneous_ops_per_sec:250000/m);
    expect(parseScenario(text).workload.rate).toBe(100000);
  });

  it("rate falls back, saying so: the snapshot under 10 minutes of uptime or without the totals, then the short average, then a default", () => {
    const short = infoToScenario(parseInfo(INFO.replace("uptime_in_seconds:1000", "uptime_in_seconds:100")));
    expect(short.rate).toMatchObject({ value: 1200, from: "INFO stats instantaneous_ops_per_sec:1500 ÷ (2 − hit ratio 0.750)" });
    expect(short.rate.note).toMatch(/^a one-second snapshot: uptime_in_seconds:100 is under 600 s, too short for the long-run average \(total_commands_processed \/ uptime 5000\/s\)/);
    expect(short.notes.join("\n")).toMatch(/rate: a one-second snapshot: uptime_in_seconds:100 is under 600 s/);
    const noTotal = infoToScenario(parseInfo(INFO.replace("total_commands_processed:500000", "")));
    expect(noTotal.rate).toMatchObject({ value: 1200, from: "INFO stats instantaneous_ops_per_sec:1500 ÷ (2 − hit ratio 0.750)" });
    expect(noTotal.rate.note).toMatch(/INFO has no total_commands_processed and uptime_in_seconds for the long-run average/);
    const shortNoInst = infoToScenario(parseInfo(INFO.replace("uptime_in_seconds:1000", "uptime_in_seconds:100").replace("instantaneous_ops_per_sec:1500", "instantaneous_ops_per_sec:0")));
    expect(shortNoInst.rate).toMatchObject({ value: 4000, from: "INFO stats total_commands_processed:500000 / uptime_in_seconds:100 ÷ (2 − hit ratio 0.750)" });
    expect(shortNoInst.rate.note).toMatch(/uptime_in_seconds:100 is under 600 s \(a short average\) and instantaneous_ops_per_sec is 0/);
    // a long uptime: the average even when the snapshot is 0
    expect(infoToScenario(parseInfo(INFO.replace("instantaneous_ops_per_sec:1500", "instantaneous_ops_per_sec:0"))).rate).toMatchObject({ value: 400 });
    const none = infoToScenario(parseInfo(INFO.replace("total_commands_processed:500000", "").replace("instantaneous_ops_per_sec:1500", "")));
    expect(none.rate).toMatchObject({ value: 1000, from: "default: INFO shows no commands per second" });
  });

  it("errors: not INFO, no keyspace section, an empty keyspace", () => {
    expectInputError(() => parseInfo("hello\nworld\n", "a.txt"), /^a\.txt: not the output of INFO/);
    expectInputError(() => infoToScenario(parseInfo(INFO.split("# Keyspace")[0], "b.txt")), /^b\.txt: no # Keyspace section: capture INFO all/);
    expectInputError(() => infoToScenario(parseInfo(INFO.split("db0:")[0], "c.txt")), /^c\.txt: the # Keyspace section is empty/);
  });
});

// ---- sizes ----------------------------------------------------------------------------------------------

describe("sizes", () => {
  const A = allocatorFn("jemalloc-bundled");

  it("MEMORY USAGE → value length: the inverse of the model's own formula, to the allocation class", () => {
    for (const klen of [5, 16, 40]) {
      for (const L of [0, 1, 10, 44, 45, 100, 255, 256, 1000, 5000, 100_000]) {
        const mu = memoryUsage(A, klen, L, encodingOf(L));
        const back = valueLenFromMemoryUsage(A, mu, klen);
        expect(memoryUsage(A, klen, back.len, encodingOf(back.len)), `klen ${klen} L ${L}`).toBe(mu);
        expect(back.below).toBe(false);
      }
    }
    expect(valueLenFromMemoryUsage(A, 10, 16)).toEqual({ len: 0, below: true });
  });

  it("reads CSV with and without a header, bytes only, redis-cli reply lines; skips (nil)", () => {
    const a = parseSizes("key,bytes\nuser:1,72\n\"a,b\",120\n", "s.csv");
    expect(a.samples).toEqual([
      { bytes: 72, keyLen: 6, weight: 1, key: "user:1" },
      { bytes: 120, keyLen: 3, weight: 1, key: "a,b" },
    ]);
    expect(parseSizes("user:1,72\nuser:2,80\n").samples.map((s) => s.bytes)).toEqual([72, 80]);
    expect(parseSizes("72\n80\n").samples.map((s) => [s.bytes, s.keyLen])).toEqual([[72, undefined], [80, undefined]]);
    expect(parseSizes("(integer) 72\n(integer) 80\n(nil)\n").samples.map((s) => s.bytes)).toEqual([72, 80]);
    expect(parseSizes("memory_usage\tkey\n72\tk1\n").samples).toEqual([{ bytes: 72, keyLen: 2, weight: 1, key: "k1" }]);
    expect(parseSizes("user:1 72\nuser:2 80\n").samples.map((s) => s.keyLen)).toEqual([6, 6]);
  });

  it("reads redis-cli --keystats and --memkeys / --bigkeys summaries", () => {
    const keystats = [
      "Key size Percentile Total keys",
      "-------- ---------- -----------",
      "     64B    0.0000%           3",
      "    239B   50.0000%          28",
      "    763B   75.0000%          42",
      "   4.92K   87.5000%          49",
      "   9.60K   93.7500%          52",
      " 140.69K   96.8750%          54",
      "   1.00M  100.0000%          55",
      "Note: 0.01% size precision, Mean: 24.17K, StdDeviation: 138.12K",
      "",
      "Total key length is 495B (9B avg)",
    ].join("\n");
    const k = parseSizes(keystats, "ks.txt");
    expect(k.format).toBe("keystats");
    expect(k.meanKeyLen).toBe(9);
    expect(k.samples.reduce((a, s) => a + s.weight, 0)).toBe(55);
    expect(k.samples[0]).toEqual({ bytes: 64, weight: 3 });
    expect(k.samples[1]).toEqual({ bytes: Math.round((64 + 239) / 2), weight: 25 });
    const memkeys = "Sampled 1200 keys in the keyspace!\nTotal key length in bytes is 12000 (avg len 10.00)\n\n1200 strings with 120000 bytes (100.00% of keys, avg size 100.00)\n0 lists with 0 bytes (00.00% of keys, avg size 0.00)\n";
    const m = fitSizes(parseSizes(memkeys, "mk.txt"));
    expect(m.valueSize.dist).toBe("fixed");
    expect(m.n).toBe(1200);
    expect(m.from).toMatch(/^mk\.txt: redis-cli --memkeys mean of 1200 string keys, less per-key overhead/);
    const big = fitSizes(parseSizes("1200 strings with 60000 bytes (100.00% of keys, avg size 50.00)\n0 lists with 0 items (00.00% of keys, avg size 0.00)\n"));
    expect(big.valueSize).toEqual({ dist: "fixed", size: 50 });
  });

  it("fits at most 20 values keeping the mean; few distinct values exactly", () => {
    const lines = ["key,bytes"];
    const trueLens: number[] = [];
    let x = 7;
    for (let i = 0; i < 2000; i++) {
      x = (x * 48271) % 2147483647;
      const L = Math.round(Math.exp(Math.log(300) + 1.2 * (((x / 2147483647) * 2 - 1) * 1.7)));
      trueLens.push(L);
      const key = `k:${i}`;
      lines.push(`${key},${memoryUsage(A, key.length, L, encodingOf(L))}`);
    }
    const fit = fitSizes(parseSizes(lines.join("\n"), "s.csv"), { allocator: "jemalloc-bundled" });
    expect(fit.valueSize.dist).toBe("empirical");
    const vs = fit.valueSize as { values: number[]; weights: number[] };
    expect(vs.values.length).toBeLessThanOrEqual(20);
    expect(vs.weights.reduce((a, b) => a + b, 0)).toBe(2000);
    const trueMean = trueLens.reduce((a, b) => a + b, 0) / trueLens.length;
    const fitMean = vs.values.reduce((a, v, i) => a + v * vs.weights[i], 0) / 2000;
    expect(Math.abs(fitMean - trueMean) / trueMean).toBeLessThan(0.03);
    expect(fit.lognormal!.median).toBeGreaterThan(200);
    expect(fit.lognormal!.p99).toBeGreaterThan(fit.lognormal!.median);
    // with parseScenario's schema
    expect(() => parseScenario(`duration: 1s\nworkload:\n  rate: 1\n  classes: [{name: c, keys: 1, value-size: ${JSON.stringify(fit.valueSize)}}]\n`)).not.toThrow();
    const few = fitSizes(parseSizes("a,80\nb,80\nc,200\n"));
    expect(few.valueSize).toMatchObject({ dist: "empirical", weights: [2, 1] });
  });

  it("errors name the file and line", () => {
    expectInputError(() => parseSizes("key,bytes\nfoo,bar\n", "s.csv"), /^s\.csv:2: "bar" is not a number of bytes/);
    expectInputError(() => parseSizes("foo,bar\n", "s.csv"), /^s\.csv:1: the header names no bytes column/);
    expectInputError(() => parseSizes("key,bytes\n", "s.csv"), /^s\.csv: no sizes found/);
    expectInputError(() => parseSizes("a,b,c\n1,2,3\n", "s.csv"), /^s\.csv:1: the header names no bytes column/);
    expectInputError(() => parseSizes("k1,12\nk2,1,3\n", "s.csv"), /^s\.csv:2: 3 columns and no header/);
    expectInputError(() => parseSizes("key,bytes,ttl\nk1,12,soon\n", "s.csv"), /^s\.csv:2: "soon" is not a TTL/);
    expectInputError(() => parseSizes("db,key,bytes\nx,k1,12\n", "s.csv"), /^s\.csv:2: "x" is not a database number/);
  });

  it("reads ttl (seconds, -1 none, -2 gone), pttl, type and db columns; key,bytes,ttl without a header", () => {
    const a = parseSizes("db,key,bytes,ttl,type\n0,p:1,72,-1,string\n2,s:1,80,600,Hash\n0,gone,90,-2,string\n0,p:2,70,,string\n", "s.csv");
    expect(a.samples).toEqual([
      { bytes: 72, keyLen: 3, weight: 1, key: "p:1", ttlMs: null, type: "string", db: 0 },
      { bytes: 80, keyLen: 3, weight: 1, key: "s:1", ttlMs: 600_000, type: "hash", db: 2 },
      { bytes: 70, keyLen: 3, weight: 1, key: "p:2", type: "string", db: 0 },
    ]);
    expect(a.columns).toEqual({ key: true, ttl: "s", type: true, db: true });
    expect(a.notes).toEqual(["1 lines with TTL -2 (the key was gone) skipped"]);
    expect(fitSizes(a).notes).toContain("1 of 3 sampled keys are not strings (hash 1): modelled as strings of the same memory");
    expect(parseSizes("key,memory_usage,pttl\nk,72,1500\n").samples[0].ttlMs).toBe(1500);
    const b = parseSizes("p:1,72,-1\np:2,(integer) 80,(integer) 30\n");
    expect(b.samples.map((x) => [x.key, x.bytes, x.ttlMs])).toEqual([["p:1", 72, null], ["p:2", 80, 30_000]]);
    expect(b.columns!.ttl).toBe("s");
  });

  it("groups sampled keys by prefix: ':' first, another separator when none has ':', none for ids or unnamed keys", () => {
    const csv = (keys: string[]) => parseSizes(keys.map((k) => `${k},100`).join("\n"), "s.csv");
    const keys = [...Array(60)].map((_, i) => `product:${i}`).concat([...Array(30)].map((_, i) => `session:${i}`), [...Array(9)].map((_, i) => `cart:${i}`), ["lonely:1", "counter"]);
    const g = groupByPrefix(csv(keys))!;
    expect(g.sep).toBe(":");
    expect(g.groups.map((x) => [x.prefix, x.n])).toEqual([["product", 60], ["session", 30], ["cart", 9], [null, 2]]);
    expect(g.rule).toMatch(/part before the first ':' \(Redis's convention/);
    // no ':' at all: the next separator that groups the keys
    const pipe = groupByPrefix(csv(keys.map((k) => k.replace(":", "|"))))!;
    expect([pipe.sep, pipe.groups[0].prefix]).toEqual(["|", "product"]);
    // a prefix per key (ids, hashes) is no grouping; nor are keys without names
    expect(groupByPrefix(csv([...Array(50)].map((_, i) => `${1000 + i}:meta`)))).toBeNull();
    expect(groupByPrefix(csv([...Array(50)].map((_, i) => `k${i}`)))).toBeNull();
    expect(groupByPrefix(parseSizes("72\n80\n"))).toBeNull();
  });
});

// ---- the command ----------------------------------------------------------------------------------------

describe("sim init", () => {
  const CONF = "maxmemory 100mb\nmaxmemory-policy allkeys-lru\nsave 60 1000\ninclude /etc/redis/extra.conf\n";

  it("writes a scenario sim run accepts, with --conf alone (defaults stated)", async () => {
    const d = tmp();
    writeFileSync(join(d, "prod.conf"), CONF);
    const out = join(d, "scenarios", "prod.yaml");
    const r = await simInit({ conf: join(d, "prod.conf"), out, duration: "5s" });
    expect(r.path).toBe(out);
    const text = readFileSync(out, "utf8");
    expect(text).toMatch(/^  maxmemory: 100mb +# from .*prod\.conf:1$/m);
    expect(text).toMatch(/^  save: "60 1000" +# from .*prod\.conf:3$/m);
    expect(text).toMatch(/^#   .*prod\.conf:4: include \/etc\/redis\/extra\.conf was not followed/m);
    expect(text).toMatch(/^  rate: 1000 +# from default: no INFO given; not inferable/m);
    expect(r.warnings.join("\n")).toMatch(/prod\.conf:4: include \/etc\/redis\/extra\.conf: not followed/);
    const sc = parseScenario(text);
    expect(sc.redis.maxmemory).toBe("100mb");
    const run = await simRun({ scenario: out, out: join(d, "run"), quiet: true });
    expect(run.summary.maxmemory).toBe(100 * 1024 * 1024);
    // refuses to overwrite
    await expect(simInit({ conf: join(d, "prod.conf"), out })).rejects.toThrow(/exists; pass --force/);
    await simInit({ conf: join(d, "prod.conf"), out, force: true });
  });

  it("errors: no input, a missing file, a bad duration", async () => {
    await expect(simInit({})).rejects.toBeInstanceOf(InputError);
    await expect(simInit({ conf: "/no/such/redis.conf", out: "-" })).rejects.toThrow(/^\/no\/such\/redis\.conf: no such file \(--conf\)$/);
    await expect(simInit({ info: "/no/such/info.txt", out: "-" })).rejects.toThrow(/no such file \(--info\)/);
    const d = tmp();
    writeFileSync(join(d, "c.conf"), CONF);
    await expect(simInit({ conf: join(d, "c.conf"), out: "-", duration: "soon" })).rejects.toThrow(/--duration "soon": not a duration/);
    writeFileSync(join(d, "info.txt"), INFO.split("# Keyspace")[0]);
    await expect(simInit({ info: join(d, "info.txt"), out: "-" })).rejects.toThrow(/info\.txt: no # Keyspace section/);
    writeFileSync(join(d, "sizes.csv"), "key,bytes\nfoo,bar\n");
    await expect(simInit({ sizes: join(d, "sizes.csv"), out: "-" })).rejects.toThrow(/sizes\.csv:2: "bar" is not a number of bytes/);
  });

  it("is a yargs command module: sim init --conf … --out -", async () => {
    const d = tmp();
    writeFileSync(join(d, "c.conf"), CONF);
    let code = -1;
    const lines: string[] = [];
    const orig = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (lines.push(String(s)), true)) as typeof process.stdout.write;
    try {
      await yargs(["init", "--conf", join(d, "c.conf"), "--out", "-", "--duration", "1m"]).command(initCommand((c) => (code = c))).strict().exitProcess(false).parseAsync();
    } finally {
      process.stdout.write = orig;
    }
    expect(code).toBe(0);
    expect(lines.join("")).toMatch(/^duration: 1m /m);
  });

  it("builds from INFO alone: classes, prewarm, every value traced", () => {
    const { text } = buildInitScenario({ info: { text: INFO, file: "i.txt" }, name: "x", duration: "10m", command: "sim init --info i.txt" });
    parseScenario(text);
    expect(text).toMatch(/^  maxmemory: 32mb +# from INFO memory maxmemory:33554432$/m);
    expect(text).toMatch(/^  allocator: jemalloc-debian +# from INFO redis_version:7\.0\.15, mem_allocator:jemalloc-5\.3\.0/m);
    expect(text).toMatch(/^  # save: "" +# INFO does not show save points/m);
    expect(text).toMatch(/^  - \{ at: 0s, action: prewarm, keys: 100% \} +# from INFO keyspace: the server held 40600 keys/m);
  });

  it("redis.conf and INFO together: INFO's running value wins a disagreement, agreement is noted", () => {
    const conf = "maxmemory 32mb\nmaxmemory-policy allkeys-lru\nmaxmemory-samples 10\n";
    const { text } = buildInitScenario({ conf: { text: conf, file: "r.conf" }, info: { text: INFO, file: "i.txt" }, name: "x", duration: "10m", command: "sim init" });
    expect(parseScenario(text).redis["maxmemory-samples"]).toBe(10);
    expect(text).toMatch(/^  maxmemory: 32mb +# from r\.conf:1 \(INFO memory maxmemory:33554432 agrees\)$/m);
    expect(text).toMatch(/^  maxmemory-policy: volatile-lru +# from INFO memory maxmemory_policy:volatile-lru; r\.conf:2 says allkeys-lru: the running server's value wins/m);
    expect(text).toMatch(/^  maxmemory-samples: 10 +# from r\.conf:3$/m);
  });

  // ---- classes from key prefixes (issue 13.8)
  const A = allocatorFn("jemalloc-bundled");
  /** A MEMORY USAGE sample: 600 product:*, 300 session:* and 100 cart:* keys, interleaved, with TTL seconds. */
  const prefixSample = (withTtl: boolean, header = withTtl ? "key,bytes,ttl" : "key,bytes", db?: (kind: string) => number) => {
    let x = 99;
    const rnd = () => (x = (x * 48271) % 2147483647) / 2147483647;
    const lens: Record<string, number[]> = { product: [], session: [], cart: [] };
    const rows: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const kind = i % 10 < 6 ? "product" : i % 10 < 9 ? "session" : "cart";
      const L = kind === "product" ? 300 + Math.floor(rnd() * 600) : kind === "session" ? 40 + Math.floor(rnd() * 40) : 2000 + Math.floor(rnd() * 3000);
      const key = kind === "session" ? `session:${Math.floor(rnd() * 2 ** 31).toString(16)}` : `${kind}:${i}`;
      const ttl = kind === "product" ? -1 : kind === "session" ? 1 + Math.floor(rnd() * 1800) : 1 + Math.floor(rnd() * 7200);
      lens[kind].push(L);
      const mu = memoryUsage(A, key.length, L, encodingOf(L));
      rows.push([...(db ? [db(kind)] : []), key, mu, ...(withTtl ? [ttl] : [])].join(","));
    }
    return { text: [header, ...rows].join("\n") + "\n", lens };
  };
  const PREFIX_INFO = (keyspace: string) =>
    ["# Server", "redis_version:7.2.4", "uptime_in_seconds:86400", "# Memory", "maxmemory:1073741824", "maxmemory_policy:volatile-lru", "# Stats",
      "total_commands_processed:8640000000", "instantaneous_ops_per_sec:250000", "# Keyspace", keyspace, ""].join("\r\n");
  const classesOf = (text: string) => parseScenario(text).workload.classes!;
  const meanOf = (vs: unknown) => {
    const v = vs as { dist: string; values: number[]; weights: number[]; size?: number };
    if (v.dist === "fixed") return v.size!;
    return v.values.reduce((a, x, i) => a + x * v.weights[i], 0) / v.weights.reduce((a, w) => a + w, 0);
  };
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const seconds = (d: unknown) => {
    const m = /^(\d+)(s|m|h)$/.exec(String(d))!;
    return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as "s"];
  };

  it("a class per key prefix: shares from the sample's proportions × INFO's keys, value sizes and TTLs fitted per prefix", async () => {
    const { text: sizes, lens } = prefixSample(true);
    const info = PREFIX_INFO("db0:keys=20000,expires=8000,avg_ttl=1200000");
    const { text, warnings } = buildInitScenario({ info: { text: info, file: "i.txt" }, sizes: { text: sizes, file: "s.csv" }, name: "shop", duration: "10m", command: "sim init" });
    console.log(`sim init, prefix classes:\n${text.slice(text.indexOf("workload:"))}`);
    expect(warnings).toEqual([]);
    const cls = classesOf(text);
    expect(cls.map((c) => c.name)).toEqual(["product", "session", "cart"]);
    expect(cls.map((c) => c.keys)).toEqual([12000, 6000, 2000]);
    expect(cls.map((c) => c.share)).toEqual([0.6, 0.3, 0.1]);
    expect(cls.map((c) => c.db)).toEqual([0, 0, 0]);
    // TTLs from the sample's ttl column: 2 × the mean remaining TTL (uniform over 1…1800 s and 1…7200 s)
    expect(cls[0].ttl).toBe("none");
    expect(Math.abs(seconds(cls[1].ttl) - 1800) / 1800).toBeLessThan(0.1);
    expect(Math.abs(seconds(cls[2].ttl) - 7200) / 7200).toBeLessThan(0.15);
    // value sizes fitted per class: each class's mean near its own keys' true mean
    for (const [i, kind] of ["product", "session", "cart"].entries()) {
      const m = meanOf(cls[i]["value-size"]);
      expect(Math.abs(m - mean(lens[kind])) / mean(lens[kind]), kind).toBeLessThan(0.03);
    }
    expect(meanOf(cls[1]["value-size"])).toBeLessThan(100);
    expect(meanOf(cls[2]["value-size"])).toBeGreaterThan(2000);
    // every value traced to its source
    expect(text).toMatch(/^    # from s\.csv: keys grouped by the part before the first ':' \(Redis's convention/m);
    expect(text).toMatch(/^    - name: product +# production's product:\* keys; the simulator names them product:<index>$/m);
    expect(text).toMatch(/^      db: 0 +# from INFO keyspace db0, the only database with keys$/m);
    expect(text).toMatch(/^      keys: 12000 +# from s\.csv: 600 of 1000 sampled keys \(60 %\) are product:\*, × INFO keyspace db0: keys=20000$/m);
    expect(text).toMatch(/^      share: 0\.6 +# from keys \/ all keys \(12000 \/ 20000\)/m);
    expect(text).toMatch(/^      ttl: none +# from s\.csv ttl column: none of the 600 sampled product:\* keys has a TTL$/m);
    expect(text).toMatch(/^      ttl: \d+s +# from s\.csv ttl column: 2 × the mean remaining TTL of 300 sampled session:\* keys \(\d+s, as INFO's avg_ttl is\)(, capped at the longest one,|; the longest) \d+s/m);
    expect(text).toMatch(/^      value-size: +# from s\.csv: 300 MEMORY USAGE samples of session:\* keys, less per-key overhead/m);
    expect(text).toMatch(/^  rate: 100000 +# from INFO stats total_commands_processed:8640000000 \/ uptime_in_seconds:86400; .*instantaneous_ops_per_sec:250000/m);
    expect(text).toMatch(/^  - \{ at: 0s, action: prewarm, keys: 100% \} +# from INFO keyspace: the server held 20000 keys: start warm: loads what fits under maxmemory/m);
    // sim run accepts it
    const d = tmp();
    writeFileSync(join(d, "shop.yaml"), text.replace("duration: 10m", "duration: 2s"));
    const run = await simRun({ scenario: join(d, "shop.yaml"), out: join(d, "run"), quiet: true });
    expect(run.summary.keys).toBeGreaterThan(19_000);
  });

  it("prefix classes take the database's TTLs from INFO without a ttl column (split like the database), and 100 000 keys without INFO", () => {
    const { text: sizes } = prefixSample(false);
    // all keys volatile: every class has the TTL from avg_ttl (the comment keeps "avg_ttl" for sim check)
    const all = buildInitScenario({ info: { text: PREFIX_INFO("db0:keys=20000,expires=20000,avg_ttl=900000"), file: "i.txt" }, sizes: { text: sizes, file: "s.csv" }, name: "x", duration: "10m", command: "sim init" }).text;
    expect(classesOf(all).map((c) => [c.name, c.keys, c.ttl])).toEqual([["product", 12000, "30m"], ["session", 6000, "30m"], ["cart", 2000, "30m"]]);
    expect(all).toMatch(/^      ttl: 30m +# from INFO keyspace db0: keys=20000,expires=20000,avg_ttl=900000: 2 × avg_ttl; .*the database's: the sample has no ttl column/m);
    // some volatile: each prefix split in the database's proportion
    const some = buildInitScenario({ info: { text: PREFIX_INFO("db0:keys=20000,expires=5000,avg_ttl=900000"), file: "i.txt" }, sizes: { text: sizes, file: "s.csv" }, name: "x", duration: "10m", command: "sim init" }).text;
    expect(classesOf(some).map((c) => [c.name, c.keys, c.ttl])).toEqual([
      ["product", 9000, "none"], ["product-ttl", 3000, "30m"], ["session", 4500, "none"], ["session-ttl", 1500, "30m"], ["cart", 1500, "none"], ["cart-ttl", 500, "30m"],
    ]);
    expect(some).toMatch(/^      value-size: \{ dist: empirical, .* +# from s\.csv, as for product$/m);
    // no INFO: 100 000 keys split by the sample, TTLs from the ttl column
    const { text: withTtl } = prefixSample(true);
    const alone = buildInitScenario({ sizes: { text: withTtl, file: "s.csv" }, name: "x", duration: "10m", command: "sim init" }).text;
    expect(classesOf(alone).map((c) => [c.name, c.keys, c.share])).toEqual([["product", 60000, 0.6], ["session", 30000, 0.3], ["cart", 10000, 0.1]]);
    expect(alone).toMatch(/^      keys: 60000 +# from default: 100000 keys \(no INFO given\) split by the sample: 600 of 1000 sampled keys \(60 %\) are product:\*; not inferable/m);
  });

  it("keys without prefixes, or several databases the sample does not tell apart, keep the classes per database; a db column gives prefixes per database", () => {
    const unnamed = "72\n80\n300\n";
    const info = PREFIX_INFO("db0:keys=20000,expires=5000,avg_ttl=900000");
    expect(classesOf(buildInitScenario({ info: { text: info, file: "i.txt" }, sizes: { text: unnamed, file: "s.csv" }, name: "x", duration: "10m", command: "sim init" }).text).map((c) => c.name)).toEqual(["db0", "db0-ttl"]);
    const ids = [...Array(40)].map((_, i) => `${i * 7919}:x,100`).join("\n");
    expect(classesOf(buildInitScenario({ info: { text: info, file: "i.txt" }, sizes: { text: ids, file: "s.csv" }, name: "x", duration: "10m", command: "sim init" }).text).map((c) => c.name)).toEqual(["db0", "db0-ttl"]);
    const two = PREFIX_INFO("db0:keys=16000,expires=0,avg_ttl=0\r\ndb2:keys=4000,expires=4000,avg_ttl=900000");
    const { text: sizes } = prefixSample(false);
    const r = buildInitScenario({ info: { text: two, file: "i.txt" }, sizes: { text: sizes, file: "s.csv" }, name: "x", duration: "10m", command: "sim init" });
    expect(classesOf(r.text).map((c) => c.name)).toEqual(["db0", "db2"]);
    expect(r.warnings.join("\n")).toMatch(/s\.csv: the keys have prefixes \(product, session, cart\) but INFO shows keys in db0, db2 .*add a db column/);
    // with a db column: product and cart in db0, session in db2
    const { text: withDb } = prefixSample(false, "db,key,bytes", (k) => (k === "session" ? 2 : 0));
    const t = buildInitScenario({ info: { text: two, file: "i.txt" }, sizes: { text: withDb, file: "s.csv" }, name: "x", duration: "10m", command: "sim init" }).text;
    expect(classesOf(t).map((c) => [c.name, c.db, c.keys, c.ttl])).toEqual([["product", 0, 13714, "none"], ["cart", 0, 2286, "none"], ["session", 2, 4000, "30m"]]);
    expect(t).toMatch(/^      db: 2 +# from s\.csv db column and INFO keyspace db2$/m);
  });
});

// ---- live: INFO all from a private redis-server ---------------------------------------------------------

describe.skipIf(!hasRedisServer)("sim init on a live redis-server's INFO all and MEMORY USAGE sample", () => {
  let redis: RunningRedis;
  const dir = tmp();
  const infoFile = join(dir, "info.txt");
  const sizesFile = join(dir, "sizes.csv");
  const sizesDbFile = join(dir, "sizes-db.csv");
  let confFile = DEBIAN_CONF;
  let confText = "";
  let trueMean = 0;
  let infoText = "";

  beforeAll(async () => {
    if (!debianConf) {
      // no Debian file at hand: a small one in the same format
      confFile = join(dir, "redis.conf");
      writeFileSync(confFile, "databases 16\nhz 10\nappendonly no\nappendfsync everysec\n");
    }
    confText = readFileSync(confFile, "utf8");
    redis = await startRedis(["--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru", "--hz", "20"]);
    const r = new Redis(redis.url);
    try {
      // db0: 3000 items (lengths spread 40 … 1000 bytes), 2 in 3 with a TTL of 1–120 min, and 500 users
      // without; db2: 500 sessions with a 30 min TTL
      let x = 12345;
      const rnd = () => (x = (x * 48271) % 2147483647) / 2147483647;
      const keys: { db: number; key: string; len: number }[] = [];
      const p = r.pipeline();
      for (let i = 0; i < 3000; i++) {
        const len = Math.round(Math.exp(Math.log(40) + rnd() * Math.log(25)));
        const key = `item:${i}`;
        keys.push({ db: 0, key, len });
        if (i % 3 === 0) p.set(key, "x".repeat(len));
        else p.set(key, "x".repeat(len), "EX", 60 + Math.floor(rnd() * 7140));
      }
      for (let i = 0; i < 500; i++) {
        keys.push({ db: 0, key: `user:${i}`, len: 50 });
        p.set(`user:${i}`, "u".repeat(50));
      }
      for (let i = 0; i < 3000; i++) p.get(`item:${Math.floor(rnd() * 4000)}`); // some misses
      await p.exec();
      await r.select(2);
      const p2 = r.pipeline();
      for (let i = 0; i < 500; i++) {
        keys.push({ db: 2, key: `sess:${i}`, len: 300 });
        p2.set(`sess:${i}`, "s".repeat(300), "EX", 1800);
      }
      await p2.exec();
      trueMean = keys.reduce((a, k) => a + k.len, 0) / keys.length;
      // MEMORY USAGE of every 7th key, as a user's script would sample it
      const lines = ["key,bytes"];
      const dbLines = ["db,key,bytes,ttl"];
      for (let i = 0; i < keys.length; i += 7) {
        await r.select(keys[i].db);
        const mu = await r.memory("USAGE", keys[i].key);
        lines.push(`${keys[i].key},${mu}`);
        dbLines.push(`${keys[i].db},${keys[i].key},${mu},${await r.ttl(keys[i].key)}`);
      }
      writeFileSync(sizesFile, lines.join("\n") + "\n");
      writeFileSync(sizesDbFile, dbLines.join("\n") + "\n");
      await r.select(0);
      // let the active expire cycle estimate avg_ttl
      for (let t = 0; t < 50; t++) {
        await new Promise((res) => setTimeout(res, 100));
        if (/^db0:.*avg_ttl=[1-9]/m.test(await r.info("keyspace")) && /^db2:.*avg_ttl=[1-9]/m.test(await r.info("keyspace"))) break;
      }
      infoText = await r.info("all");
      writeFileSync(infoFile, infoText);
    } finally {
      r.disconnect();
    }
  }, 60_000);

  afterAll(async () => {
    await redis?.stop();
  });

  it("--conf + --info + --sizes: sim run accepts the scenario and each inferred field names its source", async () => {
    const out = join(dir, "scenarios", "live.yaml");
    const r = await simInit({ conf: confFile, info: infoFile, sizes: sizesFile, out, duration: "10s", name: "live" });
    const text = readFileSync(out, "utf8");
    console.log(`sim init --conf ${confFile} --info (live) --sizes (live):\n${text}`);
    const sc = parseScenario(text, { file: out });
    expect(sc.duration).toBe("10s");

    // redis: the running server's values from INFO, over the file's
    expect(text).toMatch(/^  maxmemory: 64mb +# from INFO memory maxmemory:67108864$/m);
    expect(text).toMatch(/^  maxmemory-policy: allkeys-lru +# from INFO memory maxmemory_policy:allkeys-lru$/m);
    const hzLine = lineOf(confText, /^hz\s/);
    expect(text).toMatch(new RegExp(`^  hz: 20 +# from INFO server configured_hz:20; .*${confFile.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:${hzLine} says 10: the running server's value wins`, "m"));
    expect(text).toMatch(new RegExp(`^  appendonly: no +# from .*:${lineOf(confText, /^appendonly\s/)} \\(INFO persistence aof_enabled:0 agrees\\)$`, "m"));
    expect(text).toMatch(new RegExp(`^  appendfsync: everysec +# from .*:${lineOf(confText, /^appendfsync\s/)}$`, "m"));
    if (debianConf) expect(text).toMatch(/^  save: "3600 1 300 100 60 10000" +# from Redis's compiled default \(\/etc\/redis\/redis\.conf has no save line\)/m);
    expect(text).toMatch(/^  clients: 1 +# from INFO clients connected_clients:1/m);

    // workload
    const db0 = /^db0:keys=(\d+),expires=(\d+),avg_ttl=(\d+)/m.exec(infoText.replace(/\r/g, ""))!;
    const db2 = /^db2:keys=(\d+),expires=(\d+),avg_ttl=(\d+)/m.exec(infoText.replace(/\r/g, ""))!;
    expect(Number(db0[1])).toBe(3500);
    expect(Number(db0[2])).toBe(2000);
    expect(text).toMatch(/^  rate: [\d.]+ +# from INFO stats (instantaneous_ops_per_sec|total_commands_processed):\d+/m);
    expect(text).toMatch(new RegExp(`^      keys: 1500 +# from INFO keyspace ${db0[0].replace(":", ": ")} \\(keys − expires\\)$`, "m"));
    expect(text).toMatch(new RegExp(`^      keys: 2000 +# from INFO keyspace ${db0[0].replace(":", ": ")} \\(expires\\)$`, "m"));
    expect(text).toMatch(new RegExp(`^      keys: 500 +# from INFO keyspace ${db2[0].replace(":", ": ")}$`, "m"));
    if (Number(db0[3]) > 0) {
      const ttl = Math.round((2 * Number(db0[3])) / 1000);
      expect(text).toMatch(new RegExp(`^      ttl: ${ttl % 3600 === 0 ? `${ttl / 3600}h` : ttl % 60 === 0 ? `${ttl / 60}m` : `${ttl}s`} +# from INFO keyspace db0: .*: 2 × avg_ttl`, "m"));
    }
    expect(text).toMatch(/^      value-size: +# from .*sizes\.csv: \d+ MEMORY USAGE samples, less per-key overhead/m);
    expect(text).toMatch(/^      popularity: \{ dist: zipf, alpha: 1\.0 \} +# not inferable from INFO: the default; measure your key access skew and change it$/m);

    // every value line in redis: and in each class says where it came from (or that it is a default)
    const body = text.split("\n").filter((l) => /^ {2,6}(- )?[a-z-]+: \S/.test(l) && !/^ {6}(dist|values|weights):/.test(l) && !/^  # /.test(l));
    for (const l of body) expect(l, l).toMatch(/# (from |not inferable|the default|keys are named|one timeseries|sim init --duration)/);

    // sim run accepts it and starts from the server's keyspace (prewarm): used_memory near INFO's
    const run = await simRun({ scenario: out, out: join(dir, "run"), quiet: true });
    // all 4000 keys loaded; a few whose remaining TTL (spread over (0, ttl] as on a warm server) ran out
    // and were not read again are gone by the end (the TTL comes from the live server's avg_ttl, which
    // varies with timing, so the exact count does too)
    expect(run.summary.keys).toBeGreaterThanOrEqual(3990);
    expect(run.summary.keys).toBeLessThanOrEqual(4000);
    const first = readFileSync(join(dir, "run", "timeseries.csv"), "utf8").split("\n");
    const cols = first[0].split(",");
    const used = Number(first[1].split(",")[cols.indexOf("used_memory")]);
    const infoUsed = Number(/^used_memory:(\d+)/m.exec(infoText)![1]);
    console.log(`used_memory: INFO ${infoUsed}, simulated at 1 s ${used} (${(((used - infoUsed) / infoUsed) * 100).toFixed(1)} %)`);
    expect(Math.abs(used - infoUsed) / infoUsed).toBeLessThan(0.1);
    expect(r.warnings.join("\n")).not.toMatch(/avg_ttl is 0/);
  }, 60_000);

  it("--conf + --info without sizes: the mean value size from used_memory comes near the true mean", async () => {
    const out = join(dir, "scenarios", "live-info.yaml");
    await simInit({ conf: confFile, info: infoFile, out, duration: "10s" });
    const text = readFileSync(out, "utf8");
    const m = /^      value-size: (\d+) +# from INFO memory used_memory:\d+ over 4000 keys/m.exec(text);
    expect(m).not.toBeNull();
    const inferred = Number(m![1]);
    console.log(`mean value size: inferred from INFO ${inferred} B, loaded ${trueMean.toFixed(1)} B`);
    expect(Math.abs(inferred - trueMean) / trueMean).toBeLessThan(0.1);
    const run = await simRun({ scenario: out, out: join(dir, "run-info"), quiet: true });
    const ts = readFileSync(join(dir, "run-info", "timeseries.csv"), "utf8").split("\n");
    const used = Number(ts[1].split(",")[ts[0].split(",").indexOf("used_memory")]);
    const infoUsed = Number(/^used_memory:(\d+)/m.exec(infoText)![1]);
    console.log(`used_memory: INFO ${infoUsed}, simulated at 1 s ${used} (${(((used - infoUsed) / infoUsed) * 100).toFixed(1)} %)`);
    expect(Math.abs(used - infoUsed) / infoUsed).toBeLessThan(0.05);
  }, 60_000);

  it("--sizes with db and ttl columns: a class per prefix and database, each with its own sizes and TTL", async () => {
    const out = join(dir, "scenarios", "live-prefix.yaml");
    const r = await simInit({ conf: confFile, info: infoFile, sizes: sizesDbFile, out, duration: "10s", name: "live-prefix" });
    const text = readFileSync(out, "utf8");
    console.log(`sim init --sizes (db,key,bytes,ttl):\n${text.slice(text.indexOf("workload:"))}`);
    expect(r.warnings.join("\n")).not.toMatch(/prefixes/);
    const cls = parseScenario(text, { file: out }).workload.classes!;
    // db0: item (1 in 3 without a TTL) and user; db2: sess
    expect(cls.map((c) => [c.name, c.db])).toEqual([["item", 0], ["item-ttl", 0], ["user", 0], ["sess", 2]]);
    const keysIn = (db: number) => cls.filter((c) => c.db === db).reduce((a, c) => a + (c.keys as number), 0);
    expect([keysIn(0), keysIn(2)]).toEqual([3500, 500]);
    const byName = Object.fromEntries(cls.map((c) => [c.name, c]));
    expect(Math.abs((byName.item.keys as number) - 1000)).toBeLessThan(150);
    expect(Math.abs((byName.user.keys as number) - 500)).toBeLessThan(150);
    expect([byName.item.ttl, byName.user.ttl]).toEqual(["none", "none"]);
    // the sessions were all written at once with EX 1800: their remaining TTLs bunch near it
    const secs = (d: unknown) => Number(/^(\d+)s$/.exec(String(d))?.[1] ?? (String(d) === "30m" ? 1800 : NaN));
    expect(Math.abs(secs(byName.sess.ttl) - 1800)).toBeLessThan(60);
    expect(text).toMatch(/^      ttl: \S+ +# from .*sizes-db\.csv ttl column: the longest remaining TTL of \d+ sampled sess:\* keys in db2; their remaining TTLs bunch near it/m);
    // items: TTLs of 60 … 7200 s
    expect(secs(byName["item-ttl"].ttl)).toBeGreaterThan(3000);
    expect(secs(byName["item-ttl"].ttl)).toBeLessThanOrEqual(7200);
    // value sizes per class: users 50 bytes, sessions 300
    const vm = (v: unknown) => (typeof v === "number" ? v : (v as { values: number[]; weights: number[] }).values.reduce((a, x, i, xs) => a + (x * (v as { weights: number[] }).weights[i]) / (v as { weights: number[] }).weights.reduce((p, w) => p + w, 0), 0));
    expect(Math.abs(vm(byName.user["value-size"]) - 50)).toBeLessThanOrEqual(4);
    // (to a size class: MEMORY USAGE cannot tell 300 from the other lengths of its class, 32 bytes wide)
    expect(Math.abs(vm(byName.sess["value-size"]) - 300)).toBeLessThanOrEqual(32);
    const run = await simRun({ scenario: out, out: join(dir, "run-prefix"), quiet: true });
    expect(run.summary.keys).toBeGreaterThanOrEqual(3990);
  }, 60_000);

  it("the sizes sample's fit keeps the sampled keys' mean value length", () => {
    const fit = fitSizes(parseSizes(readFileSync(sizesFile, "utf8"), sizesFile), { allocator: "jemalloc-debian" });
    expect(fit.n).toBe(Math.ceil(4000 / 7));
    expect(fit.below).toBe(0);
    console.log(`sizes: ${fit.n} samples, fitted mean ${fit.meanValue.toFixed(1)} B (all keys' mean ${trueMean.toFixed(1)} B)`);
    expect(Math.abs(fit.meanValue - trueMean) / trueMean).toBeLessThan(0.15);
  });
});


describe("a scenario that loads a redis.conf (redis: { conf: … })", () => {
  const dir = mkdtempSync(join(tmpdir(), "evictsim-conf-"));
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  it("fills the modelled directives the scenario leaves out; fields written in the scenario win", () => {
    write("prod.conf", `maxmemory 3mb\nmaxmemory-policy volatile-lru\nhz 25\nsave 900 1\nappendonly yes\n`);
    const f = write("s.yaml", `duration: 2s\nredis: { conf: prod.conf, maxmemory-policy: allkeys-lfu }\nworkload: { rate: 100, classes: [{ name: k, keys: 10 }] }\n`);
    const sc = loadScenarioFile(f).scenario;
    expect([sc.redis.maxmemory, sc.redis["maxmemory-policy"], sc.redis.hz, sc.redis.save, sc.redis.appendonly]).toEqual(["3mb", "allkeys-lfu", 25, "900 1", "yes"]);
  });
  it("a value Redis would refuse is an error naming the file and line; a missing file names the path", () => {
    write("bad.conf", `# production\nmaxmemory-policy lru\n`);
    const f = write("b.yaml", `duration: 2s\nredis: { conf: bad.conf }\nworkload: { rate: 100, classes: [{ name: k, keys: 10 }] }\n`);
    expect(() => loadScenarioFile(f)).toThrow(/bad\.conf:2: maxmemory-policy/);
    const g = write("c.yaml", `duration: 2s\nredis: { conf: nope.conf }\nworkload: { rate: 100, classes: [{ name: k, keys: 10 }] }\n`);
    expect(() => loadScenarioFile(g)).toThrow(/redis\.conf: "nope\.conf": no such file/);
  });
});
