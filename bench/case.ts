import { resolve } from "node:path";
import { openTrace } from "../src/io/traces/index.ts";
import { Runner, runPlan, runPlanAsync } from "../src/run.ts";
import { CASES, planFor } from "./cases.ts";

/*
 * One benchmark case in its own process (so peak RSS and JIT state are its own): prints one JSON line.
 * argv: case name, maxmemory, [trace file].
 */
const [name, maxmemoryArg, traceArg] = process.argv.slice(2);
const traceFile = traceArg ? resolve(traceArg) : undefined;
const c = CASES.find((x) => x.name === name);
if (!c) throw new Error(`no bench case ${name}`);
const plan = planFor(c, Number(maxmemoryArg));
const out: Record<string, number | string> = { case: name };

if (c.trace && traceFile) {
  // parse speed alone: read every batch, simulate nothing
  const reader = openTrace({ path: traceFile, format: c.trace, mode: "cache-aside" }, "/");
  const t0 = performance.now();
  let n = 0;
  for await (const b of reader.batches({ defineKey: () => {} })) n += b.n;
  out.parse_records_per_s = Math.round(n / ((performance.now() - t0) / 1000));
  plan.workload = { ...plan.workload, kind: "trace", trace: { path: traceFile, format: c.trace, mode: "cache-aside" } as never };
  plan.durationUs = Infinity;
}

let server: Runner["server"] | null = null;
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const result =
  c.trace && traceFile
    ? await runPlanAsync(plan, openTrace({ path: traceFile, format: c.trace, mode: "cache-aside" }, "/"))
    : runPlan(plan);
const cpu = process.cpuUsage(cpu0);
const wall = (performance.now() - t0) / 1000;
server = result.server;
const s = result.summary;
const live = server.ks.keys;
out.requests = Number(s.requests);
out.wall_s = Math.round(wall * 1000) / 1000;
out.cpu_s = Math.round(((cpu.user + cpu.system) / 1e6) * 1000) / 1000;
out.requests_per_s = Math.round(Number(s.requests) / wall);
out.peak_rss_mb = Math.round(process.resourceUsage().maxRSS / 1024);
out.live_keys = live;
out.model_bytes_per_live_key = live > 0 ? Math.round((server.modelBytes() / live) * 10) / 10 : 0;
out.model_bytes_per_defined_key = Math.round((server.modelBytes() / server.ks.capacity) * 10) / 10;
out.hit_ratio = s.hit_ratio;
out.evicted_keys = Number(s.evicted_keys);
console.log(JSON.stringify(out));
