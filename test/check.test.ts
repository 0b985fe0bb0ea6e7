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
    // volatile-lru where the growing keys have no TTL: behaves like noeviction, and the keys without a TTL
    // push the cached ones out (its steady eviction rate, 210 ± 187 keys/s for 2000 requests/s, is no risk)
    expect(await ids(base("maxmemory: 10mb, maxmemory-policy: volatile-lru"))).toEqual(["high volatile-without-ttl", "medium hit-ratio-drop"]);
    // volatile-lru with room left: the keys without a TTL (memory that is not cache) grow and will push the
    // others out; the time writes fail is predicted (2 min 19 s; a 5 min run fails from 2 min 21 s)
    expect(await ids(base("maxmemory: 40mb, maxmemory-policy: volatile-lru"))).toEqual(["high volatile-growth"]);
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
    // a cache far too small: evicting hundreds of keys a second, one for every two requests, in the steady state
    expect(await ids(base("maxmemory: 3mb, maxmemory-policy: allkeys-lru"))).toEqual(["medium eviction-rate"]);
    const small = await simCheck({ scenario: base("maxmemory: 3mb, maxmemory-policy: allkeys-lru") });
    expect(small.text).toMatch(/eviction-rate: evicting \d+ ± [\d.]+ keys\/s in the steady state after the 25 s warm-up \(95 % CI\)/);
  });

  it("an allkeys-lru cache at maxmemory with a modest steady eviction rate is a cache doing its job: no memory alert", async () => {
    // 5000 requests/s over 50 000 Zipf keys in 16 MB: at maxmemory, 420 ± 6 evictions/s (one for every 12
    // requests), steady hit ratio 91 %. (The old rule flagged any whole-run average above 100 evictions/s.)
    const f = file(`duration: 60s
redis: { maxmemory: 16mb, maxmemory-policy: allkeys-lru }
workload:
  rate: 5000
  classes:
    - { name: page, keys: 50000, value-size: 500, popularity: zipf, ttl: { ttl: 10m, jitter: 10% } }
events:
  - { at: 0s, action: prewarm, keys: 100% }
`);
    const r = await simCheck({ scenario: f });
    expect(r.risks).toEqual([]);
    expect(r.notes).toEqual([]);
    expect(r.text).toMatch(/^# sim check: .*; steady state after a 20 s warm-up\)$/m);
    expect(r.text).toMatch(/^ok: no risk found$/m);
  });

  it("a run too short for a steady state says so instead of judging the eviction rate on whole-run figures", async () => {
    const r = await simCheck({ scenario: base("maxmemory: 3mb, maxmemory-policy: allkeys-lru"), set: ["duration=20s"] });
    expect(r.risks.map((x) => x.id)).not.toContain("eviction-rate");
    expect(r.notes).toHaveLength(1);
    expect(r.text).toMatch(/^note {3}no steady state: the run is too short to judge: 20 intervals \(at least 50 needed: lengthen duration or shorten output\.interval\); the eviction-rate and hit-ratio checks are not judged on whole-run figures that include the cold start$/m);
  });

  it("finds cold-start.yaml's restart storm: failed requests and the database queue after the restart, with when", async () => {
    // the run up to 5 min 40 s holds the whole storm (the restart is at 5 min)
    const r = sim(["check", "scenarios/cold-start.yaml", "--set", "duration=340s"]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /^HIGH {3}restart-storm: the restart at 5 min \(2 s down, back empty\) sent the misses to the database: 25,377 application requests failed and 75,451 database queries timed out between 5 min and 5 min 14 s, up to 34,871 queries waited for 20 connections \(p99 latency 2,099 ms against 5.61 ms before\); the hit ratio was back to 90.3 % at 5 min 28 s; load the hottest keys as it comes back/m,
    );
  });

  it("stampede.yaml: the herd ttl-jitter leaves on ONE hot key is flagged, and the advice is a lock or xfetch, never jitter", async () => {
    // the first expiry of each key falls at 18–19 s (the prewarm spreads the remaining TTLs)
    const r = await simCheck({ scenario: "scenarios/stampede.yaml", set: ["duration=25s"] });
    expect(r.risks.map((x) => `${x.severity} ${x.id}`)).toEqual(["medium hot-key-herd", "medium hot-key-herd"]);
    const jitter = r.risks.find((x) => x.message.startsWith("class ttl-jitter "))!;
    expect(jitter.message).toMatch(/^class ttl-jitter \(mitigation ttl-jitter, 1 key\): each expiry of its one key sends up to \d{3} queries for it to the database at once/);
    expect(jitter.message).toMatch(/cannot help one hot key: use a lock \(single flight\), xfetch or stale-while-revalidate instead$/);
    expect(r.risks.find((x) => x.message.startsWith("class none "))!.message).toMatch(/no stampede protection: use a lock \(single flight\), xfetch or stale-while-revalidate$/);
    // no line advises jitter; lock and xfetch pass
    for (const x of r.risks) expect(x.message).not.toMatch(/(add|use)( a)? (ttl[- ])?jitter/i);
    expect(r.text).not.toMatch(/class (lock|xfetch) /);
  });

  it("a hot key's herd is judged from the simulated herds: TTL jitter does not clear it, a lock or xfetch does; without a database, the fixed TTL is flagged with the same advice", async () => {
    // jitter used to clear this rule and was in its advice: it spreads expiries across keys, and one key's herd stays
    const hot = (ttl: string, extra = "", db = "database: { query-time: 40ms }") =>
      file(`duration: 20s
redis: { maxmemory: 100mb, maxmemory-policy: allkeys-lru }
workload: { rate: 5000, classes: [{ name: hot, keys: 1, ttl: ${ttl}${extra} }] }
${db}
`);
    // a herd of ~200 queries for one key takes all 10 connections (the default pool): high
    expect(await ids(hot("5s"))).toEqual(["high hot-key-herd"]);
    expect(await ids(hot("{ ttl: 5s, jitter: 10% }"))).toEqual(["high hot-key-herd"]);
    const jit = await simCheck({ scenario: hot("5s", ", mitigation: ttl-jitter") });
    expect(jit.risks.map((x) => `${x.severity} ${x.id}`)).toEqual(["high hot-key-herd"]);
    expect(jit.risks[0].message).toMatch(/up to \d{3} queries for it to the database at once \(.* on 10 connections.*cannot help one hot key: use a lock \(single flight\), xfetch or stale-while-revalidate instead$/);
    expect(await ids(hot("5s", ", mitigation: xfetch"))).toEqual([]);
    expect(await ids(hot("5s", ", mitigation: lock"))).toEqual([]);
    const none = await simCheck({ scenario: hot("5s", "", "") });
    expect(none.risks.map((x) => `${x.severity} ${x.id}`)).toEqual(["medium synchronized-ttl"]);
    expect(none.risks[0].message).toMatch(/protect it with a lock, xfetch or stale-while-revalidate; TTL jitter only spreads expiries across keys, it cannot help one key/);
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

  it("a TTL sim init inferred from INFO's avg_ttl raises no synchronized-ttl risk (real keys set over time expire spread out)", async () => {
    const info = join(mkdtempSync(join(tmpdir(), "evictsim-check-")), "info.txt");
    writeFileSync(
      info,
      ["# Server", "redis_version:7.0.15", "configured_hz:10", "uptime_in_seconds:86400", "# Clients", "connected_clients:5", "# Memory",
        "used_memory:104857600", "maxmemory:134217728", "maxmemory_policy:allkeys-lru", "total_system_memory:2147483648", "mem_allocator:jemalloc-5.3.0",
        "# Persistence", "aof_enabled:0", "# Stats", "instantaneous_ops_per_sec:2000", "keyspace_hits:900000", "keyspace_misses:100000",
        "# Keyspace", "db0:keys=100000,expires=100000,avg_ttl=1800000", ""].join("\r\n"),
    );
    const r = await simCheckAsync({ info, duration: "1m" });
    expect(r.risks.map((x) => x.id)).not.toContain("synchronized-ttl");
    expect(r.risks).toEqual([]);
    // the same scenario with a TTL the user chose (--set) is judged as written
    const chosen = await simCheckAsync({ info, duration: "1m", set: ["workload.classes.0.ttl=30m"] });
    expect(chosen.risks.map((x) => x.id)).toEqual(["synchronized-ttl"]);
  });
});
