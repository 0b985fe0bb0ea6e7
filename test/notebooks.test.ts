import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/*
 * The teaching notebooks (notebooks/*.html, Observable Notebook Kit) in headless Chromium: build them
 * (or reuse a build newer than every source), serve notebooks/dist/ on 127.0.0.1, open each notebook,
 * wait for its live simulations, change one input, and check that a chart (an SVG) changes, that no
 * cell shows an error, and that the page logs no console error and loads nothing that fails.
 *
 * Each simulation reports its wall-clock time (notebooks/evictsim.ts `timed`: console.info and
 * globalThis.evictsimTimings); the test prints them all at the end, marking those over the issue's
 * 1 s target. Wall-clock time depends on the machine and on what else runs: inside `npm test`, with the
 * other test files running in parallel, a simulation that takes 0.4 s alone can take 1.5 s. So by
 * default the test fails only on what the machine cannot explain: a simulation over 4 s, or one that
 * simulates more than 60 000 requests (the notebooks' sizes are fixed, so that check is exact). To
 * check the 1 s target itself, run this file alone with it as the limit:
 *   NOTEBOOK_SIM_LIMIT_MS=1000 npx vitest run test/notebooks.test.ts
 *
 * Needs Debian's Chromium at /usr/bin/chromium (apt-get install -y chromium); skipped without it.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const NOTEBOOKS = join(ROOT, "notebooks");
const DIST = join(NOTEBOOKS, "dist");
/** The issue's target for one live simulation at its default settings. */
const TARGET_MS = 1000;
/** What fails the test (see above). */
const LIMIT_MS = Number(process.env.NOTEBOOK_SIM_LIMIT_MS ?? 4000);
/** Requests one simulation may simulate ("tens of thousands"). */
const MAX_REQUESTS = 60_000;

interface Case {
  file: string;
  /** Labels of the simulations that run when the page opens. */
  initial: string[];
  /** The input to change (its label) and the new value. */
  input: string;
  value: string;
  kind: "range" | "select";
  /** The simulation that must run again after the change. */
  rerun: string;
}

const CASES: Case[] = [
  { file: "approximated-lru.html", initial: ["lru-test", "zipf-sweep"], input: "maxmemory-samples", value: "2", kind: "range", rerun: "lru-test" },
  { file: "lfu.html", initial: ["lfu-counter", "lfu-decay", "lfu-scan-lru", "lfu-scan-lfu"], input: "lfu-log-factor", value: "1", kind: "range", rerun: "lfu-scan-lfu" },
  { file: "late-night-pager.html", initial: ["pager", "pager-fixed"], input: "maxmemory-policy", value: "allkeys-lru", kind: "select", rerun: "pager" },
  { file: "stampede.html", initial: ["stampede"], input: "reads per second, per key", value: "2000", kind: "range", rerun: "stampede" },
  { file: "fork-cow.html", initial: ["cow-sweep", "cow-run"], input: "writes per second", value: "1600", kind: "range", rerun: "cow-run" },
];

interface Timing {
  label: string;
  ms: number;
  count: number;
  unit: string;
}

/** Newest modification time (ms) of the files under `dir` whose names pass `keep`. */
function newest(dir: string, keep: (f: string) => boolean): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== "node_modules" && e.name !== "dist" && e.name !== "lib") t = Math.max(t, newest(p, keep));
    } else if (keep(e.name)) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/** Builds the notebooks unless notebooks/dist/ is newer than the notebooks, the simulator and the scenarios. */
function buildIfStale(): string {
  const built = existsSync(join(DIST, "index.html")) ? statSync(join(DIST, "index.html")).mtimeMs : 0;
  const sources = Math.max(
    newest(NOTEBOOKS, (f) => /\.(html|ts)$/.test(f)),
    newest(join(ROOT, "src"), (f) => f.endsWith(".ts") && !f.endsWith(".test.ts")),
    newest(join(ROOT, "scenarios"), (f) => f.endsWith(".yaml")),
  );
  for (const c of CASES) if (!existsSync(join(DIST, c.file))) return build();
  return built > sources ? "reused the build in notebooks/dist/" : build();
}

function build(): string {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(NOTEBOOKS, "build.ts")], { cwd: ROOT, encoding: "utf8", timeout: 240_000 });
  if (r.status !== 0) throw new Error(`notebooks build failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout.trim();
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".woff2": "font/woff2",
  ".svg": "image/svg+xml",
  ".json": "application/json",
};

/** A static file server for notebooks/dist/ on 127.0.0.1 (an ephemeral port). */
function serve(): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://127.0.0.1").pathname);
    if (path === "/favicon.ico") {
      res.writeHead(204).end(); // the notebooks have no icon; don't let the browser log a 404
      return;
    }
    const file = normalize(join(DIST, path.endsWith("/") ? `${path}index.html` : path));
    if (!file.startsWith(DIST + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/** A short fingerprint of every chart on the page (their SVG markup). */
const chartsFingerprint = (page: Page) =>
  page.$$eval("main svg", (svgs) => {
    let h = 0;
    const s = svgs.map((e) => e.outerHTML).join("\n");
    for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
    return `${svgs.length}:${s.length}:${h}`;
  });

const timingsOf = (page: Page) => page.evaluate(() => ((globalThis as { evictsimTimings?: Timing[] }).evictsimTimings ?? []).slice());

if (!existsSync(CHROMIUM)) {
  const reason = `skipped: no Chromium at ${CHROMIUM} (install it: apt-get install -y chromium, or set CHROMIUM_PATH)`;
  console.warn(`test/notebooks.test.ts ${reason}`);
  describe("notebooks in headless Chromium", () => {
    it.skip(reason, () => {});
  });
} else {
  describe("notebooks in headless Chromium", () => {
    let browser: Browser;
    let server: Server;
    let base = "";
    const report: { notebook: string; simulation: string; when: string; ms: number; target: string; simulated: string }[] = [];

    beforeAll(async () => {
      console.info(`notebooks: ${buildIfStale()}`);
      server = await serve();
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      browser = await chromium.launch({ executablePath: CHROMIUM });
    }, 300_000);

    afterAll(async () => {
      await browser?.close();
      await new Promise((r) => (server ? server.close(r) : r(undefined)));
      if (report.length > 0) {
        console.info(`notebook simulation times in headless Chromium (target ${TARGET_MS} ms each, limit ${LIMIT_MS} ms):`);
        console.table(report);
      }
    });

    it("index.html links every lesson and loads cleanly", async () => {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`${base}/index.html`);
      await page.waitForSelector("main h1");
      const links = await page.$$eval("main a", (as) => as.map((a) => a.getAttribute("href")));
      for (const c of CASES) expect(links).toContain(`./${c.file}`);
      expect(errors).toEqual([]);
      await page.close();
    });

    for (const c of CASES) {
      it(`${c.file}: runs live, and a new ${c.input} reruns ${c.rerun} and redraws a chart`, async () => {
        const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
        const errors: string[] = [];
        page.on("console", (m) => m.type() === "error" && errors.push(`console.error: ${m.text()}`));
        page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
        page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()}`));
        page.on("response", (r) => r.status() >= 400 && errors.push(`HTTP ${r.status()}: ${r.url()}`));

        await page.goto(`${base}/${c.file}`);
        await page.waitForFunction(
          (labels) => labels.every((l) => ((globalThis as { evictsimTimings?: Timing[] }).evictsimTimings ?? []).some((t) => t.label === l)),
          c.initial,
          { timeout: 60_000 },
        );
        await page.waitForSelector("main svg");
        await page.waitForTimeout(200); // let the cells that draw from the results render
        const before = await chartsFingerprint(page);
        const initial = await timingsOf(page);

        const input = page.getByLabel(c.input, { exact: true });
        if (c.kind === "select") await input.selectOption(c.value);
        else await input.fill(c.value);

        await page.waitForFunction(
          ({ label, n }) => ((globalThis as { evictsimTimings?: Timing[] }).evictsimTimings ?? []).slice(n).some((t) => t.label === label),
          { label: c.rerun, n: initial.length },
          { timeout: 60_000 },
        );
        await expect.poll(() => chartsFingerprint(page), { timeout: 10_000 }).not.toBe(before);
        await page.waitForTimeout(200);

        const all = await timingsOf(page);
        for (const [i, t] of all.entries())
          report.push({
            notebook: c.file,
            simulation: t.label,
            when: i < initial.length ? "on load" : `after ${c.input} = ${c.value}`,
            ms: Math.round(t.ms),
            target: t.ms < TARGET_MS ? "ok" : "OVER",
            simulated: `${t.count} ${t.unit}`,
          });
        const cellErrors = await page.$$eval(".observablehq--error", (els) => els.map((e) => e.textContent ?? ""));
        expect(cellErrors, "cells showing an error").toEqual([]);
        expect(errors, "console errors, page errors and failed requests").toEqual([]);
        for (const t of all) {
          expect(t.ms, `${c.file} ${t.label}: simulation time (ms)`).toBeLessThan(LIMIT_MS);
          if (t.unit === "requests") expect(t.count, `${c.file} ${t.label}: requests simulated`).toBeLessThanOrEqual(MAX_REQUESTS);
        }
        await page.close();
      });
    }
  });
}
