// The workload generator alone (no server): the ceiling of a generated case. node --import tsx bench/generator.ts
import { Streams } from "../src/core/random.ts";
import { Generator } from "../src/workload/generator.ts";
import { Request } from "../src/workload/request.ts";
import { planFor, CASES } from "./cases.ts";
const plan = planFor(CASES[0], 20_000_000);
const gen = new Generator(plan, new Streams(1), { defineKey: () => {} });
const req = new Request();
const t0 = performance.now(); let n = 0, x = 0;
while (gen.next(req)) { n++; x += req.key; }
const dt = (performance.now() - t0) / 1000;
console.log("generator only:", n, "in", dt.toFixed(2), "s =", (n / dt / 1e6).toFixed(1), "M/s", x > 0);
