import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import { Persistence } from "../src/redis/persistence.ts";
import { runPlan } from "../src/run.ts";
import { compile } from "../src/scenario/compile.ts";
import { parseScenario } from "../src/scenario/parse.ts";

/*
 * Copy-on-write fidelity (docs/cow-fidelity.md): what a real redis-server does in the situation of
 * scenarios/rdb-cow.yaml — a BGSAVE of N keys of V bytes while W random-key SETs a second arrive — and
 * what the model says for the same setup, with the model's save speed and fork cost calibrated to the
 * real server's (so that only copy-on-write is left to compare).
 *
 * Each measurement starts its own private redis-server (the Debian binary, its jemalloc, a free loopback
 * port, --save "" --appendonly no, a temp dir that is removed afterwards), loads the keys with pipelines,
 * runs a paced writer (W SETs/s of random keys among the N, values of V bytes), runs BGSAVE after a
 * warm-up, polls INFO persistence until the child is gone, and reads latest_fork_usec,
 * rdb_last_cow_size, rdb_last_bgsave_time_sec, current_cow_peak and the log's timestamps.
 *
 * Usage: npx tsx bench/cow-fidelity.ts [--keys 1000000] [--value 800] [--rates 1000,5000] [--reps 2]
 *          [--warmup 3] [--baseline] [--server /usr/bin/redis-server] ["--server-args=--rdbcompression no"]
 *   --rates  writes per second to measure (each --reps times, a fresh server each time)
 *   --baseline  also one run with no writes at all (the child's own COW)
 *   --server-args  more redis-server arguments, space-separated (give it as --server-args="…": its value starts with --)
 *   --reps 0 --baseline  only the no-writes run
 */

const { values: args } = parseArgs({
  options: {
    keys: { type: "string", default: "1000000" },
    value: { type: "string", default: "800" },
    rates: { type: "string", default: "1000,5000" },
    reps: { type: "string", default: "2" },
    warmup: { type: "string", default: "3" },
    baseline: { type: "boolean", default: false },
    server: { type: "string", default: "/usr/bin/redis-server" },
    "server-args": { type: "string", default: "" },
  },
});
const N = Number(args.keys);
const V = Number(args.value);
const RATES = args.rates!.split(",").map(Number);
const REPS = Number(args.reps);
const WARMUP_S = Number(args.warmup);
const SERVER = args.server!;
const SERVER_ARGS = args["server-args"]!.trim() === "" ? [] : args["server-args"]!.trim().split(/\s+/);
const PREFIX = "obj"; // the model's key names: <class name>:<index>
const PAGE = 4096;

const wall = () => performance.timeOrigin + performance.now(); // ms since the epoch, sub-ms resolution

// ------------------------------------------------------------------ the server

interface LogLine {
  pid: number;
  role: string;
  at: number; // the log's own timestamp, ms since the epoch (local time, as Redis writes it)
  got: number; // when this process read it
  text: string;
}

interface Server {
  port: number;
  pid: number;
  dir: string;
  log: LogLine[];
  stop(): Promise<void>;
}

const live = new Set<Server>();

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };
// "12345:C 27 Nov 2026 12:00:00.123 * DB saved on disk"
const LOG_RE = /^(\d+):([XCSM]) (\d+) (\w{3}) (\d{4}) (\d\d):(\d\d):(\d\d)\.(\d{3}) [.\-*#] (.*)$/;

async function startServer(): Promise<Server> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "evictsim-cow-"));
  const child: ChildProcess = spawn(
    SERVER,
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--dbfilename", "dump.rdb", "--daemonize", "no", "--logfile", "", ...SERVER_ARGS],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const log: LogLine[] = [];
  let raw = "";
  let partial = "";
  const onData = (d: Buffer) => {
    const got = wall();
    raw += d;
    const lines = (partial + d).split("\n");
    partial = lines.pop()!;
    for (const l of lines) {
      const m = LOG_RE.exec(l);
      if (!m) continue;
      const at = new Date(+m[5], MONTHS[m[4]], +m[3], +m[6], +m[7], +m[8], +m[9]).getTime();
      log.push({ pid: +m[1], role: m[2], at, got, text: m[10] });
    }
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const s: Server = {
    port,
    pid: child.pid!,
    dir,
    log,
    async stop() {
      live.delete(s);
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, "SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  live.add(s);
  const deadline = Date.now() + 10_000;
  while (!raw.includes("Ready to accept connections")) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await s.stop();
      throw new Error(`redis-server did not start on port ${port}:\n${raw}`);
    }
    await sleep(20);
  }
  return s;
}

async function stopAll() {
  for (const s of [...live]) await s.stop().catch(() => {});
}
process.on("SIGINT", () => void stopAll().then(() => process.exit(130)));
process.on("SIGTERM", () => void stopAll().then(() => process.exit(143)));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function info(text: string): Record<string, string> {
  const o: Record<string, string> = {};
  for (const line of text.split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0 && !line.startsWith("#")) o[line.slice(0, i)] = line.slice(i + 1);
  }
  return o;
}

function client(port: number): Redis {
  return new Redis({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
}

/** Sum of a field (kB) over /proc/PID/smaps_rollup, in bytes (undefined if unreadable). */
function smapsField(pid: number, field: string): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
    return m ? +m[1] * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function statusField(pid: number, field: string): string | undefined {
  try {
    return new RegExp(`^${field}:\\s*(.*)$`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1].trim();
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------------ one real measurement

/** Values of V printable random bytes (LZF finds nothing to compress in them, so the RDB holds them raw). */
const POOL = Array.from({ length: 64 }, () => randomBytes(V).toString("base64").slice(0, V));

interface Real {
  rate: number;
  rep: number;
  loadS: number;
  usedAfterLoad: number;
  rssAfterLoad: number;
  usedAtFork: number;
  rssAtFork: number;
  anonHugeAtFork?: number;
  thpEnabledStatus?: string;
  allocator: string;
  disableThp: string;
  thpLog: string[];
  forkUs: number;
  saveChildS: number; // fork return ("Background saving started") → child's "DB saved on disk"
  saveSeenS: number; // BGSAVE reply → first INFO with rdb_bgsave_in_progress:0
  bgsaveTimeSec: number;
  cow: number;
  cowPeak?: number; // current_cow_peak, the last value seen while the child ran
  cowLog?: string;
  writesDuringSave: number; // acks between fork return and "DB saved on disk"
  writesToSeen: number; // acks between BGSAVE reply and the poll that saw the child gone
  writesTotal: number;
  achievedRate: number;
  rdbBytes: number;
  logOffsetMs: number; // max (read time − log timestamp) of the save's lines: the log clock vs ours
}

async function measure(rate: number, rep: number): Promise<Real> {
  const srv = await startServer();
  try {
    const ctl = client(srv.port);
    await ctl.connect();
    const ver = info(await ctl.info("server"));
    const disableThp = ((await ctl.config("GET", "disable-thp")) as string[])[1] ?? "(no such config)";

    // ---- load N keys
    const loader = client(srv.port);
    await loader.connect();
    const t0 = wall();
    const BATCH = 1000;
    const INFLIGHT = 8;
    let next = 0;
    const worker = async () => {
      while (next < N) {
        const from = next;
        const to = Math.min(N, from + BATCH);
        next = to;
        const p = loader.pipeline();
        for (let i = from; i < to; i++) p.set(`${PREFIX}:${i}`, POOL[i & 63]);
        const res = await p.exec();
        for (const [err] of res ?? []) if (err) throw err;
      }
    };
    await Promise.all(Array.from({ length: INFLIGHT }, worker));
    const loadS = (wall() - t0) / 1000;
    loader.disconnect();
    await sleep(200);
    const dbsize = await ctl.dbsize();
    if (dbsize !== N) throw new Error(`loaded ${dbsize} keys, expected ${N}`);
    const memLoad = info(await ctl.info("memory"));

    // ---- the paced writer
    const w = client(srv.port);
    await w.connect();
    const acks: number[] = [];
    let sent = 0;
    let writing = rate > 0;
    let seed = (rep * 7919 + rate) >>> 0 || 1;
    const rnd = () => {
      seed ^= seed << 13;
      seed >>>= 0;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      seed >>>= 0;
      return seed;
    };
    const wStart = wall();
    const writer = (async () => {
      const pending: Promise<unknown>[] = [];
      while (writing) {
        const due = Math.floor(((wall() - wStart) / 1000) * rate);
        for (; sent < due; sent++) {
          const k = rnd() % N;
          pending.push(w.set(`${PREFIX}:${k}`, POOL[rnd() & 63]).then(() => void acks.push(wall())));
        }
        if (pending.length > 10_000) await Promise.all(pending.splice(0));
        await sleep(1);
      }
      await Promise.all(pending);
    })();

    await sleep(WARMUP_S * 1000);
    const memFork = info(await ctl.info("memory"));
    const anonHugeAtFork = smapsField(srv.pid, "AnonHugePages");
    const thpEnabledStatus = statusField(srv.pid, "THP_enabled");

    // ---- BGSAVE and wait for the child
    const logFrom = srv.log.length;
    const tBg = wall();
    const reply = await ctl.bgsave();
    const tBgReply = wall();
    if (!String(reply).includes("started")) throw new Error(`BGSAVE: ${reply}`);
    let cowPeak: number | undefined;
    let tSeen = 0;
    for (;;) {
      const p = info(await ctl.info("persistence"));
      if (p.rdb_bgsave_in_progress === "0") {
        tSeen = wall();
        break;
      }
      if (p.current_cow_peak !== undefined) cowPeak = +p.current_cow_peak;
      if (wall() - tBg > 600_000) throw new Error("BGSAVE still running after 10 min");
      await sleep(10);
    }
    writing = false;
    await writer;
    const wEnd = wall();
    w.disconnect();

    const pers = info(await ctl.info("persistence"));
    const stats = info(await ctl.info("stats"));
    if (pers.rdb_last_bgsave_status !== "ok") throw new Error(`BGSAVE failed: ${pers.rdb_last_bgsave_status}`);
    await sleep(100); // the child's last log lines
    const lines = srv.log.slice(logFrom);
    const started = lines.find((l) => l.text.startsWith("Background saving started"));
    const saved = lines.find((l) => l.text.startsWith("DB saved on disk"));
    const cowLine = lines.find((l) => l.text.startsWith("Fork CoW for RDB"));
    if (!started || !saved) throw new Error(`no save lines in the log:\n${lines.map((l) => l.text).join("\n")}`);
    const thpLog = srv.log.filter((l) => /huge ?page|THP/i.test(l.text)).map((l) => l.text);
    const logOffsetMs = Math.max(...lines.map((l) => l.got - l.at));
    const count = (a: number, b: number) => acks.filter((t) => t > a && t <= b).length;
    const rdbBytes = statSync(join(srv.dir, "dump.rdb")).size;
    await ctl.quit();
    const r: Real = {
      rate,
      rep,
      loadS,
      usedAfterLoad: +memLoad.used_memory,
      rssAfterLoad: +memLoad.used_memory_rss,
      usedAtFork: +memFork.used_memory,
      rssAtFork: +memFork.used_memory_rss,
      anonHugeAtFork,
      thpEnabledStatus,
      allocator: `${ver.redis_version} ${memLoad.mem_allocator}`,
      disableThp,
      thpLog,
      forkUs: +stats.latest_fork_usec,
      saveChildS: (saved.at - started.at) / 1000,
      saveSeenS: (tSeen - tBgReply) / 1000,
      bgsaveTimeSec: +pers.rdb_last_bgsave_time_sec,
      cow: +pers.rdb_last_cow_size,
      cowPeak,
      cowLog: cowLine?.text,
      writesDuringSave: count(started.at, saved.at),
      writesToSeen: count(tBgReply, tSeen),
      writesTotal: acks.length,
      achievedRate: acks.length / ((wEnd - wStart) / 1000),
      rdbBytes,
      logOffsetMs,
    };
    return r;
  } finally {
    await srv.stop();
  }
}

// ------------------------------------------------------------------ the model on the same setup

interface Model {
  used: number;
  forkUs: number;
  saveS: number;
  cow: number;
  writesDuringSave: number;
}

let lastChild: { writes: number; startUs: number; endUs: number } | undefined;
{
  // record, at the end of each child, the writes acknowledged since its fork (bench-only instrumentation)
  const proto = Persistence.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const endChild = proto.endChild;
  proto.endChild = function (this: Record<string, number>, ...a: unknown[]) {
    lastChild = { writes: this.writes - this.writesAtFork, startUs: this.childStart, endUs: this.childEnd };
    return endChild.apply(this, a);
  };
}

function model(r: Real, thp: boolean): Model {
  const forkMsPerGiB = r.forkUs / 1000 / (r.usedAtFork / 2 ** 30);
  const saveSpeed = Math.round(r.usedAtFork / r.saveChildS);
  const bgsaveAt = 5;
  const text = `
name: cow-fidelity
seed: ${r.rep + 1}
duration: ${Math.ceil(bgsaveAt + r.saveChildS + r.forkUs / 1e6 + 2)}s
workload:
  rate: ${r.rate}
  arrivals: constant
  mode: explicit
  ops: { set: 100% }
  classes:
    - { name: ${PREFIX}, keys: ${N}, value-size: ${V} }
events:
  - { at: 0s, action: prewarm, keys: 100% }
  - { at: ${bgsaveAt}s, action: bgsave }
redis:
  save: ""
  allocator: jemalloc-debian
  clients: 2
persistence:
  fork: ${forkMsPerGiB}
  transparent-huge-pages: ${thp ? "yes" : "no"}
  save-speed: ${saveSpeed}
  disk: { fsync: 1ms, write-speed: 1000000000000 }
`;
  lastChild = undefined;
  const run = runPlan(compile(parseScenario(text)), { name: "cow-fidelity" });
  const s = run.summary as unknown as Record<string, number>;
  if (!lastChild) throw new Error("the model's BGSAVE did not finish");
  const c = lastChild as { writes: number; startUs: number; endUs: number };
  return { used: s.used_memory, forkUs: s.latest_fork_usec, saveS: (c.endUs - c.startUs) / 1e6, cow: s.rdb_last_cow_size, writesDuringSave: c.writes };
}

// ------------------------------------------------------------------ main

const fmt = (x: number, d = 0) => x.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d }).replace(/,/g, " ");
const mb = (b: number) => fmt(b / 1e6, 1);

async function main() {
  const thpSys = readFileSync("/sys/kernel/mm/transparent_hugepage/enabled", "utf8").trim();
  const thpMode = /\[(\w+)\]/.exec(thpSys)?.[1] ?? "?";
  console.log(`# COW fidelity: ${N} keys of ${V} B, BGSAVE under ${RATES.join(" / ")} random SETs/s, ${REPS} runs each${args.baseline ? " (+ one with no writes)" : ""}`);
  console.log(`THP (/sys/kernel/mm/transparent_hugepage/enabled): ${thpSys}`);
  const plan: [number, number][] = [];
  if (args.baseline) plan.push([0, 1]);
  for (const rate of RATES) for (let rep = 1; rep <= REPS; rep++) plan.push([rate, rep]);
  const rows: { r: Real; m?: Model }[] = [];
  for (const [rate, rep] of plan) {
    const r = await measure(rate, rep);
    console.log(
      `\n## W=${rate} run ${rep}: ${r.allocator}; load ${r.loadS.toFixed(1)} s (${fmt(N / r.loadS)} keys/s); used_memory ${fmt(r.usedAfterLoad)}, rss ${fmt(r.rssAfterLoad)} (${(r.rssAfterLoad / r.usedAfterLoad).toFixed(3)}); at BGSAVE used ${fmt(r.usedAtFork)}, rss ${fmt(r.rssAtFork)}, AnonHugePages ${r.anonHugeAtFork === undefined ? "?" : fmt(r.anonHugeAtFork)}, THP_enabled ${r.thpEnabledStatus ?? "?"}; disable-thp ${r.disableThp}; THP log lines: ${r.thpLog.length ? r.thpLog.join(" | ") : "none"}`,
    );
    console.log(
      `   fork ${fmt(r.forkUs)} µs; child ${r.saveChildS.toFixed(3)} s (seen done after ${r.saveSeenS.toFixed(3)} s; rdb_last_bgsave_time_sec ${r.bgsaveTimeSec}); rdb_last_cow_size ${fmt(r.cow)}; current_cow_peak ${r.cowPeak === undefined ? "n/a" : fmt(r.cowPeak)}; log: ${r.cowLog ?? "no CoW line"}; writes during the save ${r.writesDuringSave} (to seen-done ${r.writesToSeen}, total ${r.writesTotal}, ${fmt(r.achievedRate)}/s); RDB ${fmt(r.rdbBytes)} B; log clock lag ≤ ${r.logOffsetMs.toFixed(1)} ms`,
    );
    const m = rate > 0 ? model(r, thpMode === "always" && r.thpEnabledStatus !== "0") : undefined;
    if (m) console.log(`   model: used_memory ${fmt(m.used)} (${(((m.used - r.usedAtFork) / r.usedAtFork) * 100).toFixed(2)} %), fork ${fmt(m.forkUs)} µs, save ${m.saveS.toFixed(3)} s, writes ${m.writesDuringSave}, rdb_last_cow_size ${fmt(m.cow)}`);
    rows.push({ r, m });
  }

  console.log(`\n## Real vs model (model: fork and save speed calibrated per run from the real one; ${PAGE / 1024} KiB pages)\n`);
  console.log("| W (SETs/s) | run | fork ms real / model | save s real / model | writes in save real / model | COW MB real / model | COW per write real / model (B) | = 4 KiB pages per write real / model |");
  console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const { r, m } of rows) {
    const pw = r.writesDuringSave > 0 ? r.cow / r.writesDuringSave : NaN;
    const mpw = m && m.writesDuringSave > 0 ? m.cow / m.writesDuringSave : NaN;
    console.log(
      `| ${fmt(r.rate)} | ${r.rep} | ${(r.forkUs / 1000).toFixed(2)} / ${m ? (m.forkUs / 1000).toFixed(2) : "–"} | ${r.saveChildS.toFixed(2)} / ${m ? m.saveS.toFixed(2) : "–"} | ${fmt(r.writesDuringSave)} / ${m ? fmt(m.writesDuringSave) : "–"} | ${mb(r.cow)} / ${m ? mb(m.cow) : "0"} | ${Number.isNaN(pw) ? "–" : fmt(pw)} / ${Number.isNaN(mpw) ? "–" : fmt(mpw)} | ${Number.isNaN(pw) ? "–" : (pw / PAGE).toFixed(2)} / ${Number.isNaN(mpw) ? "–" : (mpw / PAGE).toFixed(2)} |`,
    );
  }
  console.log("\nJSON:", JSON.stringify(rows));
}

try {
  await main();
} finally {
  await stopAll();
}
