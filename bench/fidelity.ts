import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { writeFileSync } from "node:fs";
import { simReplay } from "../src/cli/replay.ts";
import { simRun } from "../src/cli/run.ts";
import { diffText } from "../src/compare/diff.ts";
import { diffRuns } from "../src/io/run-diff.ts";
import { Streams } from "../src/core/random.ts";
import { Sim } from "../src/core/sim.ts";
import { DEFAULT_REDIS_CONFIG } from "../src/redis/config.ts";
import { RedisServer } from "../src/redis/server.ts";
import { parse } from "yaml";
import { CASES, KEYS, scenarioText } from "./cases.ts";

/*
 * The bench's workloads against a real Redis (docs/fidelity.md): the same shape as each generated bench
 * case (Zipf 1.0 over 1 M keys of 100 B, maxmemory a fraction of the working set), but at 20 k
 * requests/s for 30 s so that it can be replayed in real time, with Debian's allocator classes.
 * Usage: node --import tsx bench/fidelity.ts redis://127.0.0.1:PORT   (the server is FLUSHALLed)
 */
const url = process.argv[2];
if (!url) throw new Error("usage: bench/fidelity.ts redis://127.0.0.1:PORT");

const sim = new Sim();
const s = new RedisServer({ ...DEFAULT_REDIS_CONFIG, allocator: "jemalloc-debian" }, sim, new Streams(1));
for (let k = 0; k < KEYS; k++) s.defineKey(k, 0, 2 + String(k).length);
s.set(0, 100, -1, 0);
const fixed = s.used - s.keyBytesOf(0) - s.ks.dbs[0].main.bytes;
for (let k = 1; k < KEYS; k++) s.set(k, 100, -1, 0);
sim.advanceTo(2_000_000);
const ws = s.used - fixed;

const dir = mkdtempSync(join(tmpdir(), "evictsim-bench-fidelity-"));
for (const c of CASES.filter((c) => !c.trace && !c.fill && !c.sampling && c.policy !== "exact-lru")) {
  const doc = parse(scenarioText(c, Math.round(fixed + c.fraction * ws)));
  doc.duration = "30s";
  doc.workload.rate = 20000;
  doc.redis.allocator = "jemalloc-debian";
  const file = join(dir, `${c.name.replace(/[^a-z0-9]+/gi, "-")}.yaml`);
  writeFileSync(file, stringify(doc));
  const a = join(dir, "sim"), b = join(dir, "real");
  await simRun({ scenario: file, out: a, quiet: true });
  await simReplay({ input: file, redis: url, out: b, flush: true, quiet: true });
  console.log(`\n## ${c.name} (30 s at 20 k req/s)\n${diffText(diffRuns(a, b), "simulated", "redis-server")}`);
}
