import { describe, expect, it } from "vitest";
import { bucketBytes, makeServer } from "../../test/helpers.ts";
import { Streams } from "../core/random.ts";
import { compile } from "../scenario/compile.ts";
import { parseScenario } from "../scenario/parse.ts";
import { Generator } from "../workload/generator.ts";
import { OP_CACHE_GET, OP_DEL, OP_GET, Request } from "../workload/request.ts";
import { EVICT_FAIL, EVICT_OK, EVICT_RUNNING, performEvictions } from "./evict.ts";
import { LFU_INIT_VAL } from "./lfu.ts";
import { CLIENT_BYTES, LATENCY_HISTOGRAM_BYTES } from "./memory.ts";
import { CAND_ALLKEYS, CAND_NONE, CAND_VOLATILE, POLICIES, POLICY_NAMES, REDIS_POLICY_NAMES, sharesIntegers, usesLfu, type PolicyName } from "./policies.ts";
import { RedisServer, WRITE_OK, WRITE_OOM } from "./server.ts";
import { Sim } from "../core/sim.ts";

const MB = 1024 * 1024;
const H = LATENCY_HISTOGRAM_BYTES;

describe("RedisServer memory accounting", () => {
  it("set(key, 100 bytes) adds dictEntry + key sds + raw value + the first 4-slot table (bundled jemalloc)", () => {
    const { server } = makeServer({}, 10, 10);
    const before = server.used;
    expect(server.set(0, 100, -1, 0)).toBe(WRITE_OK);
    // SET's latency histogram (first call), A(24)=24, A(1+10+1)=16, robj A(16)=16 + sds A(3+100+1)=112, buckets 4×8=32
    expect(server.used - before).toBe(H + 24 + 16 + 16 + 112 + 32);
    // a TTL adds an expires entry A(24)=24 and the expires dict's first table (32)
    server.set(0, 100, -1, 60_000);
    expect(server.used - before).toBe(H + 24 + 16 + 16 + 112 + 32 + 24 + 32);
  });

  it("set(key, 100 bytes) with jemalloc-debian rounds to 16-byte classes", () => {
    const { server } = makeServer({ allocator: "jemalloc-debian" }, 10, 10);
    const before = server.used;
    server.set(0, 100, -1, 60_000);
    // A(24)=32, A(12)=16, 16 + A(104)=112, buckets 32, expires entry 32 + buckets 32
    expect(server.used - before).toBe(H + 32 + 16 + 16 + 112 + 32 + 32 + 32);
  });

  it("starts at used_memory_startup plus its clients, and adds each command's histogram at its first call", () => {
    const { server } = makeServer({ clients: 3 }, 10, 10);
    expect(server.used).toBe(876_184 + 3 * 38_112);
    expect(CLIENT_BYTES).toBe(38_112);
    const u = server.used;
    server.get(0);
    server.get(1);
    expect(server.used - u).toBe(24_688);
    server.del(0);
    expect(server.used - u).toBe(2 * 24_688);
  });

  it("object-size accounting (not Redis) counts value bytes only", () => {
    const { server } = makeServer({ memoryAccounting: "object-size" }, 10, 10);
    expect(server.used).toBe(0);
    server.set(0, 100, -1, 5000);
    server.set(1, 7, -1, 0);
    server.get(2);
    expect(server.used).toBe(107);
    server.del(0);
    expect(server.used).toBe(7);
  });

  it("memoryUsage(key) is what MEMORY USAGE reports (no TTL, no bucket share)", () => {
    const { server } = makeServer({ allocator: "jemalloc-debian" }, 10, 3);
    server.set(0, 3, -1, 5000);
    expect(server.memoryUsage(0)).toBe(64); // docs/model.md §7.5: foo=bar → 64
    server.set(1, 44, -1, 0);
    expect(server.memoryUsage(1)).toBe(24 + 8 + 64);
    expect(server.memoryUsage(9)).toBe(-1);
  });

  it("shares integers 0..9999 only without an LRU/LFU policy limit", () => {
    const plain = makeServer({}, 10, 10).server;
    const u0 = plain.used;
    plain.set(0, 3, 123, 0); // SET k 123 with maxmemory 0: shared object, no value allocation
    expect(plain.used - u0).toBe(H + 24 + 16 + 0 + 32);
    const lru = makeServer({ maxmemory: 100 * MB, maxmemoryPolicy: "allkeys-lru" }, 10, 10).server;
    const u1 = lru.used;
    lru.set(0, 3, 123, 0); // under allkeys-lru with maxmemory: its own INT-encoded robj
    expect(lru.used - u1).toBe(H + 24 + 16 + 16 + 32);
    const big = makeServer({}, 10, 10).server;
    const u2 = big.used;
    big.set(0, 5, 10000, 0); // 10000 is not a shared integer
    expect(big.used - u2).toBe(H + 24 + 16 + 16 + 32);
  });

  it("memory returns to the startup baseline after deleting every key, bucket arrays aside", () => {
    const { sim, server } = makeServer({}, 5000, 12);
    const startup = server.used;
    for (let k = 0; k < 5000; k++) server.set(k, 10 + (k % 300), -1, k % 2 ? 60_000 : 0);
    expect(server.ks.keys).toBe(5000);
    for (let k = 0; k < 5000; k++) expect(server.del(k)).toBe(true);
    expect(server.ks.keys).toBe(0);
    expect(server.used).toBe(startup + 2 * H + bucketBytes(server)); // SET's and DEL's histograms stay
    expect(bucketBytes(server)).toBeGreaterThan(8 * 8192); // not released by deletes, as in Redis
    // cron shrinks tables under 10 % full down to 4 slots each (after the incremental rehash)
    sim.advanceTo(2_000_000);
    expect(server.used).toBe(startup + 2 * H + 32 + 32);
  });

  it("keeps both tables during an incremental rehash, then frees the old one", () => {
    const { server } = makeServer({}, 100, 10);
    for (let k = 0; k < 4; k++) server.set(k, 10, -1, 0);
    const main = server.ks.dbs[0].main;
    expect(main.slots).toBe(4);
    server.set(4, 10, -1, 0); // used 4 ≥ size 4: expand to 8
    expect(main.rehashing).toBe(true);
    expect(main.slots).toBe(12);
    for (let i = 0; i < 8; i++) server.get(0); // each lookup migrates buckets
    expect(main.rehashing).toBe(false);
    expect(main.slots).toBe(8);
  });
});

describe("RedisServer expiry", () => {
  it("get(key) after its TTL is a miss that deletes the key and counts expired_keys", () => {
    const { sim, server } = makeServer({ activeExpire: false }, 10, 10);
    server.set(0, 10, -1, 1000);
    sim.advanceTo(1_000_000); // exactly at the expiry ms: not yet expired (Redis expires when now > when)
    expect(server.get(0)).toBe(true);
    sim.advanceTo(1_001_000);
    const usedBefore = server.used;
    expect(server.get(0)).toBe(false);
    expect(server.stats.expired_keys).toBe(1);
    expect(server.stats.keyspace_misses).toBe(1);
    expect(server.used).toBeLessThan(usedBefore);
  });

  it("expired keys keep their memory until reclaimed, and the active cycle reclaims them", () => {
    const { sim, server } = makeServer({}, 20_000, 10);
    for (let k = 0; k < 20_000; k++) server.set(k, 50, -1, 1000);
    const full = server.used;
    sim.advanceTo(1_050_000); // all logically expired, the first ticks have started reclaiming
    expect(server.ks.keys).toBeGreaterThan(0);
    sim.advanceTo(10_000_000);
    expect(server.ks.keys).toBe(0);
    expect(server.stats.expired_keys).toBe(20_000);
    expect(server.used).toBeLessThan(full);
  });

  it("activeExpireCycle stops on its 25 ms budget and hands over to fast cycles under a mass expiry", () => {
    const { sim, server } = makeServer({}, 300_000, 10);
    for (let k = 0; k < 300_000; k++) server.set(k, 20, -1, 500);
    sim.advanceTo(600_000); // first tick after the expiry: slow cycle hits its time cap
    expect(server.stats.expired_time_cap_reached_count).toBeGreaterThan(0);
    const afterOneTick = server.stats.expired_keys;
    // 25 ms budget at 1.6 µs per deleted key: about 15 600 keys per slow cycle (plus one fast cycle)
    expect(afterOneTick).toBeGreaterThan(10_000);
    expect(afterOneTick).toBeLessThan(25_000);
    sim.advanceTo(5_000_000);
    expect(server.stats.expired_keys).toBe(300_000);
  });
});

describe("RedisServer eviction", () => {
  const drive = (policy: PolicyName, check: (s: RedisServer, sim: Sim, req: Request, hit: boolean) => void, ttl = "10s", seconds = 10) => {
    const sc = parseScenario(`
seed: 3
duration: ${seconds}s
redis: { maxmemory: 4mb, maxmemory-policy: ${policy} }
workload:
  rate: 20000
  classes:
    - { name: a, keys: 50000, share: 0.5, popularity: zipf, value-size: { dist: uniform, min: 10, max: 400 } }
    - { name: b, keys: 50000, share: 0.5, popularity: zipf, value-size: 120, ttl: { dist: uniform, min: 1s, max: ${ttl} } }
`);
    const plan = compile(sc);
    const sim = new Sim();
    const streams = new Streams(plan.seed);
    const server = new RedisServer(plan.redis, sim, streams);
    const gen = new Generator(plan, streams, server);
    const req = new Request();
    while (gen.next(req)) {
      sim.advanceTo(req.t);
      let hit = false;
      if (req.op === OP_CACHE_GET) {
        hit = server.get(req.key);
        if (!hit) {
          gen.fill(req);
          server.set(req.key, req.vlen, -1, req.ttlMs);
        }
      } else if (req.op === OP_GET) hit = server.get(req.key);
      else if (req.op === OP_DEL) server.del(req.key);
      else server.set(req.key, req.vlen, -1, req.ttlMs);
      check(server, sim, req, hit);
    }
    return server;
  };

  for (const policy of POLICY_NAMES.filter((p) => p !== "noeviction")) {
    it(`performEvictions() under ${policy} leaves used_memory ≤ maxmemory whenever it returns OK`, () => {
      let checks = 0;
      const s = drive(policy, (server) => {
        const r = performEvictions(server);
        if (r === EVICT_OK) {
          expect(server.used).toBeLessThanOrEqual(server.maxmemory);
          checks++;
        } else {
          expect(r === EVICT_FAIL || r === EVICT_RUNNING).toBe(true);
        }
      });
      expect(checks).toBeGreaterThan(40_000);
      expect(s.stats.evicted_keys).toBeGreaterThan(1000);
    });
  }

  it("never returns an expired key (every hit is on a key whose TTL has not passed)", () => {
    let hitsWithTtl = 0;
    drive("allkeys-lru", (server, _sim, req, hit) => {
      if (!hit) return;
      const ks = server.ks;
      if (ks.hasTtl(req.key)) {
        hitsWithTtl++;
        expect(server.nowMs).toBeLessThanOrEqual(ks.expireAtOf(req.key));
      }
    }, "3s");
    expect(hitsWithTtl).toBeGreaterThan(10_000);
  });

  it("noeviction rejects writes with OOM once full but still serves reads and DEL", () => {
    const { server } = makeServer({ maxmemory: 2 * MB, maxmemoryPolicy: "noeviction" }, 100_000, 10);
    let k = 0;
    while (server.set(k, 200, -1, 0) === WRITE_OK) k++;
    expect(server.used).toBeGreaterThan(2 * MB);
    expect(server.stats.oom_rejected_writes).toBe(1);
    expect(server.set(k + 1, 10, -1, 0)).toBe(WRITE_OOM);
    expect(server.get(0)).toBe(true);
    expect(server.del(0)).toBe(true);
    expect(server.stats.evicted_keys).toBe(0);
    expect(server.stats.oom_rejected_writes).toBe(2);
  });

  it("volatile-lru with no TTL keys has no candidate and rejects writes like noeviction", () => {
    const { server } = makeServer({ maxmemory: 2 * MB, maxmemoryPolicy: "volatile-lru" }, 100_000, 10);
    let k = 0;
    while (server.set(k, 200, -1, 0) === WRITE_OK && k < 100_000) k++;
    expect(server.stats.oom_rejected_writes).toBe(1);
    expect(server.stats.evicted_keys).toBe(0);
  });

  it("volatile-ttl evicts the keys nearest their expiry first", () => {
    const { server } = makeServer({ maxmemory: 1 * MB, maxmemoryPolicy: "volatile-ttl", maxmemorySamples: 10 }, 20_000, 10);
    // TTL grows with the key id: low ids expire first
    for (let k = 0; k < 20_000; k++) server.set(k, 100, -1, 3_600_000 + k * 1000);
    const ks = server.ks;
    let survivorsLow = 0, survivorsHigh = 0;
    for (let k = 0; k < 5000; k++) survivorsLow += ks.exists(k) ? 1 : 0;
    for (let k = 15_000; k < 20_000; k++) survivorsHigh += ks.exists(k) ? 1 : 0;
    expect(server.stats.evicted_keys).toBeGreaterThan(10_000);
    expect(survivorsHigh).toBeGreaterThan(3 * survivorsLow);
  });

  it("a large write triggers background eviction past the tenacity budget (EVICT_RUNNING), which then finishes", () => {
    const { sim, server } = makeServer({ maxmemory: 8 * MB, maxmemoryPolicy: "allkeys-lru" }, 200_000, 10);
    for (let k = 0; k < 100_000; k++) server.set(k, 40, -1, 0);
    expect(server.used).toBeLessThanOrEqual(8 * MB + 1024);
    server.set(199_999, 4 * MB, -1, 0); // a 4 MB value: about 40 000 small keys must go
    sim.advanceTo(sim.now + 1);
    server.get(1); // the next command evicts for 500 µs (~125 keys at 4 µs each) and returns RUNNING
    expect(server.stats.eviction_time_limit_hits).toBeGreaterThan(0);
    expect(server.used).toBeGreaterThan(8 * MB);
    sim.advanceTo(sim.now + 500_000); // background slices continue
    server.get(1);
    expect(server.used).toBeLessThanOrEqual(8 * MB);
    expect(server.stats.evicted_keys).toBeGreaterThan(25_000);
  });

  it("allkeys-lfu keeps counters within 8 bits with no carry into the minute field", () => {
    const s = drive("allkeys-lfu", () => {}, "10s", 90);
    const ks = s.ks;
    let saturated = 0, checked = 0;
    const minStart = Math.floor(1_704_067_200_000 / 60_000) & 0xffff;
    for (const db of ks.dbs)
      for (let i = 0; i < db.allN; i++) {
        const lru = ks.lruOf(db.all[2 * i]);
        const counter = lru & 255, minutes = lru >>> 8;
        expect(minutes).toBeGreaterThanOrEqual(minStart);
        expect(minutes).toBeLessThanOrEqual(minStart + 2);
        if (counter >= LFU_INIT_VAL + 5) saturated++;
        checked++;
      }
    expect(checked).toBeGreaterThan(1000);
    expect(saturated).toBeGreaterThan(0);
  });

  it("lfu-log-factor 0 saturates hot counters at exactly 255", () => {
    const { server } = makeServer({ maxmemory: 100 * MB, maxmemoryPolicy: "allkeys-lfu", lfuLogFactor: 0 }, 10, 10);
    server.set(0, 10, -1, 0);
    for (let i = 0; i < 1000; i++) server.get(0);
    expect(server.ks.lruOf(0) & 255).toBe(255);
    expect(server.ks.lruOf(0) >>> 8).toBe(Math.floor(1_704_067_200_000 / 60_000) & 0xffff);
  });

  it("an LFU counter survives a SET overwrite; an LRU stamp is renewed", () => {
    const { server } = makeServer({ maxmemory: 100 * MB, maxmemoryPolicy: "allkeys-lfu", lfuLogFactor: 0 }, 10, 10);
    server.set(0, 10, -1, 0);
    for (let i = 0; i < 20; i++) server.get(0);
    const c = server.ks.lruOf(0) & 255;
    expect(c).toBe(25);
    server.set(0, 20, -1, 0);
    expect(server.ks.lruOf(0) & 255).toBe(26); // the write lookup's touch, then the copied field
  });

  it("does not touch LRU/LFU fields while a fork child exists", () => {
    const { sim, server } = makeServer({ maxmemory: 100 * MB, maxmemoryPolicy: "allkeys-lru" }, 10, 10);
    server.set(0, 10, -1, 0);
    const stamp = server.ks.lruOf(0);
    sim.advanceTo(5_000_000);
    server.childActive = true;
    server.get(0);
    expect(server.ks.lruOf(0)).toBe(stamp);
    server.childActive = false;
    server.get(0);
    expect(server.ks.lruOf(0)).toBe(stamp + 5);
  });

  it("refuses to grow the dict when the new table would pass maxmemory, until 1.618 keys per slot", () => {
    const { server } = makeServer({ maxmemory: 0 }, 100_000, 10);
    for (let k = 0; k < 65_536; k++) server.set(k, 10, -1, 0);
    const main = server.ks.dbs[0].main;
    expect(main.size0).toBe(65_536);
    // a server whose limit leaves no room for a 1 MB table
    const tight = makeServer({ maxmemory: 0, maxmemoryPolicy: "allkeys-lru" }, 120_000, 10).server;
    (tight as unknown as { maxmemory: number }).maxmemory = 5.7 * MB; // just above 65 536 small keys
    for (let k = 0; k < 65_536; k++) tight.set(k, 10, -1, 0);
    const t = tight.ks.dbs[0].main;
    tight.set(65_536, 10, -1, 0);
    expect(t.rehashing).toBe(false); // expansion refused
    expect(t.size0).toBe(65_536);
  });
});

describe("Sim-driven cron", () => {
  it("serverCron refreshes the LRU clock every 1000/hz ms", () => {
    const sim = new Sim();
    const s = new RedisServer({ ...makeServer().server.cfg, hz: 10 }, sim, new Streams(1));
    const c0 = s.lruclock;
    sim.advanceTo(999_999);
    expect(s.lruclock).toBe(c0);
    sim.advanceTo(1_000_000);
    expect(s.lruclock).toBe(c0 + 1);
  });
});

describe("the policy registry (policies.ts, policy/*.ts)", () => {
  it("holds Redis's eight maxmemory policies plus the two reference policies", () => {
    expect([...REDIS_POLICY_NAMES].sort()).toEqual(
      ["allkeys-lfu", "allkeys-lru", "allkeys-random", "noeviction", "volatile-lfu", "volatile-lru", "volatile-random", "volatile-ttl"],
    );
    expect(POLICY_NAMES.filter((n) => POLICIES[n].reference).sort()).toEqual(["exact-lru", "opt"]);
  });

  it("builds each policy as Redis's flags do: a candidate set times a score (server.h MAXMEMORY_FLAG_*)", () => {
    for (const n of POLICY_NAMES) {
      const { candidates, score } = POLICIES[n];
      expect(candidates, n).toBe(n === "noeviction" ? CAND_NONE : n.startsWith("volatile-") ? CAND_VOLATILE : CAND_ALLKEYS);
      // the same score behaviour for allkeys-x and volatile-x
      if (n.startsWith("volatile-") && n !== "volatile-ttl") expect(score, n).toBe(POLICIES[n.replace("volatile-", "allkeys-") as PolicyName].score);
      // MAXMEMORY_FLAG_LFU: only the LFU policies keep counters in the lru field
      expect(usesLfu(n), n).toBe(n.endsWith("-lfu"));
      // MAXMEMORY_FLAG_NO_SHARED_INTEGERS: LRU and LFU (and the reference policies) need their own objects
      expect(sharesIntegers(n, 1 << 20), n).toBe(!(n.endsWith("-lru") || n.endsWith("-lfu") || n === "opt"));
      expect(sharesIntegers(n, 0), n).toBe(true);
      // volatile-ttl alone scores without the value object; random and the reference policies skip the pool
      expect(score.readsValueObject, n).toBe(n.endsWith("-lru") && n !== "exact-lru" || n.endsWith("-lfu"));
      expect(score.victim === null, n).toBe(!(n.endsWith("-random") || n === "exact-lru" || n === "opt"));
    }
  });
});
