import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse/sync";
import yargs from "yargs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSweepCharts, keyAxis, sweepMetricChart, type SweepTable } from "../src/charts/sweep-charts.ts";
import { compareCommand, compareTable, noiseVerdicts, runNames, simCompare } from "../src/cli/compare.ts";
import { simRun } from "../src/cli/run.ts";
import { simSweep } from "../src/cli/sweep.ts";
import { InputError } from "../src/errors.ts";
import { readSweep, renderSweepCharts, sweepChartsFor, withDocument } from "../src/io/render.ts";

/*
 * sim compare (runs overlaid, compare.csv) and the sweep charts (src/charts/sweep-charts.ts) on a small
 * fixed-seed sweep. The SVGs are compared with committed snapshots (numbers rounded to two decimals by the
 * charts' normalize); after an intended change to the charts or the model behind them run
 *   CHARTS_UPDATE=1 npx vitest run test/compare.test.ts
 * which rewrites test/snapshots/compare/*.svg and test/snapshots/sweep-charts/*.svg; look at them first.
 */

const UPDATE = Boolean(process.env.CHARTS_UPDATE);
const SNAPSHOTS = fileURLToPath(new URL("./snapshots/", import.meta.url));
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

// 5 s of a Zipf cache workload, half the keys with a TTL: small enough to run in a blink, big enough to evict
const RUN_SCENARIO = `name: cmp
seed: 9
duration: 5s
redis: { maxmemory: 1mb, maxmemory-policy: allkeys-lru }
workload:
  rate: 4000
  classes:
    - { name: ttl, keys: 10000, share: 1, popularity: { dist: zipf, alpha: 1.0 }, value-size: 200, ttl: 1m }
    - { name: sticky, keys: 10000, share: 1, popularity: { dist: zipf, alpha: 1.0 }, value-size: 200 }
output: { interval: 1s }
`;

// the same workload swept: 3 policies × 3 sizes (noeviction and volatile-lru reject writes at 1 MiB)
const SWEEP_SCENARIO = `name: tiny-sweep
seed: 11
duration: 5s
redis: { maxmemory: 2mb, maxmemory-policy: allkeys-lru }
workload:
  rate: 5000
  classes:
    - { name: ttl, keys: 10000, share: 1, popularity: { dist: zipf, alpha: 1.0 }, value-size: 200, ttl: 1m }
    - { name: sticky, keys: 10000, share: 1, popularity: { dist: zipf, alpha: 1.0 }, value-size: 200 }
output: { interval: 1s }
sweep:
  redis.maxmemory-policy: [noeviction, allkeys-lru, volatile-lru]
  redis.maxmemory: [1mb, 2mb, 4mb]
`;

let tmp: string;
let lru: string;
let lfu: string;
let sweepDir: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "evictsim-compare-"));
  writeFileSync(join(tmp, "run.yaml"), RUN_SCENARIO);
  lru = join(tmp, "lru");
  lfu = join(tmp, "lfu");
  await simRun({ scenario: join(tmp, "run.yaml"), out: lru, quiet: true });
  await simRun({ scenario: join(tmp, "run.yaml"), out: lfu, set: ["redis.maxmemory-policy=allkeys-lfu"], quiet: true });
  writeFileSync(join(tmp, "sweep.yaml"), SWEEP_SCENARIO);
  sweepDir = join(tmp, "sweep");
  await simSweep({ scenario: join(tmp, "sweep.yaml"), out: sweepDir, jobs: 2, quiet: true });
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function matchesSnapshot(folder: string, id: string, svg: string): void {
  const file = join(SNAPSHOTS, folder, `${id}.svg`);
  if (UPDATE) {
    mkdirSync(join(SNAPSHOTS, folder), { recursive: true });
    writeFileSync(file, svg);
    return;
  }
  expect(existsSync(file), `${file}: no snapshot; run CHARTS_UPDATE=1 npx vitest run test/compare.test.ts`).toBe(true);
  const want = readFileSync(file, "utf8");
  if (svg !== want) {
    mkdirSync(join(tmp, "changed", folder), { recursive: true });
    writeFileSync(join(tmp, "changed", folder, `${id}.svg`), svg);
  }
  expect(svg, `${folder}/${id}.svg differs from ${file} (new version kept in ${join(tmp, "changed")} until the run ends)`).toBe(want);
}

const records = (text: string) => parse(text, { columns: true }) as Record<string, string>[];

describe("sim compare <run> <run>", () => {
  const COMPARE_CHARTS = ["memory", "hit-ratio", "evictions"];

  it("writes compare.csv and charts/<id>.svg and .png into --out", async () => {
    const out = join(tmp, "cmp");
    const lines: string[] = [];
    const r = await simCompare({ runs: [lru, lfu], out }, (s) => lines.push(s));
    expect(r.names).toEqual(["lru", "lfu"]);
    expect(r.files).toEqual(["compare.csv", ...COMPARE_CHARTS.flatMap((id) => [`charts/${id}.svg`, `charts/${id}.png`])]);
    expect(readdirSync(out).sort()).toEqual([".evictsim", "charts", "compare.csv"]);
    expect(readdirSync(join(out, "charts")).sort()).toEqual(r.files.slice(1).map((f) => f.slice("charts/".length)).sort());
    expect(readdirSync(tmp).filter((f) => f.includes("partial"))).toEqual([]);
    for (const id of COMPARE_CHARTS) expect(readFileSync(join(out, "charts", `${id}.png`)).subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    // the terminal table: the figures side by side, and where the files went
    expect(lines.join("\n")).toMatch(/^metric\s+lru\s+lfu\nmaxmemory_policy\s+allkeys-lru\s+allkeys-lfu\n/);
    expect(lines[lines.length - 1]).toBe(`results: ${out}/ (compare.csv, charts/: memory, hit-ratio, evictions)`);
  });

  it("compare.csv: every summary figure, one row each, with its unit and each run's value side by side", async () => {
    const out = join(tmp, "cmp");
    const csv = readFileSync(join(out, "compare.csv"), "utf8");
    const a = records(readFileSync(join(lru, "summary.csv"), "utf8"))[0];
    const b = records(readFileSync(join(lfu, "summary.csv"), "utf8"))[0];
    const rows = records(csv);
    expect(csv.split("\n")[0]).toBe("metric,unit,lru,lfu");
    expect(rows.map((r) => r.metric)).toEqual(Object.keys(a));
    for (const r of rows) expect([r.lru, r.lfu]).toEqual([a[r.metric], b[r.metric]]);
    const byMetric = Object.fromEntries(rows.map((r) => [r.metric, r]));
    expect(byMetric.maxmemory_policy).toEqual({ metric: "maxmemory_policy", unit: "", lru: "allkeys-lru", lfu: "allkeys-lfu" });
    expect(byMetric.maxmemory.unit).toBe("bytes");
    expect(byMetric.hit_ratio.unit).toBe("ratio");
    expect(Number(byMetric.evicted_keys.lru)).toBeGreaterThan(0);
  });

  it("the charts overlay one line per run, labelled by the run directory's name, with titles and axis units", () => {
    const out = join(tmp, "cmp");
    const svg = (id: string) => readFileSync(join(out, "charts", `${id}.svg`), "utf8");
    for (const id of COMPARE_CHARTS) {
      const s = svg(id);
      expect(s.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="800" height="400"')).toBe(true);
      expect(s).toContain("time (s)");
      expect(s).toContain('aria-description="lru"');
      expect(s).toContain('aria-description="lfu"');
      expect(s).toContain('stroke="#4e79a7"'); // the first run's colour
      expect(s).toContain('stroke="#f28e2c"'); // the second's
      expect(s).not.toMatch(/\d\.\d{3}/);
      matchesSnapshot("compare", id, s);
    }
    expect(svg("memory")).toContain("memory (MiB)");
    expect(svg("memory")).toContain("maxmemory 1 MiB (every run)");
    expect(svg("hit-ratio")).toContain("hit ratio (%)");
    expect(svg("hit-ratio")).toMatch(/lru \(whole run \d+(\.\d)? %\)/);
    expect(svg("evictions")).toContain("evicted keys/s");
  });

  it("is deterministic: comparing again gives byte-identical files", async () => {
    const again = join(tmp, "cmp-again");
    await simCompare({ runs: [lru, lfu], out: again, png: false });
    for (const f of ["compare.csv", ...COMPARE_CHARTS.map((id) => `charts/${id}.svg`)])
      expect(readFileSync(join(again, f), "utf8"), f).toBe(readFileSync(join(tmp, "cmp", f), "utf8"));
    expect(readdirSync(join(again, "charts")).every((f) => f.endsWith(".svg"))).toBe(true);
  });

  it("--metric: one chart per named timeseries column instead of the default charts", async () => {
    const out = join(tmp, "cmp-metric");
    const r = await simCompare({ runs: [lru, lfu], out, metric: ["keys", "used_memory"], png: false });
    expect(r.files).toEqual(["compare.csv", "charts/metric-keys.svg", "charts/metric-used_memory.svg"]);
    expect(readFileSync(join(out, "charts", "metric-used_memory.svg"), "utf8")).toContain("used_memory (MiB)");
  });

  it("replaces an earlier comparison in the same --out, and through the yargs command", async () => {
    const out = join(tmp, "cmp-cli");
    for (let i = 0; i < 2; i++) {
      let code = -1;
      await yargs(["compare", lru, lfu, "--out", out, "--no-png", "--quiet"]).command(compareCommand((c) => (code = c))).strict().parseAsync();
      expect(code).toBe(0);
    }
    expect(readdirSync(join(out, "charts")).sort()).toEqual(["evictions.svg", "hit-ratio.svg", "memory.svg"]);
  });

  describe("errors: an InputError (exit code 2) with one clear line", () => {
    const fails = async (args: Parameters<typeof simCompare>[0], message: string | RegExp) => {
      const e = await simCompare(args).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).exitCode).toBe(2);
      expect((e as Error).message).not.toContain("\n");
      if (typeof message === "string") expect((e as Error).message).toBe(message);
      else expect((e as Error).message).toMatch(message);
    };

    it("fewer than two runs", async () => {
      await fails({ runs: [lru], out: join(tmp, "x") }, "compare: name at least two run directories (got 1)");
      await fails({ runs: [], out: join(tmp, "x") }, "compare: name at least two run directories (got 0)");
    });

    it("a missing run directory", async () => {
      const missing = join(tmp, "no-such-run");
      await fails({ runs: [lru, missing], out: join(tmp, "x") }, `${missing}: no such run directory`);
      expect(existsSync(join(tmp, "x"))).toBe(false);
    });

    it("the same run twice", async () => {
      await fails({ runs: [lru, join(lru, ".")], out: join(tmp, "x") }, /named twice/);
    });

    it("a sweep directory instead of a run", async () => {
      await fails({ runs: [lru, sweepDir], out: join(tmp, "x") }, /: a sweep directory, not a run; compare its points/);
    });

    it("a --metric that is not a timeseries column of every run", async () => {
      await fails({ runs: [lru, lfu], out: join(tmp, "x"), metric: ["latency_p99_ms"] }, /^--metric latency_p99_ms: not a column of .*lru\/timeseries\.csv \(it has requests, /);
    });

    it("an --out that holds something else", async () => {
      const other = join(tmp, "other");
      mkdirSync(other);
      writeFileSync(join(other, "notes.txt"), "mine");
      await fails({ runs: [lru, lfu], out: other }, `--out ${other}: exists and was not written by evictsim (no .evictsim marker in it); refusing to replace it (choose another --out, or remove it yourself)`);
      expect(readFileSync(join(other, "notes.txt"), "utf8")).toBe("mine");
    });
  });

  it("runNames: directory names, or the paths as given where two share a name", () => {
    expect(runNames(["results/a", "results/b/"])).toEqual(["a", "b"]);
    expect(runNames(["x/run", "y/run/", "z"])).toEqual(["x/run", "y/run", "z"]);
  });

  it("compareTable: the union of the runs' columns, empty where a run has no such figure", () => {
    const t = compareTable(["a", "b"], [
      { columns: ["scenario", "hit_ratio"], record: { scenario: "s", hit_ratio: "0.5" } },
      { columns: ["scenario", "hit_ratio", "latency_p99_ms"], record: { scenario: "s", hit_ratio: "0.6", latency_p99_ms: "1.5" } },
    ]);
    expect(t.header).toEqual(["metric", "unit", "a", "b"]);
    expect(t.rows).toEqual([
      ["scenario", "", "s", "s"],
      ["hit_ratio", "ratio", "0.5", "0.6"],
      ["latency_p99_ms", "ms", "", "1.5"],
    ]);
  });
});

describe("sweep charts (renderSweepCharts, buildSweepCharts) on a 3 policies × 3 sizes sweep", () => {
  const SWEEP_CHARTS = ["hit-ratio-vs-maxmemory", "evictions-oom"];

  it("renderSweepCharts(sweep dir) writes charts/<id>.svg and .png: the miss-ratio curves and the evictions/OOM bars", () => {
    const files = renderSweepCharts(sweepDir);
    expect(files).toEqual(SWEEP_CHARTS.flatMap((id) => [`charts/${id}.svg`, `charts/${id}.png`]));
    expect(readdirSync(join(sweepDir, "charts")).sort()).toEqual(files.map((f) => f.slice("charts/".length)).sort());
    for (const id of SWEEP_CHARTS) {
      const png = readFileSync(join(sweepDir, "charts", `${id}.png`));
      expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1600, 800]);
    }
  });

  for (const id of SWEEP_CHARTS)
    it(`charts/${id}.svg matches test/snapshots/sweep-charts/${id}.svg and is titled, labelled and legended`, () => {
      const svg = readFileSync(join(sweepDir, "charts", `${id}.svg`), "utf8");
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="800" height="400"')).toBe(true);
      expect(svg).toContain("maxmemory (MiB)");
      for (const p of ["noeviction", "allkeys-lru", "volatile-lru"]) expect(svg).toContain(`>${p}</text>`); // the legend
      expect(svg).toContain("tiny-sweep sweep · 9 points");
      expect(svg).not.toMatch(/\d\.\d{3}/);
      matchesSnapshot("sweep-charts", id, svg);
    });

  it("the miss-ratio chart: hit ratio in % against maxmemory on a log2 axis with a tick at each size", () => {
    const svg = readFileSync(join(sweepDir, "charts", "hit-ratio-vs-maxmemory.svg"), "utf8");
    expect(svg).toContain("Hit ratio against maxmemory, one line per policy (miss-ratio curve)");
    expect(svg).toContain("hit_ratio (%)");
    expect(svg).toContain("maxmemory (MiB), log scale");
    expect(svg).toMatch(/>1<\/text>[\s\S]*>2<\/text>[\s\S]*>4<\/text>/);
    // one line and one set of dots per policy
    expect(svg.match(/aria-label="line"/g)).toHaveLength(3);
  });

  it("the evictions/OOM chart: two panels, one bar per point in each", () => {
    const svg = readFileSync(join(sweepDir, "charts", "evictions-oom.svg"), "utf8");
    expect(svg).toContain("evicted keys");
    expect(svg).toContain("OOM-rejected writes");
    expect(svg.match(/aria-description="evicted_keys"/g)).toHaveLength(1);
    expect(svg.match(/aria-description="oom_rejected_writes"/g)).toHaveLength(1);
    expect(svg.match(/<rect x="[\d.]+" width="[\d.]+" y="[\d.]+" height="[\d.]+" fill="#/g)).toHaveLength(2 * 9); // a bar per point and panel
  });

  it("the same sweep.csv gives byte-identical charts", () => {
    const again = sweepChartsFor(readSweep(sweepDir));
    expect(again.map((c) => c.id)).toEqual(SWEEP_CHARTS);
    for (const c of again) expect(c.svg).toBe(readFileSync(join(sweepDir, "charts", `${c.id}.svg`), "utf8"));
  });

  it("sweepMetricChart(metric, key): any summary metric against any swept key, coloured by the other key", () => {
    const table = readSweep(sweepDir);
    const [bySize, byPolicy] = withDocument((d) => [
      sweepMetricChart(table, "used_memory_peak", "redis.maxmemory", d),
      sweepMetricChart(table, "evicted_keys", "redis.maxmemory-policy", d),
    ]);
    expect(bySize.id).toBe("used_memory_peak-by-redis-maxmemory");
    expect(bySize.title).toBe("used_memory_peak against redis.maxmemory, per redis.maxmemory-policy");
    expect(bySize.svg).toContain("used_memory_peak (MiB)");
    expect(byPolicy.id).toBe("evicted_keys-by-redis-maxmemory-policy");
    // a categorical key: bars grouped by policy, one per size, coloured by size
    for (const size of ["1mb", "2mb", "4mb"]) expect(byPolicy.svg).toContain(`>${size}</text>`);
    matchesSnapshot("sweep-charts", byPolicy.id, byPolicy.svg);
  });

  it("keyAxis: sizes in MiB, durations in s, plain numbers, else categorical", () => {
    const t = (values: string[]): SweepTable => ({ name: "t", keys: ["k"], rows: values.map((v) => ({ k: v })) });
    expect(keyAxis(t(["8mb", "1gb"]), "k")).toMatchObject({ numeric: true, label: "k (MiB)" });
    expect(keyAxis(t(["8mb", "1gb"]), "k").value({ k: "1gb" })).toBe(1024);
    expect(keyAxis(t(["30s", "1m"]), "k")).toMatchObject({ numeric: true, label: "k (s)" });
    expect(keyAxis(t(["5", "10"]), "k")).toMatchObject({ numeric: true, label: "k" });
    const bytes: SweepTable = { name: "t", keys: ["redis.maxmemory"], rows: [{ "redis.maxmemory": "8388608" }, { "redis.maxmemory": "16mb" }] };
    expect(keyAxis(bytes, "redis.maxmemory")).toMatchObject({ numeric: true, label: "maxmemory (MiB)" });
    expect(keyAxis(bytes, "redis.maxmemory").value(bytes.rows[0])).toBe(8);
    expect(keyAxis(t(["no", "everysec"]), "k").numeric).toBe(false);
    expect(keyAxis(t(["5", "5"]), "k").numeric).toBe(false); // one value: nothing to draw a line along
  });

  it("a sweep without maxmemory × policy gets the generic charts against its first numeric key", () => {
    const table: SweepTable = {
      name: "t",
      keys: ["redis.appendfsync", "workload.rate"],
      rows: ["always", "everysec"].flatMap((a, i) =>
        ["1000", "2000"].map((r, j) => ({ point: String(i * 2 + j), "redis.appendfsync": a, "workload.rate": r, hit_ratio: String(0.5 + i / 10 + j / 20), evicted_keys: "0", oom_rejected_writes: "0", latency_p99_ms: String(1 + i + j) })),
      ),
    };
    const charts = withDocument((d) => buildSweepCharts(table, d));
    expect(charts.map((c) => c.id)).toEqual(["hit_ratio-by-workload-rate", "evicted_keys-by-workload-rate", "oom_rejected_writes-by-workload-rate", "latency_p99_ms-by-workload-rate"]);
    expect(charts[3].svg).toContain("latency_p99_ms (ms)");
    expect(charts[0].svg).toContain(">everysec</text>");
  });

  it("a sweep directory without sweep.json: an InputError", () => {
    expect(() => renderSweepCharts(lru)).toThrow(InputError);
    expect(() => renderSweepCharts(lru)).toThrow(`${join(lru, "sweep.json")}: no such file (is this a sweep directory of sim sweep?)`);
  });
});

describe("sim compare: differences against noise (steady state)", () => {
  const rec = (hr: number, ci: number, state = "reached") => ({ steady_state: state, steady_hit_ratio: String(hr), steady_hit_ratio_ci95: String(ci) });
  it("says within noise when the difference is below the combined 95 % intervals, beyond noise otherwise", () => {
    expect(noiseVerdicts(["lru", "lfu", "lru2"], [rec(0.817243, 0.000321), rec(0.841178, 0.000949), rec(0.817066, 0.000496)])).toEqual([
      "lfu: hit ratio +2.4 pp: beyond noise (±0.10 pp)",
      "lru2: hit ratio −0.018 pp: within noise (±0.059 pp)",
    ]);
  });
  it("a run without a steady state cannot be compared on steady figures, and says so", () => {
    expect(noiseVerdicts(["a", "b"], [rec(0.8, 0.001), { steady_state: "not reached" }])).toEqual([
      "b: cannot tell: no steady state in b (whole-run figures include the cold start)",
    ]);
  });
});
