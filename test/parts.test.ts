import { describe, expect, it } from "vitest";
import { summaryColumns, timeseriesColumns } from "../src/metrics/columns.ts";
import { runColumns, runSummaryColumns } from "../src/parts/registry.ts";
import { runPlan, type RunResult } from "../src/run.ts";
import { compile } from "../src/scenario/compile.ts";
import { parseScenario } from "../src/scenario/parse.ts";
import { readdirSync, readFileSync } from "node:fs";

/*
 * Issue 15, item 1: the runner is wiring of parts (src/parts/). These tests pin what the wiring
 * promises beyond the golden figures: the header its parts make is the CSV header, one server given as
 * `nodes` is the standalone run byte for byte, and several servers in one run each hold the keys routed
 * to them and each keep under their own maxmemory (what the cluster issue builds on).
 */

const SCENARIO = `
seed: 7
duration: 20s
redis: { maxmemory: 8mb, maxmemory-policy: allkeys-lru }
workload:
  rate: 5000
  classes:
    - { name: k, keys: 40000, popularity: { dist: zipf, alpha: 0.9 }, value-size: 512b, ttl: 30s }
`;

const plan = () => compile(parseScenario(SCENARIO));

/** Every key of a server's database 0 (Db.all holds key, position pairs). */
function keysOf(server: RunResult["server"]): number[] {
  const db = server.ks.dbs[0];
  const out: number[] = [];
  for (let i = 0; i < db.allN; i++) out.push(db.all[2 * i]);
  return out;
}

describe("the parts' wiring", () => {
  it("the registry's headers (runColumns, runSummaryColumns) are the tables', and the rows and summary fill them", () => {
    for (const file of readdirSync(new URL("../scenarios/", import.meta.url)).filter((f) => f.endsWith(".yaml"))) {
      const full = compile(parseScenario(readFileSync(new URL(`../scenarios/${file}`, import.meta.url), "utf8")));
      const p = { ...full, durationUs: Math.min(full.durationUs, 2e6), events: full.events.filter((e) => e.atUs < 2e6) };
      const app = p.app !== undefined, persistence = p.persistence !== undefined;
      expect(runColumns(p).map((c) => c.name), file).toEqual(timeseriesColumns(app, persistence).map((c) => c.name));
      expect(runSummaryColumns(p).map((c) => c.name), file).toEqual(summaryColumns(app, persistence).map((c) => c.name));
      if (p.workload.kind === "trace" || p.sampling < 1 || full.durationUs > 4 * 3600e6) continue; // a trace needs its reader; big runs stay in scenarios.test.ts
      const rows: number[][] = [];
      const run = runPlan({ ...p, sampling: 1 }, { onRow: (r) => rows.push(r) });
      expect(rows[0].length, file).toBe(runColumns(p).length);
      const names = new Set(runSummaryColumns(p).map((c) => c.name));
      expect(Object.keys(run.summary).filter((k) => !names.has(k)), file).toEqual([]);
    }
  });

  it("one server given as nodes is the standalone run, figure for figure", () => {
    const a = runPlan(plan());
    const p = plan();
    const rows: number[][] = [], rowsA: number[][] = [];
    runPlan(plan(), { onRow: (r) => rowsA.push(r) });
    const b = runPlan(p, { nodes: { configs: [p.redis], route: () => 0 }, onRow: (r) => rows.push(r) });
    expect(b.summary).toEqual(a.summary);
    expect(rows).toEqual(rowsA);
    expect(a.summary.evicted_keys).toBeGreaterThan(0);
  });

  it("two servers: each holds the keys routed to it, each under its own maxmemory; the summary is their sum", () => {
    const p = plan();
    const half = { ...p.redis, maxmemory: 4 * 1024 * 1024 };
    const route = (key: number) => key & 1;
    const run = runPlan(p, { nodes: { configs: [half, half], route } });
    expect(run.servers.length).toBe(2);
    const map = run.keys!;
    run.servers.forEach((server, i) => {
      const keys = keysOf(server);
      expect(keys.length).toBeGreaterThan(1000);
      // a server knows its keys by local ids (cluster/keymap.ts): each is a run-wide key routed to it
      const mine = new Set<number>();
      for (let k = 0; k < map.size; k++) if (map.node[k] === i) mine.add(map.local[k]);
      for (let k = 0; k < map.size; k++) expect(map.node[k]).toBe(route(k));
      expect(keys.every((k) => mine.has(k))).toBe(true);
      expect(server.used).toBeLessThanOrEqual(half.maxmemory);
      expect(server.stats.evicted_keys).toBeGreaterThan(0);
    });
    const s = run.summary;
    expect(s.keys).toBe(run.servers[0].ks.keys + run.servers[1].ks.keys);
    expect(s.used_memory).toBe(run.servers[0].used + run.servers[1].used);
    expect(s.evicted_keys).toBe(run.servers[0].stats.evicted_keys + run.servers[1].stats.evicted_keys);
    expect(s.maxmemory).toBe(2 * half.maxmemory);
    // the same run again: the same figures (each server draws from streams of its own)
    expect(runPlan(plan(), { nodes: { configs: [half, half], route } }).summary).toEqual(s);
  });
});
