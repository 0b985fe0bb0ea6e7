import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/* The `sim` command as a user runs it: exit codes, one-line errors, no stack traces, no half results. */

const sim = (args: string[], cwd = process.cwd()) => {
  const r = spawnSync(process.execPath, [join(process.cwd(), "bin/sim.js"), ...args], { cwd, encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

const scenario = (body: string) => {
  const dir = mkdtempSync(join(tmpdir(), "evictsim-cli-"));
  const file = join(dir, "x.yaml");
  writeFileSync(file, body);
  return { dir, file };
};

const GOOD = `duration: 5s
redis: { maxmemory: 1mb, maxmemory-policy: allkeys-lru }
workload:
  rate: 1000
  classes: [{ name: c, keys: 5000 }]
`;

describe("sim run: bad input gives one clear line and exit code 2", () => {
  const cases: [string, string, RegExp][] = [
    ["an unknown policy", GOOD.replace("allkeys-lru", "lru"), /x\.yaml:2: redis\.maxmemory-policy: "lru" is not one of noeviction, allkeys-lru, .*volatile-ttl/],
    ["a negative maxmemory", GOOD.replace("1mb", "-5mb"), /x\.yaml:2: redis\.maxmemory: "-5mb" must be at least 0 bytes/],
    ["a typo in a key name", GOOD.replace("maxmemory-policy", "maxmemory-polcy"), /x\.yaml:2: redis: unknown key "maxmemory-polcy" \(did you mean "maxmemory-policy"\?\)/],
    ["a size without a unit Redis knows", GOOD.replace("1mb", "1mib"), /redis\.maxmemory: "1mib" is not a memory size/],
    ["a missing trace file", `workload: { trace: { path: nowhere.csv } }\n`, /x\.yaml: workload\.trace\.path: "nowhere\.csv": no such file/],
    ["a missing workload", `duration: 5s\n`, /x\.yaml:1: workload: missing/],
    ["not YAML", `redis: [\n`, /x\.yaml(:\d+)?: not valid YAML/],
    ["a class without keys", GOOD.replace("keys: 5000", "share: 1"), /workload\.classes\[0\]\.keys: missing/],
  ];
  for (const [what, body, re] of cases) {
    it(`sim run <scenario with ${what}>`, () => {
      const { file, dir } = scenario(body);
      const r = sim(["run", file, "--out", join(dir, "out")]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(re);
      expect(r.err.trim().split("\n")).toHaveLength(1);
      expect(r.err).not.toMatch(/at .*\.ts:\d+|Error:/);
      expect(existsSync(join(dir, "out"))).toBe(false);
    });
  }

  it("sim run <missing file>", () => {
    const r = sim(["run", "no/such/file.yaml"]);
    expect(r.code).toBe(2);
    expect(r.err.trim()).toBe("sim: no/such/file.yaml: no such scenario file");
  });

  it("sim run --set with a bad value names the field", () => {
    const { file, dir } = scenario(GOOD);
    const r = sim(["run", file, "--out", join(dir, "o"), "--set", "redis.hz=1000"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/redis\.hz: 1000 must be at most 500/);
  });

  it("sim with an unknown command or option", () => {
    expect(sim(["runn", "x.yaml"]).code).toBe(2);
    const r = sim(["run", "x.yaml", "--frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/Unknown argument: frobnicate/);
  });
});

describe("sim run: success", () => {
  it("writes the run directory and an INFO-style summary, exit 0", () => {
    const { file, dir } = scenario(GOOD);
    const r = sim(["run", file, "--out", join(dir, "out"), "--set", "redis.maxmemory=2mb"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^maxmemory:2097152$/m);
    expect(r.out).toMatch(/^maxmemory_policy:allkeys-lru$/m);
    expect(readdirSync(join(dir, "out")).sort()).toEqual([".evictsim", "charts", "scenario.resolved.yaml", "summary.csv", "timeseries.csv"]);
    expect(readdirSync(join(dir, "out", "charts")).sort()).toEqual([
      "evictions-expirations.png",
      "evictions-expirations.svg",
      "hit-ratio.png",
      "hit-ratio.svg",
      "keys.png",
      "keys.svg",
      "memory.png",
      "memory.svg",
    ]);
    expect(r.out).toMatch(/^charts: .*charts\/ \(4 charts, SVG and PNG\)$/m);
  });

  it("--help lists the options with examples", () => {
    const r = sim(["run", "--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/--set/);
    expect(r.out).toMatch(/Examples:/);
    expect(r.out).toMatch(/late-night-pager\.yaml/);
  });
});

describe("sim run: a run that fails part-way leaves no result", () => {
  it("a malformed trace row (line 3001) gives file:line, exit 2, and no output directory", () => {
    const { dir } = scenario("");
    const rows = ["t_ms,op,key,value_size,ttl_s"];
    for (let i = 0; i < 3000; i++) rows.push(`${i},GET,k${i % 50},100,0`);
    rows.push("3000,PUT,k1,100,0");
    writeFileSync(join(dir, "t.csv"), rows.join("\n"));
    writeFileSync(join(dir, "s.yaml"), "workload: { trace: { path: t.csv } }\n");
    const r = sim(["run", join(dir, "s.yaml"), "--out", join(dir, "res", "s")]);
    expect(r.code).toBe(2);
    expect(r.err.trim()).toBe(`sim: ${join(dir, "t.csv")}:3002: op "PUT" is not one of GET, SET, DEL`);
    expect(readdirSync(join(dir, "res"))).toEqual([]);
  });

  it("refuses to replace a directory that is not an evictsim result", () => {
    const { file, dir } = scenario(GOOD);
    writeFileSync(join(dir, "precious.txt"), "keep me");
    const r = sim(["run", file, "--out", dir]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/was not written by evictsim \(no \.evictsim marker in it\); refusing to replace it/);
    expect(existsSync(join(dir, "precious.txt"))).toBe(true);
  });
});
