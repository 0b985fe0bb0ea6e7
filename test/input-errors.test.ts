import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli } from "../src/cli/main.ts";
import { InputError } from "../src/errors.ts";
import { loadScenarioFile } from "../src/io/scenario-file.ts";
import { checkBounds, FORCE_FLAG, FORCE_OPTION, HARD_ROWS, SOFT_REQUESTS } from "../src/scenario/bounds.ts";
import { parseScenario } from "../src/scenario/parse.ts";
import { compile } from "../src/scenario/compile.ts";
import { runPlanAsync } from "../src/run.ts";
import { openTrace } from "../src/io/traces/index.ts";
import { sweepPoints } from "../src/sweep/points.ts";

/*
 * Every user error is one clear line and exit 2: the failures found by hand and by test/fuzz.test.ts,
 * each with the input that caused it. Most go through cli() in-process (as bin/sim.js does); a few
 * spawn the real binary.
 */

const ROOT = resolve(import.meta.dirname, "..");
const PAGER = join(ROOT, "scenarios/late-night-pager.yaml");
const dir = mkdtempSync(join(tmpdir(), "evictsim-input-errors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(text: string | Uint8Array, name = `s${n++}.yaml`): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

/** `sim <argv>` in-process: exit code and stderr. */
async function sim(...argv: string[]): Promise<{ code: number; err: string; ms: number }> {
  let err = "";
  const t0 = performance.now();
  const code = await cli(argv, (s) => (err += s));
  return { code, err, ms: performance.now() - t0 };
}

/** Exit 2 with exactly one line, no stack, at most a few hundred characters. */
function oneLineError(r: { code: number; err: string }): string {
  expect(r.code, r.err).toBe(2);
  const lines = r.err.split("\n").filter((l) => l !== "");
  expect(lines, r.err.slice(0, 2000)).toHaveLength(1);
  expect(r.err).not.toMatch(/    at /);
  expect(lines[0].length, lines[0]).toBeLessThanOrEqual(450);
  return lines[0];
}

const run = (f: string, ...more: string[]) => sim("run", f, "--out", join(dir, `out${n++}`), "--no-charts", "--quiet", ...more);
const SMALL = "duration: 1s\nworkload: {rate: 10, classes: [{name: a, keys: 10}]}\n";

describe("YAML a scenario cannot use", () => {
  it("a self-referencing alias (a: &a [*a]) is one line naming the line, not 'Converting circular structure to JSON' (exit 1)", async () => {
    const line = oneLineError(await run(file("a: &a [*a]\n" + SMALL)));
    expect(line).toMatch(/s\d+\.yaml:1: a\[0\]: a YAML alias refers to a value that contains it \(a cycle\)/);
  });

  it("redis: &r {x: *r} likewise", async () => {
    const line = oneLineError(await run(file("redis: &r {x: *r}\n" + SMALL)));
    expect(line).toMatch(/:1: redis\.x: .*cycle/);
  });

  it("duplicate keys and tab indentation: file:line", async () => {
    expect(oneLineError(await run(file(SMALL + "duration: 2s\n")))).toMatch(/s\d+\.yaml:3: not valid YAML: Map keys must be unique/);
    expect(oneLineError(await run(file("duration: 1s\nredis:\n\tmaxmemory: 1mb\n" + SMALL.slice(12))))).toMatch(/s\d+\.yaml:3: not valid YAML: Tabs are not allowed as indentation/);
  });

  it("a number out of range (1e400 reads as Infinity) says so, rather than 'null is not a duration'", async () => {
    expect(oneLineError(await run(PAGER, "--set", "duration=1e400"))).toMatch(/^sim: --set "duration=1e400": the number is out of range/);
    expect(oneLineError(await run(file(SMALL.replace("1s", "1e400"))))).toMatch(/:1: duration: the number is out of range/);
  });

  it("nesting deeper than any scenario is refused in one line", async () => {
    const deep = "x: " + "[".repeat(5000) + "]".repeat(5000) + "\n";
    oneLineError(await run(file(deep + SMALL)));
  });
});

describe("--set", () => {
  it("list indices beyond the list (1e3, 100000000) are refused at once, in one line", async () => {
    for (const i of ["1e3", "100000000"]) {
      const r = await run(PAGER, "--set", `workload.classes.${i}.keys=5`);
      expect(oneLineError(r)).toMatch(/workload\.classes (is a list: give an item number from 0 to 1|has 2 items: the item number must be from 0 to 2)/);
      expect(r.ms).toBeLessThan(5000);
    }
  });

  it("a path through a single value, an empty part, a bad value", async () => {
    expect(oneLineError(await run(PAGER, "--set", "duration.x=1"))).toMatch(/duration is a single value/);
    expect(oneLineError(await run(PAGER, "--set", "redis..maxmemory=1"))).toMatch(/empty part/);
    expect(oneLineError(await run(PAGER, "--set", "redis.maxmemory=[1"))).toMatch(/not valid YAML/);
    expect(oneLineError(await run(PAGER, "--set", "redis.maxmemory=&a [*a]"))).toMatch(/cycle/);
  });
});

describe("huge values", () => {
  it("a 20 MB scalar in the file gives a short message", async () => {
    const line = oneLineError(await run(file(`name: "${"x".repeat(20 * 1024 * 1024)}"\n${SMALL}`)));
    expect(line).toMatch(/name: must be at most 200 characters/);
  });

  it("a 20 MB --set value gives a short message (values cut with …)", async () => {
    const line = oneLineError(await run(PAGER, "--set", `redis.maxmemory-policy=${"y".repeat(20 * 1024 * 1024)}`));
    expect(line).toMatch(/"yyyy.*…/);
  });

  it("a huge unknown key is cut too", async () => {
    oneLineError(await run(file(`redis: {${"k".repeat(1_000_000)}: 1}\n${SMALL}`)));
  });
});

describe("sizes and names", () => {
  it("maxmemory above 2^53 bytes is refused (99999999999gb, 1e30); 8192tb is the largest accepted", async () => {
    expect(oneLineError(await run(PAGER, "--set", "redis.maxmemory=99999999999gb"))).toMatch(/"99999999999gb" is above 8192tb/);
    expect(oneLineError(await run(PAGER, "--set", "redis.maxmemory=1e30"))).toMatch(/1e\+30 is above 8192tb/);
    expect(parseScenario(`redis: {maxmemory: 8192tb}\n${SMALL}`).redis.maxmemory).toBe("8192tb");
    expect(() => parseScenario(`redis: {maxmemory: 8193tb}\n${SMALL}`)).toThrow(/above 8192tb/);
    expect(() => parseScenario(`host: {memory: 1e300}\n${SMALL}`)).toThrow(/host\.memory: 1e\+300 is above 8192tb/);
  });

  it("durations longer than the µs clock counts (285 years) are refused", () => {
    expect(() => parseScenario(SMALL.replace("1s", "1e9d"))).toThrow(/duration: "1e9d" is not a duration/);
    expect(() => parseScenario(SMALL.replace("1s", "9999999999d"))).toThrow(/is longer than 285 years/);
    expect(() => parseScenario(SMALL.replace("keys: 10}", `keys: 10, ttl: ${"9".repeat(400)}d}`))).toThrow(/longer than 285 years/);
  });

  it("name: names one directory", async () => {
    for (const name of ["../escape", "a/b", "..", "a\\u0000b"]) expect(oneLineError(await run(file(`name: "${name}"\n${SMALL}`)))).toMatch(/cannot name a directory/);
  });
});

describe("sweeps", () => {
  it("a bad value inside sweep: points at the sweep block's line, not the base scenario's", async () => {
    const f = file("duration: 1s\nredis:\n  maxmemory: 1mb\nworkload: {rate: 1, classes: [{name: a, keys: 1}]}\nsweep:\n  redis.maxmemory: [1mb,\n    foo]\n");
    // sim sweep checks every point as loadScenarioFile(file, point.sets) before running any
    const points = sweepPoints(loadScenarioFile(f).scenario.sweep!);
    expect(() => loadScenarioFile(f, points[1].sets)).toThrow(/s\d+\.yaml:7: sweep point redis\.maxmemory="foo": redis\.maxmemory: "foo" is not a memory size/);
    const line = oneLineError(await sim("sweep", f, "--out", join(dir, `sweep${n++}`), "--quiet"));
    expect(line).toMatch(/:7: sweep point redis\.maxmemory="foo"/);
  });

  it("a sweep of more than 10 000 points, or of a key that is not a path, is refused", () => {
    const ten = `[${Array.from({ length: 10 }, (_, i) => i + 1).join(", ")}]`;
    expect(() => parseScenario(`${SMALL}sweep: {a: ${ten}, b: ${ten}, c: ${ten}, d: ${ten}, e: [1, 2]}\n`)).toThrow(/the sweep has 20000 points/);
    expect(() => parseScenario(`${SMALL}sweep: {"a=b": [1]}\n`)).toThrow(/"a=b" is not a scenario path/);
  });
});

describe("files that are not what they claim", () => {
  const SECRET = "root:x:0:0:root:/root:/bin/bash s3cr3t\u001b[31m";
  const passwd = file(`${SECRET}\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n`, "passwd");

  it("redis: {conf: /etc/passwd}: which line and what was expected, without the line's content", async () => {
    const line = oneLineError(await run(file(`redis: { conf: ${passwd} }\n${SMALL}`)));
    expect(line).toMatch(/passwd:1: not a redis\.conf directive/);
    expect(line).not.toMatch(/root|s3cr3t|daemon/);
  });

  it("redis: {conf: <a directory>} and a scenario that is a directory or binary", async () => {
    expect(oneLineError(await run(file(`redis: { conf: ${dir} }\n${SMALL}`)))).toMatch(/is a directory, not a redis\.conf file/);
    expect(oneLineError(await run(dir))).toMatch(/is a directory, not a scenario file/);
    expect(oneLineError(await run(file(new Uint8Array([0, 1, 2, 255, 0]), "bin.yaml")))).toMatch(/is a binary file, not a scenario/);
  });

  it("a text file as an oracleGeneral or cache2k trace, /etc/passwd as a csv trace: no content echoed", async () => {
    for (const [name, fmt] of [["p.oracleGeneral", "oracle-general"], ["p.trace", "cache2k"], ["p.csv", "csv"], ["p.tw", "twitter"]] as const) {
      const t = file(readFileSync(passwd), name);
      const line = oneLineError(await run(file(`workload: {trace: {path: ${t}, format: ${fmt}}}\n`)));
      expect(line).not.toMatch(/root|s3cr3t|daemon/);
      expect(line).toMatch(fmt === "csv" ? /p\.csv:1: expected the header/ : fmt === "twitter" ? /p\.tw:1: expected 7 fields/ : /holds text, not/);
    }
  });

  it("control characters in echoed values are escaped", async () => {
    const r = await run(PAGER, "--set", "redis.maxmemory-policy=\u001b[31mred\u0007");
    const line = oneLineError(r);
    expect(line).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
    expect(line).toMatch(/\\u001b\[31mred\\u0007|\\x1b\[31mred\\x07/);
  });
});

describe("trace times", () => {
  it("t_ms: 1e300 in a csv trace is refused with file:line, not run", async () => {
    const t = file("t_ms,op,key,value_size,ttl_s\n0,GET,a,1,0\n1e300,GET,a,1,0\n", "far.csv");
    const line = oneLineError(await run(file(`workload: {trace: {path: ${t}}}\n`)));
    expect(line).toMatch(/far\.csv:3: t_ms 1e300 is more than a million years after the trace's start/);
  });

  it("a libcachesim-csv time in µs beyond a million years, and a cache2k rate of 1e-300/s, likewise", async () => {
    const t = file("1,1,1\n1e30,2,1\n", "far.lcs");
    expect(oneLineError(await run(file(`workload: {trace: {path: ${t}, format: libcachesim-csv, time-col: 1, obj-id-col: 2, obj-size-col: 3, has-header: false}}\n`)))).toMatch(
      /far\.lcs:2: column 1 \(time-col\): time 1e30 is more than a million years/,
    );
    const k = file(Buffer.from(new Int32Array([1, 2, 3]).buffer), "slow.trace");
    expect(oneLineError(await run(file(`workload: {trace: {path: ${k}, rate: 1e-300}}\n`)))).toMatch(/more than a million years apart/);
  });

  // Two requests 2^32 − 1 s apart (136 years). The server skips the cron ticks of an idle, quiescent
  // stretch (RedisServer.idleTicks), so the gap costs only its timeseries rows: at output.interval 1h
  // 1 193 047 rows; at the default 1 s over 1e8 rows, refused at once with one line.
  it("an oracleGeneral trace with a 136-year gap (t = 0 then t = 2^32 − 1 s) runs in bounded time, or is refused for its rows", async () => {
    const d = mkdtempSync(join(tmpdir(), "evictsim-gap-"));
    const b = Buffer.alloc(48);
    b.writeUInt32LE(1, 4);
    b.writeUInt32LE(100, 12);
    b.writeInt32LE(-1, 16);
    b.writeInt32LE(-1, 20);
    b.writeUInt32LE(4294967295, 24);
    b.writeUInt32LE(2, 28);
    b.writeUInt32LE(100, 36);
    b.writeInt32LE(-1, 40);
    b.writeInt32LE(-1, 44);
    writeFileSync(join(d, "gap.oracleGeneral"), b);
    const plan = (interval: string) => compile(parseScenario(`workload: {trace: {path: gap.oracleGeneral}}\noutput: {interval: ${interval}}\n`, { file: "gap.yaml" }));
    const open = (p: ReturnType<typeof plan>) => openTrace({ ...p.workload.trace!, path: join(d, "gap.oracleGeneral") }, d);
    const t0 = performance.now();
    const hourly = plan("1h");
    const r = await runPlanAsync(hourly, open(hourly));
    expect(r.rows).toBe(1_193_047);
    expect(r.summary.requests).toBe(2);
    expect(performance.now() - t0).toBeLessThan(120_000);
    const secondly = plan("1s");
    await expect(runPlanAsync(secondly, open(secondly))).rejects.toThrow(/^the trace reaches 136 years after its first request: at output.interval 1s that is over 1e\+8 timeseries rows/);
  }, 180_000);
});

describe("bounds: work estimated before running (src/scenario/bounds.ts)", () => {
  const sc = (text: string) => parseScenario(text, { file: "x.yaml" });
  const GB = 1024 ** 3;

  it("rate 1e15 over 10h: 3.6e19 requests, refused even with force, with the estimate", () => {
    const s = sc("duration: 10h\nworkload: {rate: 1e15, classes: [{name: a, keys: 10}]}\n");
    expect(() => checkBounds(s, { file: "x.yaml", force: true })).toThrow(/^x\.yaml: the run would simulate 3\.6e19 requests \(rate 1e15\/s × duration 10h\); at ~1\.5 M requests\/s that is 760 000 years; refusing/);
  });

  it("merely large (more than 1e10 requests): refused, with a way to insist", () => {
    const s = sc("duration: 10h\nworkload: {rate: 1000000, classes: [{name: a, keys: 10}]}\n");
    expect(() => checkBounds(s, { file: "x.yaml" })).toThrow(new RegExp(`3\\.6e10 requests .*6\\.7 hours; refusing \\(the limit is 1e10 requests.*give ${FORCE_FLAG} to run it anyway`));
    expect(checkBounds(s, { file: "x.yaml", [FORCE_OPTION]: true }).requests).toBe(3.6e10);
    expect(SOFT_REQUESTS).toBe(1e10);
  });

  it("timeseries rows: output.interval 1us over 10 minutes is 6e8 rows, refused always", () => {
    const s = sc("duration: 10m\noutput: {interval: 1us}\nworkload: {rate: 10, classes: [{name: a, keys: 10}]}\n");
    expect(() => checkBounds(s, { force: true })).toThrow(/600 M timeseries rows \(duration 10m \/ output\.interval 1us\); refusing \(at most 100 M rows/);
    expect(HARD_ROWS).toBe(1e8);
    const medium = sc("duration: 10m\noutput: {interval: 10us}\nworkload: {rate: 10, classes: [{name: a, keys: 10}]}\n");
    expect(() => checkBounds(medium)).toThrow(/60 M timeseries rows.*--force/);
    expect(checkBounds(medium, { force: true }).rows).toBe(6e7);
  });

  it("keys: 500 000 000 on a 24 GB machine: the model would not fit, refused always (sampling helps)", () => {
    const s = sc("duration: 1s\nworkload: {rate: 10, classes: [{name: a, keys: 500000000}]}\n");
    expect(() => checkBounds(s, { force: true, totalMemory: 24 * GB })).toThrow(/the model would need about 46\.8 GB of memory \(~100 bytes × 500 M keys\), more than this machine's 24 GB/);
    const sampled = sc("duration: 1s\nworkload: {rate: 10, sampling: 10%, classes: [{name: a, keys: 500000000}]}\n");
    expect(checkBounds(sampled, { totalMemory: 24 * GB }).keys).toBe(5e7);
  });

  it("unbounded classes count the keys they create; opt holds the whole workload", () => {
    const s = sc("duration: 1h\nworkload: {rate: 1000000, classes: [{name: a, keys: unbounded}]}\n");
    expect(() => checkBounds(s, { totalMemory: 24 * GB })).toThrow(/3\.6 ?e9 requests|3\.6e9|the model would need/);
    const opt = sc("duration: 1h\nredis: {maxmemory-policy: opt}\nworkload: {rate: 100000, classes: [{name: a, keys: 10}]}\n");
    expect(() => checkBounds(opt, { totalMemory: 24 * GB })).toThrow(/the whole workload for opt/);
  });

  it("never refuses a bundled scenario or any point of a bundled sweep (limits as the CLI applies them, on a 4 GB machine)", () => {
    const files = readdirSync(join(ROOT, "scenarios")).filter((f) => f.endsWith(".yaml"));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const l = loadScenarioFile(join(ROOT, "scenarios", f));
      checkBounds(l.scenario, { file: f, totalMemory: 4 * GB });
      for (const p of l.scenario.sweep ? sweepPoints(l.scenario.sweep) : []) checkBounds(loadScenarioFile(join(ROOT, "scenarios", f), p.sets).scenario, { totalMemory: 4 * GB });
    }
  });

  it("loadScenarioFile applies it (every command), force as its third argument", () => {
    const f = file("duration: 10h\nworkload: {rate: 1000000, classes: [{name: a, keys: 10}]}\n");
    expect(() => loadScenarioFile(f)).toThrow(InputError);
    expect(loadScenarioFile(f, [], { force: true }).scenario.duration).toBe("10h");
  });

  it("through the CLI: one line, exit 2", async () => {
    expect(oneLineError(await run(PAGER, "--set", "workload.rate=1e15", "--set", "duration=10h"))).toMatch(/3\.6e19 requests/);
  });
});

describe("the real binary", () => {
  const bin = (args: string[]) => spawnSync(process.execPath, [join(ROOT, "bin/sim.js"), ...args], { encoding: "utf8", timeout: 60_000 });

  it("node bin/sim.js: a self-referencing alias and a huge --set index are one line each, exit 2", () => {
    const a = bin(["run", file("a: &a [*a]\n" + SMALL), "--out", join(dir, "x"), "--no-charts"]);
    expect(a.status).toBe(2);
    expect(a.stderr.trim().split("\n")).toHaveLength(1);
    expect(a.stderr).toMatch(/cycle/);
    const b = bin(["run", PAGER, "--set", "workload.classes.100000000.keys=5", "--out", join(dir, "y"), "--no-charts"]);
    expect(b.status).toBe(2);
    expect(b.stderr.trim().split("\n")).toHaveLength(1);
  });
});
