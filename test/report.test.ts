import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parse } from "csv-parse/sync";
import type { Browser } from "playwright-core";
import yargs from "yargs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fmtCount, fmtDuration } from "../src/charts/format.ts";
import { reportCommand, simReport } from "../src/cli/report.ts";
import { simRun } from "../src/cli/run.ts";
import { simSweep } from "../src/cli/sweep.ts";
import { InputError } from "../src/errors.ts";
import { SUMMARY_COLUMNS } from "../src/metrics/columns.ts";
import { buildReport, writeReport, type ReportOutcome } from "../src/io/report-files.ts";

/*
 * sim report: the HTML report of a run and of a sweep. The page itself is checked in a headless Chromium
 * (Debian's /usr/bin/chromium driven by playwright-core) opened from file:// with every other request
 * blocked: every chart there as inline SVG, the findings' sentences, no request to anything but the file,
 * no console error, no page error. Screenshots of both pages are kept in <tmp>/evictsim-report-screenshots/.
 * Without /usr/bin/chromium the browser tests are skipped (install it with: apt-get install -y chromium).
 */

const CHROMIUM = "/usr/bin/chromium";
const HAS_CHROMIUM = existsSync(CHROMIUM);
const BROWSER_NOTE = HAS_CHROMIUM ? "" : ` [skipped: ${CHROMIUM} not found; apt-get install -y chromium]`;
const SHOTS = join(tmpdir(), "evictsim-report-screenshots");

// A cache-aside app over a small noeviction Redis with AOF everysec: a BGSAVE at 1 s, a power loss at 2.5 s
// (writes lost, requests refused while it restarts), then memory fills and writes fail with OOM; one hot
// key with a 3 s TTL and a cold start make herds at the database.
const RUN_SCENARIO = `name: report-run
seed: 5
duration: 12s
redis: { maxmemory: 2mb, maxmemory-policy: noeviction, appendonly: yes, appendfsync: everysec }
workload:
  rate: 3000
  classes:
    - { name: hot, keys: 1, share: 1, value-size: 1kb, ttl: 3s }
    - { name: bulk, keys: 100000, share: 2, value-size: 100, popularity: uniform }
app: { instances: 2 }
database: { pool: 50, query-time: 20ms }
events:
  - { at: 1s, action: bgsave }
  - { at: 2500ms, action: crash, kind: power-loss, downtime: 1s }
persistence: { disk: ssd }
output: { interval: 1s }
`;

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

const RUN_CHARTS = ["memory", "hit-ratio", "evictions-expirations", "keys", "database", "latency", "persistence-memory", "persistence-latency"];
const SWEEP_CHARTS = ["hit-ratio-vs-maxmemory", "evictions-oom"];

let tmp: string;
let runDir: string;
let sweepDir: string;
let run: ReportOutcome;
let sweep: ReportOutcome;
let summary: Record<string, string>;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "evictsim-report-"));
  runDir = join(tmp, "run");
  sweepDir = join(tmp, "sweep");
  writeFileSync(join(tmp, "run.yaml"), RUN_SCENARIO);
  writeFileSync(join(tmp, "sweep.yaml"), SWEEP_SCENARIO);
  await simRun({ scenario: join(tmp, "run.yaml"), out: runDir, quiet: true });
  await simSweep({ scenario: join(tmp, "sweep.yaml"), out: sweepDir, jobs: 2, quiet: true });
  run = await simReport({ dir: runDir });
  sweep = await simReport({ dir: sweepDir, out: join(tmp, "reports", "sweep.html"), target: "70%" });
  summary = (parse(readFileSync(join(runDir, "summary.csv"), "utf8"), { columns: true }) as Record<string, string>[])[0];
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** The run's findings as they must read, with the figures taken from its summary.csv. */
function expectedRunFindings(): string[] {
  const n = (c: string) => Number(summary[c]);
  return [
    `writes failed from ${fmtDuration(n("first_oom_s"))} (OOM) under noeviction: ${fmtCount(n("oom_rejected_writes"))} writes rejected`,
    // a short run with an OOM and a crash reaches no steady state: the finding says so instead of a figure
    `no steady state: ${summary.steady_note}; the whole-run hit ratio ${+(n("hit_ratio") * 100).toFixed(1)} % is not a steady figure`,
    `used_memory peaked at 2 MiB, 100 % of maxmemory (2 MiB)`,
    `writes lost in the crash: ${fmtCount(n("writes_lost"))}`,
  ];
}

describe("sim report <run-dir>", () => {
  it("writes <run-dir>/report.html with every chart of the run", () => {
    expect(run.kind).toBe("run");
    expect(run.file).toBe(join(runDir, "report.html"));
    expect(existsSync(run.file)).toBe(true);
    expect(run.charts.map((c) => c.id)).toEqual(RUN_CHARTS);
  });

  it("the findings are computed from the data and say what happened, with figures", () => {
    const texts = run.findings.map((f) => f.text);
    for (const s of expectedRunFindings()) expect(texts).toContain(s);
    expect(Number(summary.oom_rejected_writes)).toBeGreaterThan(0);
    expect(Number(summary.writes_lost)).toBeGreaterThan(0);
    expect(texts.some((t) => /^the database saw a herd of \d+ queries for one key at .+ \(class hot, cold\)$/.test(t))).toBe(true);
    expect(texts.some((t) => /^BGSAVE copy-on-write peaked at [\d.]+ (KiB|MiB) \([\d.]+ (kB|MB)\)$/.test(t))).toBe(true);
    expect(texts.some((t) => /^[\d ]+ requests refused while the server was down or loading/.test(t))).toBe(true);
    expect(texts).toContain(`largest herd per class: hot ${fmtCount(Number(herdMax("hot")))}, bulk ${fmtCount(Number(herdMax("bulk")))}`);
    expect(run.findings.find((f) => f.text.startsWith("writes failed"))?.tone).toBe("bad");
  });

  it("is one self-contained page: inline CSS and SVG, no script, no external URL, no favicon request", () => {
    const html = readFileSync(run.file, "utf8");
    expect(html.startsWith("<!DOCTYPE html>\n<html lang=\"en\">")).toBe(true);
    expect(html).not.toMatch(/<script|<iframe|<img|<object|<embed|@import|url\(\s*["']?(https?:|\/\/)/i);
    expect(html).not.toMatch(/<link(?![^>]*href="data:,")/);
    // the only absolute URLs are XML namespaces
    expect([...html.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((m) => m[0]).filter((u) => u !== "http://www.w3.org/2000/svg")).toEqual([]);
    expect(html.match(/<figure class="chart"/g)).toHaveLength(RUN_CHARTS.length);
    // every chart's Plot ids are prefixed per chart, so no url(#…) can point into another chart
    const ids = [...html.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("has the summary table with every column's unit and meaning, the classes, the herds and the resolved scenario", () => {
    const html = readFileSync(run.file, "utf8");
    for (const id of ["findings", "charts", "summary", "classes", "herds", "scenario"]) expect(html).toContain(`<section id="${id}">`);
    for (const c of SUMMARY_COLUMNS) expect(html).toContain(`<tr><td>${c.name}</td>`);
    expect(html).toContain(`<td>hit_ratio</td><td class="num">${summary.hit_ratio} (`);
    expect(html).toContain("<td>keyspace_hits / (keyspace_hits + keyspace_misses)</td>");
    expect(html).toContain("name: report-run");
  });

  it("is deterministic: the same run gives the same bytes", () => {
    expect(buildReport(runDir).html).toBe(readFileSync(run.file, "utf8"));
  });
});

describe("sim report <sweep-dir>", () => {
  it("writes --out with the sweep charts, and findings per maxmemory and policy", () => {
    expect(sweep.kind).toBe("sweep");
    expect(sweep.file).toBe(join(tmp, "reports", "sweep.html"));
    expect(sweep.charts.map((c) => c.id)).toEqual(SWEEP_CHARTS);
    const texts = sweep.findings.map((f) => f.text);
    expect(texts.filter((t) => t.startsWith("best policy at ") || t.startsWith("at 4 MiB every policy"))).toHaveLength(3);
    expect(texts).toContain("at 4 MiB every policy has the same hit ratio, 74.4 % (no key evicted, no write rejected)");
    expect(texts).toContain("smallest maxmemory reaching a 70 % hit ratio: noeviction 2 MiB, allkeys-lru 2 MiB, volatile-lru 2 MiB");
    expect(texts.find((t) => t.startsWith("writes rejected with OOM under "))).toMatch(/^writes rejected with OOM under noeviction \(at 1, 2 MiB; up to [\d ]+\), volatile-lru \(at 1 MiB; up to [\d ]+\)$/);
  });

  it("has the sweep's keys, the points table and the base scenario", () => {
    const html = readFileSync(sweep.file, "utf8");
    for (const id of ["findings", "charts", "sweep", "points", "scenario"]) expect(html).toContain(`<section id="${id}">`);
    expect(html).toContain("<tr><td>redis.maxmemory-policy</td><td>noeviction, allkeys-lru, volatile-lru</td><td class=\"num\">3</td></tr>");
    expect(html.match(/<tr><td class="num">\d<\/td><td>(noeviction|allkeys-lru|volatile-lru)<\/td><td>\dmb<\/td>/g)).toHaveLength(9);
    expect(html).toContain("as resolved for point <code>0000-noeviction-1mb</code>");
  });

  it("with the default target (90 %), says that no policy reaches it", async () => {
    const r = buildReport(sweepDir);
    expect(r.findings.map((f) => f.text)).toContain("no policy reaches a 90 % hit ratio at any size swept; the highest is 74.4 % (every policy at 4 MiB)");
  });
});

describe("sim report: errors and the command", () => {
  it("a missing directory, or one that is neither a run nor a sweep: an InputError with one line", async () => {
    const missing = join(tmp, "nowhere");
    await expect(simReport({ dir: missing })).rejects.toThrow(InputError);
    await expect(simReport({ dir: missing })).rejects.toThrow(`${missing}: no such directory (expected a run directory of sim run or a sweep directory of sim sweep)`);
    const empty = join(tmp, "empty");
    mkdirSync(empty);
    await expect(simReport({ dir: empty })).rejects.toThrow(`${empty}: neither a run directory (summary.csv, timeseries.csv) nor a sweep directory (sweep.json)`);
    expect(existsSync(join(empty, "report.html"))).toBe(false);
  });

  it("a --target that is not a hit ratio", async () => {
    await expect(simReport({ dir: sweepDir, target: "150%" })).rejects.toThrow(`--target "150%": a hit ratio above 0 and at most 1, e.g. 0.9 or 90%`);
  });

  it("sim report <dir> --out <file> through yargs", async () => {
    let code = -1;
    const out = join(tmp, "cli.html");
    await yargs(["report", runDir, "--out", out, "--quiet"]).command(reportCommand((c) => (code = c))).strict().parseAsync();
    expect(code).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(readFileSync(run.file, "utf8"));
    expect(writeReport(runDir, { out }).file).toBe(out);
  });
});

function herdMax(cls: string): string {
  const rows = parse(readFileSync(join(runDir, "classes.csv"), "utf8"), { columns: true }) as Record<string, string>[];
  return rows.find((r) => r.class === cls)!.herd_max;
}

describe(`the report in a headless browser (Chromium, file://, network blocked)${BROWSER_NOTE}`, () => {
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!HAS_CHROMIUM) return;
    const { chromium } = await import("playwright-core");
    const root = typeof process.getuid === "function" && process.getuid() === 0;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: root ? ["--no-sandbox"] : [] });
    mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function open(file: string, shot: string) {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    const aborted: string[] = [];
    const requested: string[] = [];
    await context.route("**", (r) => {
      const url = r.request().url();
      requested.push(url);
      if (url.startsWith("file:")) return r.continue();
      aborted.push(url);
      return r.abort();
    });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    const pageErrors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(m.text());
    });
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
    const seen = await page.evaluate(() => ({
      charts: [...document.querySelectorAll("figure.chart > svg.chart-svg")].map((s) => ({
        id: (s.parentElement as HTMLElement).dataset.chart,
        width: s.getBoundingClientRect().width,
        height: s.getBoundingClientRect().height,
        title: s.querySelector("text")?.textContent ?? "",
      })),
      svgs: document.querySelectorAll("svg.chart-svg").length,
      findings: [...document.querySelectorAll("#findings li")].map((li) => (li as HTMLElement).innerText),
      sections: [...document.querySelectorAll("main h2")].map((h) => (h as HTMLElement).innerText),
      title: document.title,
    }));
    await page.screenshot({ path: join(SHOTS, shot), fullPage: true });
    await context.close();
    return { seen, aborted, requested, consoleErrors, pageErrors };
  }

  it.skipIf(!HAS_CHROMIUM)("the run's report: every chart rendered, the findings, no request blocked, no console or page error", async () => {
    const r = await open(run.file, "run-report.png");
    expect(r.aborted).toEqual([]);
    expect(r.requested).toEqual([pathToFileURL(run.file).href]);
    expect(r.consoleErrors).toEqual([]);
    expect(r.pageErrors).toEqual([]);
    expect(r.seen.svgs).toBe(RUN_CHARTS.length);
    expect(r.seen.charts.map((c) => c.id)).toEqual(RUN_CHARTS);
    for (const c of r.seen.charts) {
      expect(c.width, c.id).toBeGreaterThan(600); // drawn at (about) its 800 px
      expect(c.height, c.id).toBeGreaterThan(300);
    }
    expect(r.seen.charts.map((c) => c.title)).toEqual(run.charts.map((c) => c.title));
    for (const s of expectedRunFindings()) expect(r.seen.findings).toContain(s);
    expect(r.seen.sections).toEqual(["Key findings", "Charts", "Summary", "Key classes", "Herds", "Scenario"]);
    expect(r.seen.title).toBe("report-run: evictsim run report");
  });

  it.skipIf(!HAS_CHROMIUM)("the sweep's report: every chart rendered, the findings, no request blocked, no console or page error", async () => {
    const r = await open(sweep.file, "sweep-report.png");
    expect(r.aborted).toEqual([]);
    expect(r.consoleErrors).toEqual([]);
    expect(r.pageErrors).toEqual([]);
    expect(r.seen.charts.map((c) => c.id)).toEqual(SWEEP_CHARTS);
    for (const c of r.seen.charts) expect(c.width, c.id).toBeGreaterThan(600);
    expect(r.seen.findings).toContain("smallest maxmemory reaching a 70 % hit ratio: noeviction 2 MiB, allkeys-lru 2 MiB, volatile-lru 2 MiB");
    expect(r.seen.findings).toContain("at 4 MiB every policy has the same hit ratio, 74.4 % (no key evicted, no write rejected)");
    expect(r.seen.sections).toEqual(["Key findings", "Charts", "Sweep", "Points", "Scenario"]);
  });
});
