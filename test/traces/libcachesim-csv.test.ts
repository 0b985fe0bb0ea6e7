import { gzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.ts";
import { OP_CACHE_GET, OP_DEL, OP_GET, OP_SET } from "../../src/workload/request.ts";
import { LibCacheSimCsvReader, type LibCacheSimCsvOptions } from "../../src/io/traces/libcachesim-csv.ts";
import { OracleGeneralReader } from "../../src/io/traces/oracle-general.ts";
import { blockTraceCsv, blockTraceOracleGeneral, collect, rejection, same, sharedTrace, sum, syntheticBlockTrace, tmp, write } from "../support/traces.ts";

/*
 * The core tests read a generated trace in the CloudPhysics CSV layout (syntheticBlockTrace, written as
 * CSV and as oracleGeneral), expected figures computed from the generator's arrays. The real
 * cloudPhysicsIO.csv (and .oracleGeneral.bin) is an extra, skipped by name where it is absent: sample
 * trace from libCacheSim (CloudPhysics), 1a1a11a/libCacheSim @ aa0fc40, data/; GPL-3.0 repository at that
 * commit, no separate licence stated for the data, so the repository does not ship it.
 *
 * Pinned figures checked once with Python's csv module (rows = list(csv.reader(f))[1:]): header
 * version,time,op,size,lbn; 113,872 rows; 48,974 distinct lbn; Σ size = 4,205,978,112 B; time
 * 5,633,898 … 5,641,098 s, non-decreasing; row 1 = 1,5633898,2a,512,42932745; row 4 = …,6656,40409911;
 * the lbn and time columns equal the oracleGeneral file's obj_id and time record for record, and 13,671
 * rows have a size other than the oracleGeneral record's.
 */
const REAL = sharedTrace("libcachesim-cloudphysics/cloudPhysicsIO.csv");
const REAL_BIN = sharedTrace("libcachesim-cloudphysics/cloudPhysicsIO.oracleGeneral.bin");
const CSV = REAL.path;
const CP: LibCacheSimCsvOptions = { timeCol: 2, objIdCol: 5, objSizeCol: 4 };

describe.skipIf(!REAL.have || !REAL_BIN.have)(`LibCacheSimCsvReader on the real cloudPhysicsIO.csv (${REAL.needs}; ${REAL_BIN.needs})`, () => {
  it("new LibCacheSimCsvReader(cloudPhysicsIO.csv, {time-col 2, obj-id-col 5, obj-size-col 4}).batches(reg) → 113,872 reads of 48,974 objects, Σ size 4,205,978,112 B", async () => {
    const r = new LibCacheSimCsvReader(CSV, CP);
    const c = await collect(r);
    expect(c.n).toBe(113_872);
    expect(r.distinctKeys).toBe(48_974);
    expect(sum(c.vlen)).toBe(4_205_978_112);
    expect(sum(c.reg.keyLen)).toBe(387_840);
    expect(c.op.every((o) => o === OP_CACHE_GET)).toBe(true);
    expect(c.t[0]).toBe(0);
    expect(c.t[c.n - 1]).toBe(7_200_000_000);
    expect([...c.key.slice(0, 4)]).toEqual([0, 1, 2, 3]);
    expect(r.keyName(0)).toBe("42932745");
    expect(r.keyName(3)).toBe("40409911");
    expect([...c.vlen.slice(0, 4)]).toEqual([512, 512, 512, 6656]);
    // the same requests as the binary version of the trace, but with per-request sizes
    const bin = await collect(new OracleGeneralReader(REAL_BIN.path));
    expect(same(c.key, bin.key)).toBe(true);
    expect(same(c.t, bin.t)).toBe(true);
    let differ = 0;
    for (let i = 0; i < c.n; i++) if (c.vlen[i] !== bin.vlen[i]) differ++;
    expect(differ).toBe(13_671);
  });
});

const SYN = syntheticBlockTrace(20_000, 6_000, 11);

describe("LibCacheSimCsvReader on a generated trace in the CloudPhysics CSV layout", () => {
  const dir = tmp();
  const csv = write(dir, "syn.csv", blockTraceCsv(SYN));
  // the distinct ids in first-seen order, as the reader must name them
  const names = [...new Set(SYN.id)].map(String);

  it("new LibCacheSimCsvReader(syn.csv, {time-col 2, obj-id-col 5, obj-size-col 4}).batches(reg) → every row, per-request sizes, the same keys and times as the oracleGeneral form", async () => {
    const r = new LibCacheSimCsvReader(csv, CP);
    const c = await collect(r);
    expect(c.n).toBe(SYN.n);
    expect(r.distinctKeys).toBe(names.length);
    expect(names.map((_, k) => r.keyName(k))).toEqual(names);
    expect(sum(c.reg.keyLen)).toBe(names.reduce((a, x) => a + x.length, 0));
    expect(same(c.vlen, Float64Array.from(SYN.ioSize))).toBe(true);
    expect(c.op.every((o) => o === OP_CACHE_GET)).toBe(true);
    expect(same(c.t, Float64Array.from(SYN.timeS, (s) => (s - SYN.timeS[0]) * 1e6))).toBe(true);
    // the same requests as the binary form, which has one size per object
    const bin = await collect(new OracleGeneralReader(write(dir, "syn.oracleGeneral.bin", blockTraceOracleGeneral(SYN))));
    expect(same(c.key, bin.key)).toBe(true);
    expect(same(c.t, bin.t)).toBe(true);
    let differ = 0;
    for (let i = 0; i < c.n; i++) if (c.vlen[i] !== bin.vlen[i]) differ++;
    expect(differ).toBe(SYN.ioSize.filter((x, i) => x !== SYN.size[i]).length);
    expect(differ).toBeGreaterThan(0);
  });

  it("new LibCacheSimCsvReader(syn.csv.gz, {…, obj-id-is-num: false, mode: literal}) → the same keys, as text, and OP_GET", async () => {
    const gz = write(dir, "syn.csv.gz", gzipSync(readFileSync(csv)));
    const r = new LibCacheSimCsvReader(gz, { ...CP, objIdIsNum: false, mode: "literal" });
    const c = await collect(r);
    expect(c.n).toBe(SYN.n);
    expect(r.distinctKeys).toBe(names.length);
    expect(r.keyName(0)).toBe(names[0]);
    expect(sum(c.reg.keyLen)).toBe(names.reduce((a, x) => a + x.length, 0));
    expect(c.op.every((o) => o === OP_GET)).toBe(true);
  });

  it("new LibCacheSimCsvReader(syn.csv, {obj-id-col 6}).batches(reg) → InputError: line 2 has 5 fields", async () => {
    const e = await rejection(collect(new LibCacheSimCsvReader(csv, { ...CP, objIdCol: 6 })));
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toBe(`${csv}:2: expected at least 6 fields separated by ",", found 5`);
  });

  it("new LibCacheSimCsvReader(syn.csv, {obj-size-col 3}).batches(reg) → InputError at the first write: \"2a\" is not a size (\"28\" reads as 28 B)", async () => {
    const line = SYN.op.indexOf("2a") + 2;
    const e = await rejection(collect(new LibCacheSimCsvReader(csv, { ...CP, objSizeCol: 3 })));
    expect(e.message).toBe(`${csv}:${line}: column 3 (obj-size-col): "2a" is not a whole number of bytes ≥ 0`);
  });
});

describe("LibCacheSimCsvReader on fixtures", () => {
  it("new LibCacheSimCsvReader(';'-separated, no header, ms, op and TTL columns).batches(reg) → reads, writes, deletes with TTLs", async () => {
    const f = write(tmp(), "ops.txt", ["1000;a;get;10;0", "1500;b;SET;20;30", "1500;a;write;5;0.5", "2000;b;delete;0;0", "2500;18446744073709551615;read;1;0"].join("\n"));
    const r = new LibCacheSimCsvReader(f, { timeCol: 1, objIdCol: 2, opCol: 3, objSizeCol: 4, ttlCol: 5, delimiter: ";", hasHeader: false, objIdIsNum: false, timeUnit: "ms" });
    const c = await collect(r);
    expect([...c.t]).toEqual([0, 500_000, 500_000, 1_000_000, 1_500_000]);
    expect([...c.op]).toEqual([OP_CACHE_GET, OP_SET, OP_SET, OP_DEL, OP_CACHE_GET]);
    expect([...c.vlen]).toEqual([10, 20, 5, 0, 1]);
    expect([...c.ttlMs]).toEqual([0, 30_000, 500, 0, 0]);
    expect([...c.key]).toEqual([0, 1, 0, 1, 2]);
    expect(r.keyName(2)).toBe("18446744073709551615");
  });

  it("new LibCacheSimCsvReader(tab-separated, µs, 64-bit numeric ids).keyName(id) → the decimal id", async () => {
    const f = write(tmp(), "ids.tsv", ["t\tid\tsize", "5\t007\t1", "7\t18446744073709551615\t2", "9\t7\t3"].join("\n"));
    const r = new LibCacheSimCsvReader(f, { timeCol: 1, objIdCol: 2, objSizeCol: 3, delimiter: "\t", timeUnit: "us" });
    const c = await collect(r);
    expect([...c.t]).toEqual([0, 2, 4]);
    expect([...c.key]).toEqual([0, 1, 0]);
    expect([r.keyName(0), r.keyName(1)]).toEqual(["7", "18446744073709551615"]);
    expect(c.reg.keyLen).toEqual([1, 20]);
  });

  const BAD: [string, string, LibCacheSimCsvOptions, string][] = [
    ["a non-numeric time", "t,id,size\n1,4,1\nnoon,4,1\n", { timeCol: 1, objIdCol: 2, objSizeCol: 3 }, `:3: column 1 (time-col): "noon" is not a time ≥ 0`],
    ["time going backwards", "t,id,size\n10,1,1\n12,2,1\n11,3,1\n", { timeCol: 1, objIdCol: 2, objSizeCol: 3 }, `:4: column 1 (time-col): time 11 is earlier than the previous row's: a trace must be in time order`],
    ["a text id with obj-id-is-num", "t,id,size\n1,abc,1\n", { timeCol: 1, objIdCol: 2, objSizeCol: 3 }, `:2: column 2 (obj-id-col): "abc" is not an unsigned 64-bit integer (give obj-id-is-num: false for text ids)`],
    ["an id of 2^64", "t,id,size\n1,18446744073709551616,1\n", { timeCol: 1, objIdCol: 2, objSizeCol: 3 }, `:2: column 2 (obj-id-col): "18446744073709551616" is not an unsigned 64-bit integer (give obj-id-is-num: false for text ids)`],
    ["an unknown op", "1,4,1,get\n2,4,1,put\n", { timeCol: 1, objIdCol: 2, objSizeCol: 3, opCol: 4, hasHeader: false }, `:2: column 4 (op-col): operation "put" is not one of read, get, gets, write, set, add, replace, cas, append, prepend, incr, decr, delete, del`],
    ["a bad TTL", "t,id,size,ttl\n1,1,1,forever\n", { timeCol: 1, objIdCol: 2, objSizeCol: 3, ttlCol: 4 }, `:2: column 4 (ttl-col): "forever" is not a TTL in seconds ≥ 0 (0 = none)`],
  ];
  for (const [what, content, opts, msg] of BAD)
    it(`new LibCacheSimCsvReader(${what}).batches(reg) → InputError "file${msg.slice(0, 40)}…"`, async () => {
      const f = write(tmp(), "bad.csv", content);
      const e = await rejection(collect(new LibCacheSimCsvReader(f, opts)));
      expect(e).toBeInstanceOf(InputError);
      expect(e.message).toBe(f + msg);
    });

  it("new LibCacheSimCsvReader(file, {time-col 0} | {delimiter '::'}) → InputError at once", () => {
    expect(() => new LibCacheSimCsvReader("x.csv", { timeCol: 0, objIdCol: 1, objSizeCol: 2 })).toThrow(/time-col 0 is not a column number from 1 to 64/);
    expect(() => new LibCacheSimCsvReader("x.csv", { timeCol: 1, objIdCol: 2, objSizeCol: 3, delimiter: "::" })).toThrow(/delimiter "::" is not one ASCII character/);
  });
});
