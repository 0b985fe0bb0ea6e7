import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.ts";
import { OP_CACHE_GET, OP_GET } from "../../src/workload/request.ts";
import { BATCH_SIZE } from "../../src/workload/trace.ts";
import { OracleGeneralReader } from "../../src/io/traces/oracle-general.ts";
import { blockTraceOracleGeneral, collect, haveCommand, packOracleGeneral as pack, RecordingRegistry, rejection, same, sharedTrace, sum, syntheticBlockTrace, tmp, write } from "../support/traces.ts";

/*
 * The core tests read a generated trace of the same shape (syntheticBlockTrace: > one batch, repeated
 * times, 64-bit ids, next-access links), with every expected figure computed from the generator's own
 * arrays. The real trace is an extra, skipped by name where it is absent: cloudPhysicsIO.oracleGeneral.bin,
 * sample trace from libCacheSim (CloudPhysics), 1a1a11a/libCacheSim @ aa0fc40, data/; GPL-3.0 repository
 * at that commit, no separate licence stated for the data, so the repository does not ship it.
 *
 * The pinned figures were checked once, independently of this code, with Python's struct module:
 *   recs = [struct.unpack_from("<IQIq", b, 24 * i) for i in range(len(b) // 24)]
 * → 113,872 records (file size 2,732,928 = 24 × 113,872); 48,974 distinct obj_id; sizes summed over
 * every record 4,368,040,448 B and over each object's first record 2,029,769,728 B (the README's working
 * set); times 5,633,898 … 5,641,098 s and non-decreasing; record 0 = (5633898, 42932745, 512, −1);
 * record 3 = (5633898, 40409911, 6656, −1); record 6 = (5633899, 6160447, 4096, 19), whose next access
 * is record 18 (0-based); 64,898 records have a next access; Σ next (0-based, −1 for none) =
 * 4,369,421,383; Σ decimal-digit lengths of the distinct ids = 387,840; the last first-seen id is 42936150.
 */
const CP = sharedTrace("libcachesim-cloudphysics/cloudPhysicsIO.oracleGeneral.bin");
const BIN = CP.path;

describe.skipIf(!CP.have)(`OracleGeneralReader on the real cloudPhysicsIO.oracleGeneral.bin (${CP.needs})`, () => {
  it("new OracleGeneralReader(cloudPhysicsIO.oracleGeneral.bin).batches(reg) → 113,872 reads of 48,974 objects, 2,029,769,728 B working set", async () => {
    const r = new OracleGeneralReader(BIN);
    const c = await collect(r);
    expect(c.n).toBe(113_872);
    expect(c.batches).toEqual([BATCH_SIZE, 113_872 - BATCH_SIZE]);
    expect(r.distinctKeys).toBe(48_974);
    expect(c.reg.keyLen.length).toBe(48_974);
    expect(sum(c.reg.keyLen)).toBe(387_840);
    expect(c.reg.db.every((d) => d === 0)).toBe(true);
    expect(sum(c.vlen)).toBe(4_368_040_448);
    // the working set: each object's size at its first request
    const first = new Float64Array(48_974).fill(-1);
    for (let i = 0; i < c.n; i++) if (first[c.key[i]] < 0) first[c.key[i]] = c.vlen[i];
    expect(sum(first)).toBe(2_029_769_728);
    expect(c.op.every((o) => o === OP_CACHE_GET)).toBe(true);
    expect(c.ttlMs.every((x) => x === 0)).toBe(true);
    // times rebased to the first record, in µs: 5,633,898 s → 0, 5,641,098 s → 7,200 s
    expect(c.t[0]).toBe(0);
    expect(c.t[6]).toBe(1_000_000);
    expect(c.t[c.n - 1]).toBe(7_200_000_000);
    for (let i = 1; i < c.n; i++) if (c.t[i] < c.t[i - 1]) throw new Error(`time goes back at ${i}`);
    // first records, dense ids in first-seen order
    expect([...c.key.slice(0, 4)]).toEqual([0, 1, 2, 3]);
    expect([0, 1, 2, 3].map((k) => r.keyName(k))).toEqual(["42932745", "42932746", "42932747", "40409911"]);
    expect([...c.vlen.slice(0, 4)]).toEqual([512, 512, 512, 6656]);
    expect(r.keyName(48_973)).toBe("42936150");
    // next access: 1-based in the file, 0-based here
    expect(c.nextAccess[0]).toBe(-1);
    expect(c.nextAccess[6]).toBe(18);
    expect(c.key[18]).toBe(c.key[6]);
    expect(r.keyName(c.key[6])).toBe("6160447");
    expect(c.nextAccess.filter((x) => x >= 0).length).toBe(64_898);
    expect(sum(c.nextAccess)).toBe(4_369_421_383);
  });

});

/** 70 000 requests: more than one batch (BATCH_SIZE 65 536). */
const SYN = syntheticBlockTrace(70_000, 20_000, 7);
const synFile = () => write(tmp(), "syn.oracleGeneral.bin", blockTraceOracleGeneral(SYN));

describe("OracleGeneralReader on a generated block-I/O trace", () => {
  it("new OracleGeneralReader(70 000 records).batches(reg) → two batches, ids in first-seen order, sizes, times and next accesses as written", async () => {
    // what the reader must find, computed from the generator's arrays
    const ids = new Map<bigint, number>();
    for (const id of SYN.id) if (!ids.has(id)) ids.set(id, ids.size);
    const names = [...ids.keys()].map(String);
    const r = new OracleGeneralReader(synFile());
    const c = await collect(r);
    expect(c.n).toBe(SYN.n);
    expect(c.batches).toEqual([BATCH_SIZE, SYN.n - BATCH_SIZE]);
    expect(r.distinctKeys).toBe(ids.size);
    expect(c.reg.keyLen).toEqual(names.map((x) => x.length));
    expect(c.reg.db.every((d) => d === 0)).toBe(true);
    expect(names.map((_, k) => r.keyName(k))).toEqual(names);
    expect(same(c.key, Int32Array.from(SYN.id, (id) => ids.get(id)!))).toBe(true);
    expect(same(c.vlen, Float64Array.from(SYN.size))).toBe(true);
    expect(sum(c.vlen)).toBe(SYN.size.reduce((a, x) => a + x, 0));
    // times rebased to the first record, in µs
    expect(same(c.t, Float64Array.from(SYN.timeS, (s) => (s - SYN.timeS[0]) * 1e6))).toBe(true);
    // next access: 1-based in the file, 0-based here
    expect(same(c.nextAccess, Float64Array.from(SYN.next, (x) => (x < 0n ? -1 : Number(x) - 1)))).toBe(true);
    expect(c.op.every((o) => o === OP_CACHE_GET)).toBe(true);
    expect(c.ttlMs.every((x) => x === 0)).toBe(true);
    // the generator does what its comment says: repeated times, 64-bit ids, reuse
    expect(new Set(SYN.timeS).size).toBeLessThan(SYN.n / 4);
    expect(names.some((x) => BigInt(x) > 2n ** 53n)).toBe(true);
    expect(c.nextAccess.filter((x) => x >= 0).length).toBeGreaterThan(SYN.n / 2);
  });

  it("new OracleGeneralReader(file, 'literal') → OP_GET for every record", async () => {
    const c = await collect(new OracleGeneralReader(synFile(), "literal"));
    expect(c.op.every((o) => o === OP_GET)).toBe(true);
  });

  it("new OracleGeneralReader(file.gz | file.zst | file.xz) → the same requests as the plain file", async () => {
    const dir = tmp();
    const bin = synFile();
    const raw = readFileSync(bin);
    const plain = await collect(new OracleGeneralReader(bin));
    const files = [write(dir, "cp.oracleGeneral.bin.gz", gzipSync(raw))];
    if (haveCommand("zstd")) {
      execFileSync("zstd", ["-q", bin, "-o", `${dir}/cp.oracleGeneral.zst`]);
      files.push(`${dir}/cp.oracleGeneral.zst`);
    }
    if (haveCommand("xz")) {
      files.push(write(dir, "cp.oracleGeneral.bin.xz", execFileSync("xz", ["-c", "-1", bin], { maxBuffer: 1 << 26 })));
    }
    for (const f of files) {
      const c = await collect(new OracleGeneralReader(f));
      expect(c.n, f).toBe(plain.n);
      expect(same(c.key, plain.key), f).toBe(true);
      expect(same(c.t, plain.t), f).toBe(true);
      expect(same(c.vlen, plain.vlen), f).toBe(true);
      expect(same(c.nextAccess, plain.nextAccess), f).toBe(true);
    }
  });

  it("new OracleGeneralReader(first 1000 bytes).batches(reg) → InputError: record 42 is truncated (before any batch, and for .gz at the end)", async () => {
    const dir = tmp();
    const part = readFileSync(synFile()).subarray(0, 1000); // 41 whole records + 16 bytes
    const plain = write(dir, "t.oracleGeneral.bin", part);
    let batches = 0;
    const e = await rejection(
      (async () => {
        for await (const _ of new OracleGeneralReader(plain).batches(new RecordingRegistry())) batches++;
      })(),
    );
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toBe(`${plain}: record 42 is truncated: the trace holds 1000 bytes, not a whole number of 24-byte oracleGeneral records`);
    expect(batches).toBe(0);
    const gz = write(dir, "t.oracleGeneral.bin.gz", gzipSync(part));
    const e2 = await rejection(collect(new OracleGeneralReader(gz)));
    expect(e2).toBeInstanceOf(InputError);
    expect(e2.message).toMatch(/: record 42 is truncated: the trace holds 1000 bytes/);
  });
});

describe("OracleGeneralReader on made-up records", () => {
  it("new OracleGeneralReader(records with 64-bit ids).keyName(id) → the exact decimal id, key length its digit count", async () => {
    const dir = tmp();
    const big = 18_446_744_073_709_551_615n; // 2^64 − 1
    const f = write(dir, "ids.oracleGeneral", pack([
      [10, 1n, 5, 3n],
      [10, 2n ** 53n + 1n, 6, -1n],
      [11, 1n, 5, -1n],
      [12, big, 7, 9_223_372_036_854_775_807n], // INT64_MAX: no next access, as some writers put it
    ]));
    const r = new OracleGeneralReader(f);
    const c = await collect(r);
    expect([...c.key]).toEqual([0, 1, 0, 2]);
    expect([0, 1, 2].map((k) => r.keyName(k))).toEqual(["1", "9007199254740993", "18446744073709551615"]);
    expect(c.reg.keyLen).toEqual([1, 16, 20]);
    expect([...c.t]).toEqual([0, 0, 1_000_000, 2_000_000]);
    expect([...c.nextAccess]).toEqual([2, -1, -1, -1]);
  });

  it("new OracleGeneralReader(time going back at record 3).batches(reg) → InputError naming record 3", async () => {
    const f = write(tmp(), "back.oracleGeneral.bin", pack([[100, 1n, 1, -1n], [101, 2n, 1, -1n], [99, 3n, 1, -1n]]));
    const e = await rejection(collect(new OracleGeneralReader(f)));
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toBe(`${f}: record 3: time 99 s is earlier than the previous record's 101 s: a trace must be in time order`);
  });

  it("new OracleGeneralReader(empty file).batches(reg) → no batch", async () => {
    const c = await collect(new OracleGeneralReader(write(tmp(), "e.oracleGeneral.bin", "")));
    expect(c.n).toBe(0);
    expect(c.batches).toEqual([]);
  });
});
