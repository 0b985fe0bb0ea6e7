import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import yargs from "yargs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunInfo } from "../src/charts/charts.ts";
import { fmtDuration } from "../src/charts/format.ts";
import { normalize } from "../src/charts/frame.ts";
import { decimate, timeUnit, type Row } from "../src/charts/series.ts";
import { chartsFor, readRun, renderRunCharts } from "../src/io/render.ts";
import { plotCommand, simPlot } from "../src/cli/plot.ts";
import { simRun } from "../src/cli/run.ts";
import { InputError } from "../src/errors.ts";

/*
 * The per-run charts, as files: a fixed-seed run rendered into a temporary directory, each SVG compared
 * with its committed snapshot (numbers rounded to two decimals by the renderer). When a change to the
 * charts (or to the model behind the figures) is intended, run
 *   CHARTS_UPDATE=1 npx vitest run test/charts.test.ts
 * which rewrites test/snapshots/charts/*.svg; look at the changed charts before committing them. A
 * mismatching chart is also written to <tmp>/changed/<id>.svg (the path is in the failure message).
 */

const UPDATE = Boolean(process.env.CHARTS_UPDATE);
const SNAPSHOTS = fileURLToPath(new URL("./snapshots/charts/", import.meta.url));
const scenarioFile = (name: string) => fileURLToPath(new URL(`../scenarios/${name}`, import.meta.url));

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const BASE_CHARTS = ["memory", "hit-ratio", "evictions-expirations", "keys"];

// A small cache-aside scenario with a database and a restart at 12 s: a miss storm, a queue, a latency spike.
const DB_SCENARIO = `name: charts-db
seed: 3
duration: 20s
workload:
  rate: 3000
  classes:
    - { name: page, keys: 20000, popularity: { dist: zipf, alpha: 1.0 }, value-size: 1kb, ttl: 5s }
events:
  - { at: 12s, action: restart, downtime: 1s, keys: 0% }
app: { instances: 2 }
database: { pool: 4, query-time: { dist: lognormal, p50: 2ms, p99: 10ms }, pool-timeout: 200ms }
redis: { maxmemory: 4mb, maxmemory-policy: allkeys-lru }
output: { interval: 1s }
`;

let tmp: string;
let cacheDir: string; // policy-comparison, volatile-lru, 8 MiB: evicts, then rejects writes with OOM
let dbDir: string;
let cacheFiles: string[];
let dbFiles: string[];

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "evictsim-charts-"));
  cacheDir = join(tmp, "cache");
  dbDir = join(tmp, "db");
  await simRun({
    scenario: scenarioFile("policy-comparison.yaml"),
    out: cacheDir,
    set: ["duration=20s", "output.interval=1s", "redis.maxmemory=8mb", "redis.maxmemory-policy=volatile-lru"],
    quiet: true,
  });
  writeFileSync(join(tmp, "db.yaml"), DB_SCENARIO);
  await simRun({ scenario: join(tmp, "db.yaml"), out: dbDir, quiet: true });
  cacheFiles = renderRunCharts(cacheDir);
  dbFiles = renderRunCharts(dbDir);
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function matchesSnapshot(id: string, svg: string): void {
  const file = join(SNAPSHOTS, `${id}.svg`);
  if (UPDATE) {
    mkdirSync(SNAPSHOTS, { recursive: true });
    writeFileSync(file, svg);
    return;
  }
  expect(existsSync(file), `${file}: no snapshot; run CHARTS_UPDATE=1 npx vitest run test/charts.test.ts`).toBe(true);
  const want = readFileSync(file, "utf8");
  if (svg !== want) {
    mkdirSync(join(tmp, "changed"), { recursive: true });
    writeFileSync(join(tmp, "changed", `${id}.svg`), svg);
  }
  expect(svg, `charts/${id}.svg differs from ${file} (new version kept in ${join(tmp, "changed")} until the run ends)`).toBe(want);
}

const svgOf = (dir: string, id: string) => readFileSync(join(dir, "charts", `${id}.svg`), "utf8");

describe("renderRunCharts(run dir) on a cache-only run", () => {
  it("writes charts/<id>.svg and .png for the four base charts, and no database, latency or persistence chart", () => {
    expect(cacheFiles).toEqual(BASE_CHARTS.flatMap((id) => [`charts/${id}.svg`, `charts/${id}.png`]));
    expect(readdirSync(join(cacheDir, "charts")).sort()).toEqual(cacheFiles.map((f) => f.slice("charts/".length)).sort());
    expect(readdirSync(cacheDir).filter((f) => f.includes("partial"))).toEqual([]);
  });

  for (const id of BASE_CHARTS) it(`charts/${id}.svg matches test/snapshots/charts/${id}.svg`, () => matchesSnapshot(id, svgOf(cacheDir, id)));

  it("the memory chart marks the eviction spans and the first OOM rejection", () => {
    const svg = svgOf(cacheDir, "memory");
    const { info } = readRun(cacheDir);
    expect(info.firstOomS).toBeGreaterThan(0);
    expect(svg).toContain(`first OOM at ${fmtDuration(info.firstOomS!)}`);
    expect(svg).toContain("evicting (evicted_per_sec &gt; 0)");
    expect(svg).toMatch(/<g aria-label="rect" fill="#f28e2c" fill-opacity="0.14">\n<rect /);
  });

  it("SVGs are standalone, titled, labelled with units, and have no number with more than two decimals", () => {
    for (const id of BASE_CHARTS) {
      const svg = svgOf(cacheDir, id);
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="800" height="400"')).toBe(true);
      expect(svg).toContain("time (s)");
      expect(svg).not.toMatch(/\d\.\d{3}/);
      expect(svg).not.toMatch(/plot-clip-[2-9]|Math\.random/);
    }
    expect(svgOf(cacheDir, "memory")).toContain("memory (MiB)");
    expect(svgOf(cacheDir, "hit-ratio")).toContain("hit ratio (%)");
    expect(svgOf(cacheDir, "evictions-expirations")).toContain("keys/s");
  });

  it("PNGs start with the PNG signature and are 1600×800 (twice the SVG)", () => {
    for (const id of BASE_CHARTS) {
      const png = readFileSync(join(cacheDir, "charts", `${id}.png`));
      expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1600, 800]); // IHDR width, height
    }
  });

  it("rendering the same CSVs again gives byte-identical SVGs", () => {
    const { rows, columns, info } = readRun(cacheDir);
    const again = chartsFor(rows, info, columns);
    expect(again.map((c) => c.id)).toEqual(BASE_CHARTS);
    for (const c of again) expect(c.svg).toBe(svgOf(cacheDir, c.id));
  });
});

describe("renderRunCharts(run dir) on a run with a database", () => {
  it("adds the database and latency charts", () => {
    const ids = [...BASE_CHARTS, "database", "latency"];
    expect(dbFiles).toEqual(ids.flatMap((id) => [`charts/${id}.svg`, `charts/${id}.png`]));
  });

  for (const id of ["database", "latency"])
    it(`charts/${id}.svg matches test/snapshots/charts/${id}.svg`, () => matchesSnapshot(id, svgOf(dbDir, id)));

  it("the database chart shows the connection limit; latency is on a log axis in ms", () => {
    expect(svgOf(dbDir, "database")).toContain("connections (8)");
    expect(svgOf(dbDir, "latency")).toContain("latency (ms, log scale)");
  });
});

describe("persistence charts (columns present only when the persistence model writes them)", () => {
  // 60 one-second rows: a BGSAVE from 20 s to 35 s with copy-on-write growing, and an fsync stall at 30 s
  const rows: Row[] = Array.from({ length: 60 }, (_, i) => {
    const t = i + 1;
    const saving = t > 20 && t <= 35;
    const used = (40 + t / 2) * 2 ** 20;
    const cow = saving ? (t - 20) * 2 ** 20 : 0;
    return {
      time_s: t, hit_ratio: 0.9, used_memory: used, maxmemory: 64 * 2 ** 20, keys: 1000 + t, expires: 500,
      evicted_per_sec: 0, expired_per_sec: 2, oom_rejected_writes: 0,
      rdb_bgsave_in_progress: saving ? 1 : 0, cow_bytes: cow, rss_bytes: used * 1.1 + cow,
      fsync_p99_ms: t === 30 ? 180 : 2, write_latency_p99_ms: t === 30 ? 210 : 0.5,
    };
  });
  const info: RunInfo = { scenario: "persistence-fixture", policy: "allkeys-lru", maxmemory: 64 * 2 ** 20, durationS: 60, hitRatio: 0.9 };

  it("buildCharts adds 'Fork, copy-on-write and RSS' and 'fsync and write latency' when their columns exist", () => {
    const charts = chartsFor(rows, info);
    expect(charts.map((c) => c.id)).toEqual([...BASE_CHARTS, "persistence-memory", "persistence-latency"]);
    expect(charts.map((c) => c.title).slice(-2)).toEqual(["Fork, copy-on-write and RSS", "fsync and write latency"]);
    const fork = charts[4].svg;
    for (const s of ["RSS", "copy-on-write", "BGSAVE in progress", "memory (MiB)"]) expect(fork).toContain(s);
    for (const c of charts.slice(-2)) matchesSnapshot(c.id, c.svg);
  });

  it("only the persistence chart whose columns exist is drawn", () => {
    const onlyFork = ["time_s", "used_memory", "maxmemory", "rss_bytes"];
    expect(chartsFor(rows, info, onlyFork).map((c) => c.id)).toEqual([...BASE_CHARTS, "persistence-memory"]);
    const onlyFsync = ["time_s", "used_memory", "fsync_p99_ms"];
    expect(chartsFor(rows, info, onlyFsync).map((c) => c.id)).toEqual([...BASE_CHARTS, "persistence-latency"]);
  });
});

describe("sim plot <run-dir>", () => {
  it("re-renders the charts of an existing run directory", async () => {
    rmSync(join(cacheDir, "charts"), { recursive: true, force: true });
    let code = -1;
    await yargs(["plot", cacheDir, "--quiet"]).command(plotCommand((c) => (code = c))).strict().parseAsync();
    expect(code).toBe(0);
    expect(readdirSync(join(cacheDir, "charts")).sort()).toEqual(cacheFiles.map((f) => f.slice("charts/".length)).sort());
    expect(await simPlot({ "run-dir": cacheDir, png: false })).toEqual(BASE_CHARTS.map((id) => `charts/${id}.svg`));
    expect(readdirSync(join(cacheDir, "charts")).every((f) => f.endsWith(".svg"))).toBe(true); // the old PNGs went with the old folder
  });

  it("on a missing directory: an InputError (exit code 2) naming the path", async () => {
    const missing = join(tmp, "no-such-run");
    await expect(simPlot({ "run-dir": missing })).rejects.toThrow(InputError);
    await expect(simPlot({ "run-dir": missing })).rejects.toThrow(`${missing}: no such run directory`);
    const e = await simPlot({ "run-dir": missing }).catch((x: unknown) => x);
    expect((e as InputError).exitCode).toBe(2);
  });

  it("on a directory without its CSVs: an InputError naming the missing file", async () => {
    const empty = join(tmp, "empty");
    mkdirSync(empty);
    await expect(simPlot({ "run-dir": empty })).rejects.toThrow(`${join(empty, "timeseries.csv")}: no such file`);
    writeFileSync(join(empty, "timeseries.csv"), readFileSync(join(cacheDir, "timeseries.csv")));
    await expect(simPlot({ "run-dir": empty })).rejects.toThrow(`${join(empty, "summary.csv")}: no such file`);
    expect(existsSync(join(empty, "charts"))).toBe(false);
  });
});

describe("helpers", () => {
  it("timeUnit(duration) picks s up to 5 min, min up to 5 h, h beyond", () => {
    expect([20, 300, 301, 18000, 28800].map((d) => timeUnit(d).label)).toEqual(["time (s)", "time (s)", "time (min)", "time (min)", "time (h)"]);
  });

  it("fmtDuration(s) reads like a person would say it", () => {
    expect([7.92028, 42.5, 300, 754, 24754.5].map(fmtDuration)).toEqual(["7.92 s", "42.5 s", "5 min", "12 min 34 s", "6 h 53 min"]);
  });

  it("normalize(svg) renumbers Plot's ids per chart and rounds numbers to two decimals", () => {
    const svg = `<clipPath id="plot-clip-17"/><g clip-path="url(#plot-clip-17)"/><g clip-path="url(#plot-clip-23)"/><path d="M1.23456,-0.0012L3.5,7.125"/>`;
    expect(normalize(svg)).toBe(`<clipPath id="plot-clip-1"/>\n<g clip-path="url(#plot-clip-1)"/>\n<g clip-path="url(#plot-clip-2)"/>\n<path d="M1.23,0L3.5,7.13"/>`);
  });

  it("decimate(points) keeps long series to ~2000 points (2 per bucket, +1 where a bucket has a gap) with their spikes and gaps", () => {
    const p = Array.from({ length: 100_000 }, (_, i) => ({ x: i, y: i === 54_321 ? 1e6 : i >= 70_000 && i < 70_010 ? NaN : i % 7 }));
    const d = decimate(p);
    expect(d.length).toBe(2001); // 1000 buckets × (min, max), one of them with a gap
    expect(d.some((q) => q.y === 1e6 && q.x === 54_321)).toBe(true);
    expect(d.some((q) => Number.isNaN(q.y))).toBe(true);
    expect(d.every((q, i) => i === 0 || q.x >= d[i - 1].x)).toBe(true);
  });
});
