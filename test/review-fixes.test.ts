import { describe, expect, it } from "vitest";
import { makeServer } from "./helpers.ts";
import { runPlan } from "../src/run.ts";
import { compile } from "../src/scenario/compile.ts";
import { parseScenario } from "../src/scenario/parse.ts";
import { Generator } from "../src/workload/generator.ts";
import { Streams } from "../src/core/random.ts";
import { Request } from "../src/workload/request.ts";

/* Regressions for problems found in review: each test failed before its fix. */

const BASE = `duration: 5s
redis: { maxmemory: 1mb, maxmemory-policy: allkeys-lru }
workload:
  rate: 1000
  classes: [{ name: c, keys: 5000 }]
`;

describe("scenario validation refuses what would run wrong", () => {
  const bad: [string, string, RegExp][] = [
    ["no rate and no phases", BASE.replace("  rate: 1000\n", ""), /workload\.rate: missing/],
    ["an infinite rate", BASE.replace("rate: 1000", "rate: .inf"), /workload\.rate: .*finite/],
    ["an infinite share", BASE.replace("keys: 5000", "keys: 5000, share: .inf"), /share: .*finite/],
    ["a dist named like an Object method", BASE.replace("keys: 5000", "keys: 5000, popularity: { dist: hasOwnProperty }"), /"hasOwnProperty" is not one of uniform, zipf, hot-set/],
    ["a value over 512mb", BASE.replace("keys: 5000", "keys: 5000, value-size: 1gb"), /proto-max-bulk-len/],
    ["empirical weights summing to 0", BASE.replace("keys: 5000", "keys: 5000, value-size: { dist: empirical, values: [1, 2], weights: [0, 0] }"), /weights sum to 0/],
    ["too many keys", BASE.replace("keys: 5000", "keys: 3000000000"), /keys: 3000000000 must be at most 500000000/],
  ];
  for (const [what, text, re] of bad)
    it(`parseScenario(<${what}>) throws an InputError`, () => {
      expect(() => parseScenario(text, { file: "x.yaml" })).toThrow(re);
    });

  it("parseScenario(--set into a list by name) is an InputError naming the --set", () => {
    expect(() => parseScenario(BASE, { set: ["workload.classes.x.keys=3"] })).toThrow(/--set "workload\.classes\.x\.keys=3"/);
    expect(() => parseScenario(BASE, { set: ["redis.maxmemory=*a"] })).toThrow(/--set "redis\.maxmemory=\*a"/);
  });
});

describe("model details", () => {
  it("an OOM-rejected SET is not counted in total_commands_processed (it never reaches call())", () => {
    const { server } = makeServer({ maxmemory: 1024 * 1024, maxmemoryPolicy: "noeviction" }, 100_000, 10);
    let k = 0;
    while (server.set(k, 200, -1, 0) === 0) k++;
    expect(server.stats.oom_rejected_writes).toBe(1);
    expect(server.stats.total_commands_processed).toBe(k);
  });

  it("a write's TTL is a function of the key and time, the same under every policy", () => {
    const text = (p: string) => BASE.replace("allkeys-lru", p).replace("keys: 5000", "keys: 5000, ttl: { ttl: 10s, jitter: 50% }");
    const ttls = (p: string) => {
      const plan = compile(parseScenario(text(p)));
      const gen = new Generator(plan, new Streams(plan.seed), { defineKey: () => {} });
      const req = new Request();
      const out: number[] = [];
      for (let i = 0; i < 50 && gen.next(req); i++) {
        gen.fill(req);
        out.push(req.ttlMs);
      }
      return out;
    };
    const a = ttls("allkeys-lru");
    expect(ttls("volatile-ttl")).toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(40); // jittered, not constant
    expect(Math.min(...a)).toBeGreaterThanOrEqual(5000);
    expect(Math.max(...a)).toBeLessThanOrEqual(15000);
  });

  it("a fill uses the phase its request was made in", () => {
    const plan = compile(
      parseScenario(`duration: 2s
workload:
  rate: 1000
  classes: [{ name: c, keys: 100, value-size: 100, ttl: 10s }]
  phases:
    - { duration: 1s }
    - { duration: 1s, classes: { c: { value-size: 5000, ttl: 1h } } }
`),
    );
    const gen = new Generator(plan, new Streams(plan.seed), { defineKey: () => {} });
    const req = new Request();
    const seen: [number, number, number][] = [];
    while (gen.next(req)) seen.push([req.t, req.cls, req.index]);
    const late = seen.find(([t]) => t > 1_500_000)!;
    const r = new Request();
    [r.t, r.cls, r.index, r.phase] = [late[0], late[1], late[2], 1];
    gen.fill(r);
    expect([r.vlen, r.ttlMs]).toEqual([5000, 3_600_000]);
    r.phase = 0;
    gen.fill(r);
    expect([r.vlen, r.ttlMs]).toEqual([100, 10_000]);
  });

  it("sampling a write-heavy explicit workload never reports negative hits", () => {
    const sc = parseScenario(`seed: 2
duration: 10s
redis: { maxmemory: 2mb, maxmemory-policy: allkeys-lru }
workload:
  rate: 5000
  mode: explicit
  ops: { get: 0.3, set: 0.7 }
  sampling: 2%
  classes: [{ name: c, keys: 100000, popularity: { dist: zipf, alpha: 1.2 } }]
output: { interval: 1s }
`);
    const rows: number[][] = [];
    const s = runPlan(compile(sc), { onRow: (r) => rows.push(r) }).summary;
    for (const r of rows) {
      expect(r[3]).toBeGreaterThanOrEqual(0);
      if (!Number.isNaN(r[5])) expect(r[5]).toBeGreaterThanOrEqual(0);
    }
    expect(Number(s.hit_ratio)).toBeGreaterThan(0);
  });

  it("dynamic-hz raises hz for many clients (2010 clients at hz 10 → hz 20)", () => {
    expect(makeServer({ clients: 2009 }).server.hz).toBe(10);
    expect(makeServer({ clients: 2010 }).server.hz).toBe(20);
    expect(makeServer({ clients: 1_000_000 }).server.hz).toBe(500);
  });
});
