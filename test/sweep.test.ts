import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { simMerge, simSweep } from "../src/cli/sweep.ts";
import { InputError } from "../src/errors.ts";
import { sweepPoints } from "../src/sweep/points.ts";

const tmp = () => mkdtempSync(join(tmpdir(), "evictsim-sweep-"));

const SCENARIO = `
name: tiny
seed: 3
duration: 5s
redis: { maxmemory: 2mb, maxmemory-policy: allkeys-lru }
workload:
  rate: 5000
  classes: [{ name: k, keys: 20000, popularity: zipf, value-size: 200, ttl: 1m }]
sweep:
  redis.maxmemory-policy: [allkeys-lru, allkeys-lfu]
  redis.maxmemory: [2mb, 4mb]
`;

function scenarioFile(dir: string, text = SCENARIO): string {
  const f = join(dir, "tiny.yaml");
  writeFileSync(f, text);
  return f;
}

describe("sweep points", () => {
  it("the cartesian product, first key slowest, with stable directory names", () => {
    const ps = sweepPoints({ "redis.maxmemory-policy": ["allkeys-lru", "allkeys-lfu"], "redis.maxmemory": ["2mb", "4mb", "8mb"] });
    expect(ps.map((p) => p.dir)).toEqual([
      "0000-allkeys-lru-2mb",
      "0001-allkeys-lru-4mb",
      "0002-allkeys-lru-8mb",
      "0003-allkeys-lfu-2mb",
      "0004-allkeys-lfu-4mb",
      "0005-allkeys-lfu-8mb",
    ]);
    expect(ps[4].sets).toEqual(["redis.maxmemory-policy=allkeys-lfu", "redis.maxmemory=4mb"]);
  });
});

describe("sim sweep", () => {
  it("runs every point, resumes without redoing finished points, and shards merge to the same sweep.csv", async () => {
    const d = tmp();
    const f = scenarioFile(d);
    const out = join(d, "full");
    const first = await simSweep({ scenario: f, out, jobs: 2, quiet: true });
    expect([first.points, first.ran, first.resumed, first.failed]).toEqual([4, 4, 0, 0]);
    const csv = readFileSync(join(out, "sweep.csv"), "utf8");
    const rows = csv.trim().split("\n");
    expect(rows).toHaveLength(5);
    expect(rows[0].startsWith("point,dir,redis.maxmemory-policy,redis.maxmemory,scenario,seed,")).toBe(true);

    // an interrupted sweep: one point never finished (its directory is gone) and a half-written one
    // was left by a killed process; the finished points must not be run again
    const pts = join(out, "points");
    const kept = readdirSync(pts).filter((p) => p !== "0002-allkeys-lfu-2mb");
    const mtimes = kept.map((p) => statSync(join(pts, p, "summary.csv")).mtimeMs);
    rmSync(join(pts, "0002-allkeys-lfu-2mb"), { recursive: true });
    mkdirSync(join(pts, ".0002-allkeys-lfu-2mb.partial-99999"));
    writeFileSync(join(pts, ".0002-allkeys-lfu-2mb.partial-99999", "timeseries.csv"), "time_s\n1\n");
    const again = await simSweep({ scenario: f, out, jobs: 2, quiet: true });
    expect([again.ran, again.resumed]).toEqual([1, 3]);
    expect(kept.map((p) => statSync(join(pts, p, "summary.csv")).mtimeMs)).toEqual(mtimes);
    expect(readdirSync(pts).some((p) => p.includes(".partial-"))).toBe(false);
    expect(readFileSync(join(out, "sweep.csv"), "utf8")).toBe(csv);

    // the same sweep in two shards on "two machines", then merged
    const s1 = await simSweep({ scenario: f, out: join(d, "s1"), shard: "1/2", jobs: 1, quiet: true });
    const s2 = await simSweep({ scenario: f, out: join(d, "s2"), shard: "2/2", jobs: 1, quiet: true });
    expect([s1.points, s2.points]).toEqual([2, 2]);
    expect(readdirSync(join(d, "s1", "points")).sort()).toEqual(["0000-allkeys-lru-2mb", "0002-allkeys-lfu-2mb"]);
    const partial = await simMerge({ dirs: [join(d, "s1")], out: join(d, "m1") });
    expect(partial).toEqual({ points: 2, missing: 2 });
    const merged = await simMerge({ dirs: [join(d, "s1"), join(d, "s2")], out: join(d, "merged") });
    expect(merged).toEqual({ points: 4, missing: 0 });
    expect(readFileSync(join(d, "merged", "sweep.csv"), "utf8")).toBe(csv);
  });

  it("bad input: no sweep block, a bad shard, a point that is not a valid scenario, someone else's directory", async () => {
    const d = tmp();
    const plain = scenarioFile(d, SCENARIO.replace(/sweep:[\s\S]*$/, ""));
    await expect(simSweep({ scenario: plain, quiet: true })).rejects.toThrow(/has no sweep: block/);
    const f = scenarioFile(d);
    await expect(simSweep({ scenario: f, shard: "3/2", quiet: true })).rejects.toThrow(/--shard "3\/2": expected i\/n/);
    const bad = scenarioFile(d, SCENARIO.replace("[2mb, 4mb]", "[2mb, lots]"));
    await expect(simSweep({ scenario: bad, out: join(d, "x"), quiet: true })).rejects.toThrow(/redis\.maxmemory: "lots" is not a memory size/);
    const other = join(d, "other");
    mkdirSync(other);
    writeFileSync(join(other, "notes.txt"), "mine");
    await expect(simSweep({ scenario: f, out: other, quiet: true })).rejects.toBeInstanceOf(InputError);
    expect(existsSync(join(other, "points"))).toBe(false);
  });
});
