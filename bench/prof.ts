import { runPlan } from "../src/run.ts";
import { CASES, planFor } from "./cases.ts";
const name = process.argv[2] ?? "allkeys-lru s5 10%";
const c = CASES.find((x) => x.name === name)!;
const plan = planFor(c, Number(process.argv[3] ?? 20_000_000));
const t0 = performance.now();
const r = runPlan(plan);
const dt = (performance.now() - t0) / 1000;
console.log(name, r.summary.requests, "requests", dt.toFixed(2), "s", (Number(r.summary.requests) / dt / 1e6).toFixed(2), "M req/s hit", r.summary.hit_ratio, "evicted", r.summary.evicted_keys);
