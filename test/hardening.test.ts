import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/*
 * Issue 14, as a careful user and a hostile one would try it: Ctrl-C and SIGTERM stop every command
 * within a second and leave nothing that looks complete; --out never replaces what evictsim did not
 * write; partial directories of killed processes are cleaned up; sweeps resume only points of the same
 * scenario; a bad manifest, a directory given as a file, … are one line and exit 2.
 */

const BIN = join(process.cwd(), "bin/sim.js");
const sim = (args: string[], cwd = process.cwd()) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const tmp = () => mkdtempSync(join(tmpdir(), "evictsim-hard-"));

/** Starts `sim args`, sends `signal` once stderr shows `ready` (or after `afterMs`), and reports how it ended. */
function interrupt(args: string[], signal: NodeJS.Signals, ready: RegExp, cwd = process.cwd()) {
  return new Promise<{ code: number | null; err: string; ms: number }>((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, FORCE_COLOR: "0" } });
    let err = "";
    let sentAt = -1;
    p.stderr.on("data", (d: Buffer) => {
      err += d.toString();
      if (sentAt < 0 && ready.test(err)) {
        sentAt = performance.now();
        p.kill(signal);
      }
    });
    const guard = setTimeout(() => {
      p.kill("SIGKILL");
      reject(new Error(`no ${ready} within 60 s; stderr: ${err}`));
    }, 60_000);
    p.on("exit", (code) => {
      clearTimeout(guard);
      resolve({ code, err, ms: sentAt < 0 ? NaN : performance.now() - sentAt });
    });
  });
}

// 8 simulated hours at 200 requests/s (3 s of work), here at 2 000 requests/s: ~30 s, so the signal
// arrives mid-simulation (a progress line appears at 2 s)
const PAGER = join(process.cwd(), "scenarios/late-night-pager.yaml");
const LONG = ["--set", "workload.rate=2000"];

describe("Ctrl-C and SIGTERM", () => {
  it("SIGINT while the charts are drawn stops within 1 s too, leaving no directory", async () => {
    const d = tmp();
    const r = await interrupt(["run", PAGER, "--out", join(d, "pager")], "SIGINT", /drawing \d+ charts/);
    expect(r.code).toBe(130);
    expect(r.ms).toBeLessThan(1000);
    expect(readdirSync(d)).toEqual([]);
  });

  it("SIGINT during a prewarm of a million keys (loaded in steps) stops it within 1 s, no directory", async () => {
    const d = tmp();
    const f = join(d, "pw.yaml");
    writeFileSync(
      f,
      `duration: 2s
redis: { maxmemory: 256mb, maxmemory-policy: allkeys-lru }
workload:
  rate: 1000
  classes: [{ name: k, keys: 2000000, popularity: { dist: zipf, alpha: 1.0 }, value-size: 300 }]
events: [ { at: 0s, action: prewarm, keys: 100% } ]
`,
    );
    const r = await interrupt(["run", f, "--out", join(d, "o"), "--no-charts"], "SIGINT", /prewarm: loading/);
    expect(r.code).toBe(130);
    expect(r.ms).toBeLessThan(1000);
    expect(readdirSync(d)).toEqual(["pw.yaml"]);
  });

  it("SIGINT during a generated run stops it within 1 s: exit 130, 'interrupted; no result written', no directory, no partial", async () => {
    const d = tmp();
    const r = await interrupt(["run", PAGER, ...LONG, "--out", join(d, "pager")], "SIGINT", /simulated/);
    expect(r.code).toBe(130);
    expect(r.ms).toBeLessThan(1000);
    expect(r.err).toMatch(/sim: interrupted; no result written\n$/);
    expect(readdirSync(d)).toEqual([]);
  });

  it("SIGTERM: exit 143, and an earlier result in --out is left as it was", async () => {
    const d = tmp();
    const out = join(d, "r");
    const first = sim(["run", "scenarios/late-night-pager.yaml", "--set", "duration=10m", "--out", out, "--no-charts", "--quiet"]);
    expect(first.code).toBe(0);
    const before = readFileSync(join(out, "summary.csv"), "utf8");
    const r = await interrupt(["run", PAGER, ...LONG, "--out", out], "SIGTERM", /simulated/);
    expect(r.code).toBe(143);
    expect(r.ms).toBeLessThan(1000);
    expect(readFileSync(join(out, "summary.csv"), "utf8")).toBe(before);
    expect(readdirSync(d)).toEqual(["r"]);
  });

  it("SIGINT during sim plan and sim sweep: exit 130 within 1 s; a sweep keeps finished points and leaves no partial one", async () => {
    const d = tmp();
    const plan = await interrupt(["plan", PAGER, ...LONG, "--set", "redis.maxmemory-policy=allkeys-lru", "--target", "hit_ratio>=0.9"], "SIGINT", /simulated/, d);
    expect(plan.code).toBe(130);
    expect(plan.ms).toBeLessThan(1000);
    const out = join(d, "sweep");
    const sweep = await interrupt(["sweep", "scenarios/policy-sweep.yaml", "--out", out, "--jobs", "2"], "SIGINT", /points, 2 at a time/, process.cwd());
    expect(sweep.code).toBe(130);
    expect(sweep.ms).toBeLessThan(1000);
    expect(sweep.err).toMatch(/finished points are kept/);
    expect(readdirSync(join(out, "points")).filter((p) => p.startsWith("."))).toEqual([]);
  });
});

const SMALL = `name: small
duration: 2s
redis: { maxmemory: 1mb, maxmemory-policy: allkeys-lru }
workload: { rate: 1000, classes: [{ name: c, keys: 5000 }] }
`;

describe("other people's directories", () => {
  it("--out on a directory evictsim did not write (even with a summary.csv in it) exits 2 and deletes nothing", () => {
    const d = tmp();
    const f = join(d, "s.yaml");
    writeFileSync(f, SMALL);
    const foreign = join(d, "theirs");
    mkdirSync(foreign);
    writeFileSync(join(foreign, "summary.csv"), "mine\n");
    writeFileSync(join(foreign, "notes.txt"), "precious\n");
    const r = sim(["run", f, "--out", foreign, "--no-charts"]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(/was not written by evictsim \(no \.evictsim marker in it\); refusing to replace it/);
    expect(readdirSync(foreign).sort()).toEqual(["notes.txt", "summary.csv"]);
    expect(readFileSync(join(foreign, "summary.csv"), "utf8")).toBe("mine\n");
  });

  it("--out naming a file, or a path through a file: one line, exit 2, the file untouched", () => {
    const d = tmp();
    const f = join(d, "s.yaml");
    writeFileSync(f, SMALL);
    const file = join(d, "afile");
    writeFileSync(file, "x");
    for (const out of [file, join(file, "sub")]) {
      const r = sim(["run", f, "--out", out, "--no-charts"]);
      expect(r.code).toBe(2);
      expect(r.err.trim().split("\n")).toHaveLength(1);
      expect(r.err).toMatch(/is a file|part of (this|the) path is a file/);
    }
    expect(readFileSync(file, "utf8")).toBe("x");
  });

  it("name: is a name, not a path", () => {
    const d = tmp();
    for (const name of ["../escape", "/etc", "a/b", ".."]) {
      const f = join(d, "s.yaml");
      writeFileSync(f, SMALL.replace("name: small", `name: ${JSON.stringify(name)}`));
      const r = sim(["run", f, "--no-charts"], d);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/name: .*(is a name, not a path|cannot name a directory)/);
    }
    expect(readdirSync(d)).toEqual(["s.yaml"]);
  });

  it("replacing an earlier result of ours says so; --set and --seed runs go to results/<name>--<overrides>", () => {
    const d = tmp();
    const f = join(d, "s.yaml");
    writeFileSync(f, SMALL);
    expect(sim(["run", f, "--no-charts"], d).out).not.toMatch(/replaced/);
    const again = sim(["run", f, "--no-charts"], d);
    expect(again.out).toMatch(/replaced the earlier result in results\/small\//);
    const lfu = sim(["run", f, "--no-charts", "--set", "redis.maxmemory-policy=allkeys-lfu", "--seed", "7"], d);
    expect(lfu.code).toBe(0);
    expect(lfu.out).toMatch(/results: results\/small--redis\.maxmemory-policy=allkeys-lfu,seed=7\//);
    expect(readdirSync(join(d, "results")).sort()).toEqual(["small", "small--redis.maxmemory-policy=allkeys-lfu,seed=7"]);
    expect(readFileSync(join(d, "results/small/summary.csv"), "utf8")).toMatch(/allkeys-lru/);
  });

  it("a partial directory of a process that is gone is removed by the next run; one without our marker is not", () => {
    const d = tmp();
    const f = join(d, "s.yaml");
    writeFileSync(f, SMALL);
    // pid 2^22 + 1 is above Linux's pid_max default: no such process
    const dead = join(d, ".r.partial-4194305");
    mkdirSync(dead);
    writeFileSync(join(dead, ".evictsim"), JSON.stringify({ evictsim: "0.1.0", kind: "run" }));
    writeFileSync(join(dead, "timeseries.csv"), "time_s\n1\n");
    const foreign = join(d, ".x.partial-4194305");
    mkdirSync(foreign);
    writeFileSync(join(foreign, "keep"), "");
    expect(sim(["run", f, "--out", join(d, "r"), "--no-charts", "--quiet"]).code).toBe(0);
    expect(readdirSync(d).sort()).toEqual([".x.partial-4194305", "r", "s.yaml"]);
  });

  it("sim init --out DIR (with or without --force) is one line, exit 2; sim check --info leaves no temporary file", () => {
    const d = tmp();
    const info = join(d, "info.txt");
    writeFileSync(info, ["# Memory", "used_memory:1048576", "maxmemory:0", "maxmemory_policy:allkeys-lru", "# Keyspace", "db0:keys=1000,expires=0,avg_ttl=0", ""].join("\n"));
    const r = sim(["init", "--info", info, "--out", d, "--force"]);
    expect(r.code).toBe(2);
    expect(r.err.trim()).toMatch(/^sim: --out .*: is a directory; name the scenario file to write/);
    const before = readdirSync(tmpdir()).filter((x) => x.startsWith("evictsim-check-")).length;
    const c = sim(["check", "--info", info, "--duration", "10s"]);
    expect([0, 1]).toContain(c.code);
    expect(readdirSync(tmpdir()).filter((x) => x.startsWith("evictsim-check-")).length).toBe(before);
  });
});

const SWEEP = `name: tiny
seed: 3
duration: 3s
redis: { maxmemory: 2mb, maxmemory-policy: allkeys-lru }
workload:
  rate: 2000
  classes: [{ name: k, keys: 20000, popularity: zipf, value-size: 200 }]
sweep:
  redis.maxmemory-policy: [allkeys-lru, allkeys-lfu]
  redis.maxmemory: [2mb, 4mb]
`;

describe("sweeps: identity of results", () => {
  it("after the scenario changed, a resumed sweep reruns every point and says why; sweep.csv has only the new figures", () => {
    const d = tmp();
    const f = join(d, "tiny.yaml");
    writeFileSync(f, SWEEP);
    const out = join(d, "sw");
    expect(sim(["sweep", f, "--out", out, "--jobs", "1"]).code).toBe(0);
    writeFileSync(f, SWEEP.replace("duration: 3s", "duration: 1s"));
    const r = sim(["sweep", f, "--out", out, "--jobs", "1"]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/4 finished points were run from a different scenario or evictsim version \(duration: 3s before, 1s now\): running them again/);
    expect(r.out).toMatch(/4 run, 0 resumed/);
    const rows = readFileSync(join(out, "sweep.csv"), "utf8").trim().split("\n");
    const col = rows[0].split(",").indexOf("duration_s");
    expect(rows.slice(1).map((l) => l.split(",")[col])).toEqual(["1", "1", "1", "1"]);
    // unchanged: everything resumed
    expect(sim(["sweep", f, "--out", out, "--jobs", "1"]).out).toMatch(/0 run, 4 resumed/);
  });

  it("sim merge refuses shards of different scenarios, naming the first differing field", () => {
    const d = tmp();
    const f = join(d, "tiny.yaml");
    writeFileSync(f, SWEEP);
    expect(sim(["sweep", f, "--out", join(d, "s1"), "--shard", "1/2", "--jobs", "1", "--quiet"]).code).toBe(0);
    writeFileSync(f, SWEEP.replace("duration: 3s", "duration: 1s"));
    expect(sim(["sweep", f, "--out", join(d, "s2"), "--shard", "2/2", "--jobs", "1", "--quiet"]).code).toBe(0);
    const r = sim(["merge", join(d, "s1"), join(d, "s2"), "--out", join(d, "m")]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(/a sweep of a different scenario than .*s1: duration: 3s in .*s1, 1s in .*s2/);
    expect(existsSync(join(d, "m"))).toBe(false);
  });

  it("a corrupt sweep.json is one line, exit 2", () => {
    const d = tmp();
    const f = join(d, "tiny.yaml");
    writeFileSync(f, SWEEP);
    const out = join(d, "sw");
    mkdirSync(out);
    writeFileSync(join(out, ".evictsim"), JSON.stringify({ evictsim: "0.1.0", kind: "sweep" }));
    writeFileSync(join(out, "sweep.json"), "{ not json");
    for (const args of [["sweep", f, "--out", out], ["merge", out, "--out", join(d, "m")]]) {
      const r = sim(args);
      expect(r.code).toBe(2);
      expect(r.err.trim().split("\n")).toHaveLength(1);
      expect(r.err).toMatch(/sweep\.json: not a readable sweep manifest/);
    }
  });
});

describe("values refused plainly", () => {
  it("--seed '' / abc / beyond 2^32 − 1: one line, exit 2 (yargs would read '' as 0)", () => {
    for (const seed of ["", "abc", "99999999999", "-1"]) {
      const r = sim(["run", "scenarios/policy-comparison.yaml", "--seed", seed, "--no-charts", "--out", join(tmp(), "x")]);
      expect(r.code).toBe(2);
      expect(r.err.trim()).toBe(`sim: --seed ${JSON.stringify(seed)}: give a whole number from 0 to 4294967295`);
    }
  });

  it("a file that is not a scenario (/etc/passwd) is reported as such without echoing its lines", () => {
    const d = tmp();
    const f = join(d, "passwd");
    writeFileSync(f, "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n");
    const r = sim(["run", f, "--no-charts", "--out", join(d, "o")]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(/a scenario is a YAML mapping .*; found a single text \(is this a scenario file\?\)/);
    expect(r.err).not.toMatch(/root|daemon|bash/);
  });
});

describe("every command that writes checks what it would replace", () => {
  it("sim run --out <a sweep directory>: refused (a run never replaces a sweep and its points)", () => {
    const d = tmp();
    const sw = join(d, "sw");
    mkdirSync(join(sw, "points"), { recursive: true });
    writeFileSync(join(sw, ".evictsim"), JSON.stringify({ evictsim: "0.1.0", kind: "sweep" }));
    const f = join(d, "s.yaml");
    writeFileSync(f, SMALL);
    const r = sim(["run", f, "--out", sw, "--no-charts"]);
    expect(r.code).toBe(2);
    expect(r.err.trim()).toMatch(/holds an evictsim sweep result, not a run; refusing to replace it/);
    expect(existsSync(join(sw, "points"))).toBe(true);
  });

  it("report, diff and plot: a foreign file or directory, a directory as a file: one line, exit 2, nothing replaced", () => {
    const d = tmp();
    const f = join(d, "s.yaml");
    writeFileSync(f, SMALL);
    const run = join(d, "r");
    expect(sim(["run", f, "--out", run, "--no-charts", "--quiet"]).code).toBe(0);
    const mine = join(d, "mine.html");
    writeFileSync(mine, "my notes\n");
    for (const args of [
      ["report", run, "--out", mine],
      ["report", run, "--out", d],
      ["diff", run, run, "--out", d],
      ["diff", run, run, "--out", mine],
    ]) {
      const r = sim(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.err.trim().split("\n"), args.join(" ")).toHaveLength(1);
      expect(r.err).not.toMatch(/internal error|    at /);
    }
    expect(readFileSync(mine, "utf8")).toBe("my notes\n");
    const foreign = join(d, "foreign");
    mkdirSync(join(foreign, "charts"), { recursive: true });
    writeFileSync(join(foreign, "charts", "keep.txt"), "x");
    writeFileSync(join(foreign, "timeseries.csv"), readFileSync(join(run, "timeseries.csv")));
    writeFileSync(join(foreign, "summary.csv"), readFileSync(join(run, "summary.csv")));
    const p = sim(["plot", foreign]);
    expect(p.code).toBe(2);
    expect(p.err).toMatch(/not an evictsim run directory/);
    expect(existsSync(join(foreign, "charts", "keep.txt"))).toBe(true);
  });

  it("overrides of two different fields with the same last name get different directories", () => {
    const d = tmp();
    const f = join(d, "s.yaml");
    writeFileSync(f, SMALL.replace("classes: [{ name: c, keys: 5000 }]", "classes: [{ name: c, keys: 5000 }, { name: e, keys: 10 }]"));
    expect(sim(["run", f, "--no-charts", "-q", "--set", "workload.classes.0.keys=50"], d).code).toBe(0);
    expect(sim(["run", f, "--no-charts", "-q", "--set", "workload.classes.1.keys=50"], d).code).toBe(0);
    expect(readdirSync(join(d, "results")).sort()).toEqual(["small--workload.classes.0.keys=50", "small--workload.classes.1.keys=50"]);
  });
});
