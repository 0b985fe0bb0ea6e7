import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { stringify } from "csv-stringify/sync";
import { Streams } from "../src/core/random.ts";
import { Sim } from "../src/core/sim.ts";
import { DEFAULT_REDIS_CONFIG } from "../src/redis/config.ts";
import { RedisServer } from "../src/redis/server.ts";
import { Generator } from "../src/workload/generator.ts";
import { Request } from "../src/workload/request.ts";
import { CASES, KEYS, planFor, REQUESTS, type BenchCase } from "./cases.ts";

/*
 * `npm run bench`: the speed and memory benchmark of issue 4. Not a test: it prints figures, and writes
 * them to results/bench/bench.csv with the CPU model and Node version. Each case runs in its own process.
 * Options: --only <text> (cases whose name contains it), --no-fill (skip the 100 M-key fill),
 * --no-sweep (skip the 2-process sweep measurement).
 */

const args = process.argv.slice(2);
const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : "";
const noFill = args.includes("--no-fill");
const noSweep = args.includes("--no-sweep");
const OUT = "results/bench";
mkdirSync(join(OUT, "traces"), { recursive: true });

/** The working set: used_memory of all 1 M keys above the fixed baseline, measured by the model. */
function workingSet(): { fixed: number; bytes: number } {
  const sim = new Sim();
  const s = new RedisServer({ ...DEFAULT_REDIS_CONFIG }, sim, new Streams(1));
  for (let k = 0; k < KEYS; k++) s.defineKey(k, 0, 2 + String(k).length);
  s.set(0, 100, -1, 0);
  const fixed = s.used - s.keyBytesOf(0) - s.ks.dbs[0].main.bytes;
  for (let k = 1; k < KEYS; k++) s.set(k, 100, -1, 0);
  sim.advanceTo(2_000_000);
  return { fixed, bytes: s.used - fixed };
}

/** The allkeys-lru workload written once as our CSV and as libCacheSim oracleGeneral (24-byte records). */
function writeTraces(maxmemory: number): { csv: string; bin: string } {
  const csv = join(OUT, "traces", "bench-zipf.csv");
  const bin = join(OUT, "traces", "bench-zipf.oracleGeneral.bin");
  // written under temporary names and renamed when complete, so existing files are whole
  if (existsSync(csv) && existsSync(bin)) return { csv, bin };
  const plan = planFor(CASES[0], maxmemory);
  const gen = new Generator(plan, new Streams(plan.seed), { defineKey: () => {} });
  const req = new Request();
  const keys = new Int32Array(REQUESTS + 10);
  const times = new Float64Array(REQUESTS + 10);
  let n = 0;
  const fd = openSync(csv + ".tmp", "w");
  let buf: string[] = ["t_ms,op,key,value_size,ttl_s\n"];
  while (gen.next(req)) {
    keys[n] = req.key;
    times[n] = req.t;
    n++;
    buf.push(`${(req.t / 1000).toFixed(3)},GET,k:${req.key},100,0\n`);
    if (buf.length >= 65536) {
      writeSync(fd, buf.join(""));
      buf = [];
    }
  }
  writeSync(fd, buf.join(""));
  closeSync(fd);
  const next = new Float64Array(n);
  const last = new Float64Array(KEYS).fill(-1);
  for (let i = n - 1; i >= 0; i--) {
    next[i] = last[keys[i]];
    last[keys[i]] = i + 1; // 1-based, as libCacheSim writes it
  }
  const rec = Buffer.alloc(n * 24);
  for (let i = 0; i < n; i++) {
    rec.writeUInt32LE(Math.floor(times[i] / 1e6), i * 24);
    rec.writeBigUInt64LE(BigInt(keys[i]), i * 24 + 4);
    rec.writeUInt32LE(100, i * 24 + 12);
    rec.writeBigInt64LE(BigInt(next[i]), i * 24 + 16);
  }
  writeFileSync(bin + ".tmp", rec);
  renameSync(csv + ".tmp", csv);
  renameSync(bin + ".tmp", bin);
  return { csv, bin };
}

function runCase(c: BenchCase, maxmemory: number, trace?: string): Promise<Record<string, number | string>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--max-old-space-size=16384", "--import", "tsx", "bench/case.ts", c.name, String(maxmemory), ...(trace ? [trace] : [])], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop()!)) : reject(new Error(`${c.name}: exit ${code}`))));
  });
}

const { fixed, bytes: ws } = workingSet();
const mm = (f: number) => Math.round(fixed + f * ws);
console.log(`working set of ${KEYS.toLocaleString("en")} keys × 100 B: ${(ws / 2 ** 20).toFixed(1)} MB (+ ${fixed} B baseline); ${REQUESTS.toLocaleString("en")} requests per case`);
const traces = CASES.some((c) => c.trace && c.name.includes(only)) ? writeTraces(mm(0.1)) : null;

const rows: Record<string, number | string>[] = [];
for (const c of CASES) {
  if (!c.name.includes(only)) continue;
  if (c.fill && noFill) continue;
  const trace = c.trace === "csv" ? traces!.csv : c.trace === "oracle-general" ? traces!.bin : undefined;
  const r = await runCase(c, mm(c.fraction), trace);
  r.maxmemory = c.fill ? 0 : mm(c.fraction);
  rows.push(r);
  console.log(
    `${String(r.case).padEnd(36)} ${(Number(r.requests_per_s) / 1e6).toFixed(2).padStart(6)} M req/s  ${String(r.wall_s).padStart(7)} s  RSS ${String(r.peak_rss_mb).padStart(5)} MB  ` +
      `${String(r.model_bytes_per_live_key).padStart(6)} B/live key  ${String(r.model_bytes_per_defined_key).padStart(5)} B/defined key` +
      (r.parse_records_per_s ? `  parse ${(Number(r.parse_records_per_s) / 1e6).toFixed(2)} M rec/s` : "") +
      (r.hit_ratio !== "" ? `  hit ${r.hit_ratio}` : ""),
  );
}

let sweep = "";
if (!noSweep && !only) {
  // a sweep's throughput on 2 cores: two points at once against one alone
  const c = CASES[0];
  const t1 = performance.now();
  await runCase(c, mm(c.fraction));
  const one = (performance.now() - t1) / 1000;
  const t2 = performance.now();
  await Promise.all([runCase(c, mm(c.fraction)), runCase(c, mm(c.fraction))]);
  const two = (performance.now() - t2) / 1000;
  const speedup = (2 * one) / two;
  sweep = `2 points in parallel: ${two.toFixed(2)} s vs ${one.toFixed(2)} s for one: throughput ×${speedup.toFixed(2)} on ${cpus().length} cores`;
  console.log(sweep);
  rows.push({ case: "sweep: 2 parallel points / 1", wall_s: Math.round(two * 1000) / 1000, speedup: Math.round(speedup * 100) / 100 });
}

const cpu = cpus()[0]?.model ?? "?";
const header = ["case", "requests", "wall_s", "cpu_s", "requests_per_s", "parse_records_per_s", "peak_rss_mb", "live_keys", "model_bytes_per_live_key", "model_bytes_per_defined_key", "maxmemory", "hit_ratio", "evicted_keys", "speedup", "cpu_model", "node_version", "date"];
const date = new Date().toISOString();
writeFileSync(join(OUT, "bench.csv"), stringify([header, ...rows.map((r) => header.map((h) => (h === "cpu_model" ? cpu : h === "node_version" ? process.version : h === "date" ? date : (r[h] ?? ""))))]));
console.log(`\n${cpu}, ${cpus().length} cores, Node ${process.version}; table written to ${join(OUT, "bench.csv")}`);
