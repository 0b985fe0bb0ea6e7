import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { parseRedisUrl, redactUrl } from "../src/io/replay/connect.ts";
import { freePort, hasRedisServer, startRedis, type RunningRedis } from "./redis-server.ts";

/*
 * `sim replay` and `sim calibrate` drive a real server that may hold someone else's data. These tests
 * run the CLI as a child process (so exit codes, stderr and signals are the real ones) against a
 * private redis-server on a loopback port, and check that a server with keys is refused untouched, that
 * every CONFIG value changed is put back (at the end, and on Ctrl-C), that a lost server and a refused
 * connection or password are one line with exit 2, and that a password never reaches a file or message.
 */

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const base = mkdtempSync(join(tmpdir(), "evictsim-replay-safety-"));

/** Every CONFIG parameter `sim replay` sets (src/io/replay/replay.ts configFor). */
const PARAMS = ["maxmemory", "maxmemory-policy", "maxmemory-samples", "maxmemory-eviction-tenacity", "hz", "lfu-log-factor", "lfu-decay-time", "active-expire-effort"];
/** A server configured away from every value the scenarios below set, so a missing restore shows. */
const SERVER_CONF = [
  "--maxmemory", "7mb", "--maxmemory-policy", "allkeys-random", "--maxmemory-samples", "7", "--maxmemory-eviction-tenacity", "20",
  "--hz", "15", "--lfu-log-factor", "12", "--lfu-decay-time", "3", "--active-expire-effort", "3",
];

function scenario(name: string, duration: string): string {
  const file = join(base, `${name}.yaml`);
  writeFileSync(
    file,
    [
      "seed: 1",
      `duration: ${duration}`,
      "redis: { maxmemory: 2mb, maxmemory-policy: allkeys-lru }",
      "workload:",
      "  rate: 2000",
      "  classes:",
      "    - { name: obj, keys: 5000, popularity: { dist: zipf, alpha: 1.0 }, value-size: 100 }",
      "output: { interval: 1s }",
      "",
    ].join("\n"),
  );
  return file;
}
const SHORT = scenario("short", "2s");
const LONG = scenario("long", "20s");

interface Child {
  pid: number;
  done: Promise<{ code: number | null; stdout: string; stderr: string; endedAt: number }>;
}

/** `node bin/sim.js …` from the repository root. */
function sim(args: string[]): Child {
  const child = spawn(process.execPath, ["bin/sim.js", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "", stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string; endedAt: number }>((resolve) =>
    child.on("close", (code) => resolve({ code, stdout, stderr, endedAt: performance.now() })),
  );
  return { pid: child.pid!, done };
}

const lines = (s: string) => s.split("\n").filter((l) => l.trim() !== "");
/** stderr without warnings (a loaded machine may make a replay fall behind, which is only a warning). */
const errorLines = (s: string) => lines(s).filter((l) => !l.startsWith("sim: warning:"));

async function withClient<T>(url: string, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  r.on("error", () => {});
  await r.connect();
  try {
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

async function configOf(url: string): Promise<Record<string, string>> {
  return withClient(url, async (r) => {
    const out: Record<string, string> = {};
    for (const p of PARAMS) out[p] = ((await r.config("GET", p)) as string[])[1];
    return out;
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the replay has configured the server (maxmemory is the scenario's 2 MB). */
async function untilConfigured(url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if ((await configOf(url)).maxmemory === String(2 * 1024 * 1024)) return;
    await sleep(50);
  }
  throw new Error("the replay never configured the server");
}

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

const closedPort = freePort;

async function withRedis(extra: string[], fn: (redis: RunningRedis) => Promise<void>): Promise<void> {
  const redis = await startRedis(extra);
  try {
    await fn(redis);
  } finally {
    // a server a test killed may be gone before its 'exit' event reached stop(): ESRCH is "already ended"
    await redis.stop().catch((e: NodeJS.ErrnoException) => {
      if (e.code !== "ESRCH") throw e;
    });
  }
}

describe("--redis URLs and redaction (no server needed)", () => {
  it("redactUrl replaces the password, and only the password", () => {
    expect(redactUrl("redis://:s3cret@127.0.0.1:6379")).toBe("redis://:***@127.0.0.1:6379");
    expect(redactUrl("redis://app:s3cret@h:6379/2")).toBe("redis://app:***@h:6379/2");
    expect(redactUrl("redis://:p@ss@h")).toBe("redis://:***@h");
    expect(redactUrl("rediss://h:6380?password=s3cret")).toBe("rediss://h:6380?password=***");
    expect(redactUrl("redis://127.0.0.1:6379")).toBe("redis://127.0.0.1:6379");
    expect(parseRedisUrl("redis://:s3cret@h:7000")).toMatchObject({ shown: "redis://:***@h:7000", hostPort: "h:7000" });
  });

  it.each([
    ["notaurl", /--redis "notaurl": not a Redis URL/],
    ["redis://host:99999", /port 99999 is out of range/],
    ["http://127.0.0.1:6379", /the scheme is "http"/],
    ["redis://127.0.0.1:6379/3", /the databases are the scenario's/],
    ["redis://127.0.0.1:6379?password=s3cret&db=2", /no URL options/],
  ])("--redis %s: one line, exit 2, before anything else", async (url, message) => {
    const r = await sim(["replay", SHORT, "--redis", url, "--out", join(base, "never"), "--quiet"]).done;
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/Unhandled error event|internal error|\n {4}at /);
    expect(r.stderr).not.toContain("s3cret");
  });
});

describe.skipIf(!hasRedisServer)(`sim replay and sim calibrate leave a real server as they found it${hasRedisServer ? "" : " (skipped: no redis-server on the PATH)"}`, () => {
  it("(a) a server that holds keys is refused without --flush: exit 2, one line, no key, CONFIG or statistic touched", async () => {
    await withRedis(SERVER_CONF, async (redis) => {
      const before = await withClient(redis.url, async (r) => {
        for (let i = 0; i < 100; i++) await r.set(`user:${i}`, `value-${i}`);
        await r.select(2);
        for (let i = 0; i < 5; i++) await r.set(`other:${i}`, `db2-${i}`);
        return { data: await dump(r), info: await r.info("stats"), cmdstats: await r.info("commandstats") };
      });
      const config0 = await configOf(redis.url);
      const out = join(base, "a-out");

      const res = await sim(["replay", SHORT, "--redis", redis.url, "--out", out]).done;

      expect(res.code).toBe(2);
      expect(lines(res.stderr)).toHaveLength(1);
      expect(res.stderr).toMatch(/holds 105 keys in db0, db2/);
      expect(res.stderr).toMatch(/--flush would delete them/);
      expect(readdirSync(base).filter((f) => f.startsWith("a-out") || f.startsWith(".a-out"))).toEqual([]);
      await withClient(redis.url, async (r) => {
        expect(await dump(r)).toEqual(before.data);
        expect(await configOf(redis.url)).toEqual(config0);
        // no CONFIG RESETSTAT: the counters only grew
        const cmds = (info: string) => Number(/total_commands_processed:(\d+)/.exec(info)![1]);
        expect(cmds(await r.info("stats"))).toBeGreaterThan(cmds(before.info));
        // and no write or CONFIG SET reached the server (INFO commandstats counts calls per command)
        const calls = (stats: string, cmd: string) => Number(new RegExp(`cmdstat_${cmd.replace("|", "\\|")}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
        const now = await r.info("commandstats");
        for (const cmd of ["set", "del", "flushall", "flushdb", "config|set", "config|resetstat"]) expect([cmd, calls(now, cmd)]).toEqual([cmd, calls(before.cmdstats, cmd)]);
      });
    });
  });

  it("(b) with --flush: says what it deletes, replays, and puts every CONFIG value back", async () => {
    await withRedis(SERVER_CONF, async (redis) => {
      await withClient(redis.url, async (r) => {
        for (let i = 0; i < 1234; i++) await r.set(`user:${i}`, "x");
        await r.select(3);
        await r.set("other", "y");
      });
      const config0 = await configOf(redis.url);
      const out = join(base, "b-out");
      const res = await sim(["replay", SHORT, "--redis", redis.url, "--out", out, "--flush", "--allow-allocator-mismatch", "--quiet"]).done;
      expect(res.code).toBe(0);
      expect(res.stderr).toContain(`sim: --flush: deleting 1 235 keys in db0, db3 of 127.0.0.1:${redis.port}`);
      expect(readFileSync(join(out, "summary.csv"), "utf8")).toMatch(/allkeys-lru/);
      expect(await configOf(redis.url)).toEqual(config0);
    });
  }, 30_000);

  it("(c) Ctrl-C mid-replay: exit 130 within 1.5 s, no result directory, CONFIG put back", async () => {
    await withRedis(SERVER_CONF, async (redis) => {
      const config0 = await configOf(redis.url);
      const parent = mkdtempSync(join(base, "c-"));
      const child = sim(["replay", LONG, "--redis", redis.url, "--out", join(parent, "out"), "--flush", "--allow-allocator-mismatch", "--quiet"]);
      await untilConfigured(redis.url);
      await sleep(2000);
      const sentAt = performance.now();
      process.kill(child.pid, "SIGINT");
      const res = await child.done;
      expect(res.code).toBe(130);
      expect(res.endedAt - sentAt).toBeLessThan(1500);
      expect(res.stderr).toMatch(/interrupted; no result written/);
      expect(readdirSync(parent)).toEqual([]); // neither out/ nor .out.partial-*
      expect(await configOf(redis.url)).toEqual(config0);
    });
  }, 40_000);

  it("(d) a password works, never reaches a file or message; none or a wrong one is one line, exit 2", async () => {
    await withRedis([...SERVER_CONF, "--requirepass", "s3cret"], async (redis) => {
      const withPass = `redis://:s3cret@127.0.0.1:${redis.port}`;
      const out = join(base, "d-out");
      const ok = await sim(["replay", SHORT, "--redis", withPass, "--out", out, "--flush", "--allow-allocator-mismatch"]).done;
      expect(ok.code).toBe(0);
      expect(ok.stdout + ok.stderr).not.toContain("s3cret");
      const files = filesUnder(out);
      expect(files.map((f) => f.slice(out.length))).toContain("/replay.csv");
      for (const f of files) expect([f, readFileSync(f, "utf8").includes("s3cret")]).toEqual([f, false]);
      expect(readFileSync(join(out, "replay.csv"), "utf8")).toContain(`redis://:***@127.0.0.1:${redis.port}`);

      const none = await sim(["replay", SHORT, "--redis", redis.url, "--out", join(base, "d-none"), "--quiet"]).done;
      expect(none.code).toBe(2);
      expect(lines(none.stderr)).toHaveLength(1);
      expect(none.stderr).toMatch(/NOAUTH/);
      expect(none.stderr).toMatch(/needs a password/);
      expect(none.stderr).not.toMatch(/Unhandled error event|\n {4}at /);

      const wrong = await sim(["replay", SHORT, "--redis", `redis://:n0tit@127.0.0.1:${redis.port}`, "--out", join(base, "d-wrong"), "--quiet"]).done;
      expect(wrong.code).toBe(2);
      expect(lines(wrong.stderr)).toHaveLength(1);
      expect(wrong.stderr).toMatch(/wrong password \(WRONGPASS\)/);
      expect(wrong.stderr).not.toContain("n0tit");
      expect(wrong.stderr).not.toMatch(/Unhandled error event|\n {4}at /);
    });
  }, 30_000);

  it("(e) a closed port: one line, connection refused, exit 2", async () => {
    const port = await closedPort();
    const res = await sim(["replay", SHORT, "--redis", `redis://127.0.0.1:${port}`, "--out", join(base, "e-out"), "--quiet"]).done;
    expect(res.code).toBe(2);
    expect(lines(res.stderr)).toEqual([`sim: redis://127.0.0.1:${port}: connection refused (is redis-server running there?)`]);
  });

  it("(f) the server killed mid-replay: exit 2, one line saying so, no result", async () => {
    await withRedis(SERVER_CONF, async (redis) => {
      const parent = mkdtempSync(join(base, "f-"));
      const child = sim(["replay", LONG, "--redis", redis.url, "--out", join(parent, "out"), "--flush", "--allow-allocator-mismatch", "--quiet"]);
      await untilConfigured(redis.url);
      await sleep(1000);
      process.kill(redis.pid, "SIGKILL");
      const res = await child.done;
      expect(res.code).toBe(2);
      expect(errorLines(res.stderr)).toHaveLength(1);
      expect(res.stderr).toMatch(new RegExp(`sim: redis://127\\.0\\.0\\.1:${redis.port}: connection lost after \\d+\\.\\d s of the replay \\([^)]+\\); no result written`));
      expect(res.stderr).not.toMatch(/internal error|\n {4}at /);
      expect(readdirSync(parent)).toEqual([]);
    });
  }, 40_000);

  it("(g) sim calibrate --flush says what it deletes and puts maxmemory back", async () => {
    await withRedis(SERVER_CONF, async (redis) => {
      await withClient(redis.url, async (r) => {
        for (let i = 0; i < 10; i++) await r.set(`user:${i}`, "x");
      });
      const refused = await sim(["calibrate", "--redis", redis.url, "--keys", "1000", "--sizes", "10"]).done;
      expect(refused.code).toBe(2);
      expect(lines(refused.stderr)).toHaveLength(1);
      expect(await withClient(redis.url, (r) => r.dbsize())).toBe(10);

      const res = await sim(["calibrate", "--redis", redis.url, "--keys", "1000", "--sizes", "10", "--flush"]).done;
      expect(res.code).toBe(0);
      expect(res.stderr).toContain(`sim: --flush: deleting 10 keys in db0 of 127.0.0.1:${redis.port}`);
      expect((await configOf(redis.url)).maxmemory).toBe(String(7 * 1024 * 1024));
      expect(await withClient(redis.url, (r) => r.dbsize())).toBe(0); // the calibration keys are gone too
    });
  }, 30_000);
});

/** Every key and value in db0 and db2. */
async function dump(r: Redis): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {};
  for (const db of [0, 2]) {
    await r.select(db);
    for (const k of (await r.keys("*")).sort()) out[`${db}/${k}`] = await r.get(k);
  }
  await r.select(0);
  return out;
}
