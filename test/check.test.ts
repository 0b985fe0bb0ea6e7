import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { simCheck, simCheckAsync } from "../src/cli/check.ts";

const sim = (args: string[]) => {
  const r = spawnSync(process.execPath, [join(process.cwd(), "bin/sim.js"), ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const file = (text: string) => {
  const f = join(mkdtempSync(join(tmpdir(), "evictsim-check-")), "x.yaml");
  writeFileSync(f, text);
  return f;
};
const ids = async (f: string, set: string[] = []) => (await simCheck({ scenario: f, set })).risks.map((r) => `${r.severity} ${r.id}`);

describe("sim check", () => {
  it("flags late-night-pager's noeviction + sessions without TTL with the simulated time writes fail (exit 1); the fixed variant passes (exit 0)", () => {
    const bad = sim(["check", "scenarios/late-night-pager.yaml"]);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/^HIGH {3}noeviction-full: noeviction: writes fail from 6 h 53 min \(simulated\): 72,817 writes rejected with -OOM in 8 h/m);
    const good = sim(["check", "scenarios/late-night-pager-fixed.yaml"]);
    expect(good.code).toBe(0);
    expect(good.out).toMatch(/^ok: no risk found$/m);
  });

  const base = (redis: string, extra = "") =>
    file(`duration: 60s
redis: { ${redis} }
workload:
  rate: 2000
  classes:
    - { name: c, keys: 50000, value-size: 500, popularity: zipf, ttl: { ttl: 10m, jitter: 10% } }
    - { name: s, keys: unbounded, mode: explicit, ops: { get: 1 }, new-keys: 50%, value-size: 500 }
${extra}`);

  it("each rule on a scenario made to break it", async () => {
    // volatile-lru where the growing keys have no TTL: behaves like noeviction
    expect(await ids(base("maxmemory: 10mb, maxmemory-policy: volatile-lru"))).toEqual(["high volatile-without-ttl", "medium eviction-rate"]);
    // no maxmemory while memory grows
    expect(await ids(base("maxmemory-policy: allkeys-lru"))).toEqual(["high maxmemory-unset"]);
    // maxmemory above the host's RAM
    expect(await ids(base("maxmemory: 2gb, maxmemory-policy: allkeys-lru", "host: { memory: 1gb }"))).toEqual(["high maxmemory-above-host"]);
    // noeviction that has not failed yet but grows toward its limit
    expect(await ids(base("maxmemory: 200mb, maxmemory-policy: noeviction"))).toEqual(["high noeviction-growth"]);
    // always-fsync on a hard disk
    expect(await ids(base("maxmemory: 200mb, maxmemory-policy: allkeys-lru, appendonly: yes, appendfsync: always", "persistence: { disk: hdd }"))).toEqual(["high appendfsync-always-slow-disk"]);
    // transparent huge pages with snapshots
    expect(await ids(base(`maxmemory: 200mb, maxmemory-policy: allkeys-lru, save: "30 100"`, "persistence: { transparent-huge-pages: yes }"))).toEqual(["high thp-with-fork"]);
    // a cache far too small: evicting hundreds of keys a second
    expect(await ids(base("maxmemory: 3mb, maxmemory-policy: allkeys-lru"))).toEqual(["medium eviction-rate"]);
  });

  it("a hot key with one fixed TTL and no protection is a stampede risk; jitter or xfetch clears it", async () => {
    const hot = (ttl: string, extra = "") =>
      file(`duration: 20s
redis: { maxmemory: 100mb, maxmemory-policy: allkeys-lru }
workload: { rate: 1000, classes: [{ name: hot, keys: 10, ttl: ${ttl}${extra} }] }
database: { query-time: 40ms }
`);
    expect(await ids(hot("30s"))).toEqual(["medium synchronized-ttl"]);
    expect(await ids(hot("{ ttl: 30s, jitter: 10% }"))).toEqual([]);
    expect(await ids(hot("30s", ", mitigation: xfetch"))).toEqual([]);
  });
});

describe("sim check --info (production's INFO instead of a scenario)", () => {
  it("maxmemory unset on a 1 GB dataset: flagged high with the host's RAM from total_system_memory", async () => {
    const info = join(mkdtempSync(join(tmpdir(), "evictsim-check-")), "info.txt");
    writeFileSync(
      info,
      ["# Server", "redis_version:7.0.15", "configured_hz:10", "uptime_in_seconds:86400", "# Clients", "connected_clients:5", "# Memory",
        "used_memory:1048576000", "maxmemory:0", "maxmemory_policy:noeviction", "total_system_memory:2147483648", "mem_allocator:jemalloc-5.3.0",
        "# Persistence", "aof_enabled:0", "# Stats", "instantaneous_ops_per_sec:10000", "keyspace_hits:900000", "keyspace_misses:100000",
        "# Keyspace", "db0:keys=1000000,expires=0,avg_ttl=0", ""].join("\r\n"),
    );
    const r = await simCheckAsync({ info, duration: "2m" });
    expect(r.risks.map((x) => `${x.severity} ${x.id}`)).toEqual(["high maxmemory-unset"]);
    expect(r.text).toMatch(/host RAM 2048 MB/);
    await expect(simCheckAsync({})).rejects.toThrow(/name a scenario .* or give --conf redis\.conf --info info\.txt/);
  });
});
