import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { browserInputs } from "../notebooks/build.ts";
import { simRun } from "../src/cli/run.ts";
import { csv } from "../src/io/output.ts";
import { HERD_COLUMNS, runScenario, summaryColumns, unsupportedNode, VERSION } from "../src/index.ts";

/*
 * src/index.ts, the public API (issue 15 item 4), and src/api.ts, the same without the charts (what the
 * CLI imports): browser-safe (bundled for the browser, they reach no Node built-in and nothing under
 * src/cli/ or src/io/), and runScenario gives what `sim run` writes.
 */

const tmp = mkdtempSync(join(tmpdir(), "evictsim-index-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("src/index.ts", () => {
  it("bundles for the browser: no Node built-in, nothing from src/cli/ or src/io/", async () => {
    const inputs = await browserInputs("src/index.ts");
    const ours = inputs.filter((f) => !f.includes("node_modules"));
    expect(ours).toContain("src/index.ts");
    expect(ours).toContain("src/charts/charts.ts");
    expect(ours.filter((f) => /^src\/(cli|io)\//.test(f) || f.startsWith("node:"))).toEqual([]);
  }, 60_000);

  it("src/api.ts (what the CLI imports) is the same without the charts: no Plot to load", async () => {
    const inputs = await browserInputs("src/api.ts");
    expect(inputs.filter((f) => /^src\/(cli|io|charts)\//.test(f) || f.startsWith("node:") || f.includes("@observablehq"))).toEqual([]);
  }, 60_000);

  it("says the version package.json says, and which Node runs the CLI", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string; engines: { node: string } };
    expect(VERSION).toBe(pkg.version);
    expect(pkg.engines.node).toBe(">=20");
    expect(unsupportedNode(process.versions.node)).toBeNull();
    expect(unsupportedNode("18.19.0")).toBe(`evictsim ${VERSION} needs Node.js 20 or later; this is Node.js 18.19.0`);
  });

  it("runScenario gives sim run's summary.csv, timeseries.csv, herds.csv and classes.csv", async () => {
    const set = ["duration=40s"];
    const file = join(import.meta.dirname, "..", "scenarios", "stampede.yaml");
    const out = join(tmp, "stampede");
    await simRun({ scenario: file, set, out, quiet: true, charts: false });
    const run = runScenario(readFileSync(file, "utf8"), { set, name: "stampede" });
    const cols = summaryColumns(true, run.plan.persistence !== undefined).map((c) => c.name);
    const read = (f: string) => readFileSync(join(out, f), "utf8");
    expect(csv(cols, [cols.map((c) => (run.summary as Record<string, string | number>)[c] ?? "")])).toBe(read("summary.csv"));
    expect(csv(run.columns, run.rows.map((r) => run.columns.map((c) => r[c])))).toBe(read("timeseries.csv"));
    const herdCols = HERD_COLUMNS.map((c) => c.name);
    expect(run.herds.length).toBeGreaterThan(0);
    expect(csv(herdCols, run.herds.map((h) => herdCols.map((c) => h[c as keyof typeof h])))).toBe(read("herds.csv"));
    const classCols = Object.keys(run.classes[0]);
    expect(csv(classCols, run.classes.map((r) => classCols.map((c) => r[c])))).toBe(read("classes.csv"));
    expect(run.requests).toBe(Number(run.summary.requests));
  }, 120_000);
});
