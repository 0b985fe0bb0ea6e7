import { execFileSync } from "node:child_process";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.ts";
import { OP_CACHE_GET, OP_DEL, OP_GET, OP_SET } from "../../src/workload/request.ts";
import { CsvTraceReader, TRACE_CSV_HEADER } from "../../src/io/traces/csv.ts";
import { collect, haveCommand, rejection, same, tmp, write } from "../support/traces.ts";

/*
 * Our CSV (t_ms,op,key,value_size,ttl_s), on fixtures written here. Every expected value is written out
 * (or, for the generated 80,000-row file, computed from the values each row was generated from), never
 * taken from another reader. Op codes (../../workload/request.ts): OP_CACHE_GET 0, OP_GET 1, OP_SET 2,
 * OP_DEL 3. Times: t_ms × 1000 → µs (rounded); TTLs: ttl_s × 1000 → ms.
 */

/** The header, spelled out (not TRACE_CSV_HEADER), so that a change to the constant shows. */
const H = "t_ms,op,key,value_size,ttl_s";

const FIXTURE = [
  H, //                           line 1
  "0,GET,user:1,100,0", //         line 2
  "0,SET,user:2,2048,60", //       line 3
  "", //                           line 4 (blank: skipped)
  "1.5,get,user:1,100,0", //       line 5
  "2,Set,clé:ü,10,0.5", //         line 6 (UTF-8 key: 7 bytes)
  "2.0004,DEL,user:2,,", //        line 7
  "2.9996,GET,user:3,1e3,", //     line 8
  " 4,GET,user:4, 7, 1", //        line 9
  "5,SET,user:1,0,3600", //        line 10 (no line end after it)
].join("\r\n");

describe("CsvTraceReader (our CSV)", () => {
  it('TRACE_CSV_HEADER (exported by ./csv.ts) → "t_ms,op,key,value_size,ttl_s"', () => {
    expect(TRACE_CSV_HEADER).toBe(H);
  });

  it("new CsvTraceReader(fixture, cache-aside | literal).batches(reg) → the requests, keys and key lengths written out by hand", async () => {
    const f = write(tmp(), "t.csv", FIXTURE);
    /*
     * Row by row (CRLF line ends; the blank line 4 gives no request):
     *   line 2  "0,GET,user:1,100,0"    t 0 µs;    GET; user:1 new → id 0 (6 bytes); 100 B; TTL 0
     *   line 3  "0,SET,user:2,2048,60"  t 0 µs;    SET; user:2 new → id 1 (6 bytes); 2048 B; 60 s → 60,000 ms
     *   line 5  "1.5,get,user:1,100,0"  t 1500 µs; get (any case) → GET; user:1 → id 0; 100 B; TTL 0
     *   line 6  "2,Set,clé:ü,10,0.5"    t 2000 µs; Set → SET; clé:ü new → id 2, c l é(2) : ü(2) = 7 bytes; 10 B; 0.5 s → 500 ms
     *   line 7  "2.0004,DEL,user:2,,"   2000.4 µs rounds to 2000; DEL; user:2 → id 1; empty size → 0; empty TTL → 0
     *   line 8  "2.9996,GET,user:3,1e3," 2999.6 µs rounds to 3000; GET; user:3 new → id 3 (6 bytes); 1e3 = 1000 B; empty TTL → 0
     *   line 9  " 4,GET,user:4, 7, 1"   " 4" = 4 ms → 4000 µs; GET; user:4 new → id 4 (6 bytes); " 7" = 7 B; " 1" = 1 s → 1000 ms
     *   line 10 "5,SET,user:1,0,3600"   t 5000 µs; SET; user:1 → id 0; 0 B; 3600 s → 3,600,000 ms
     * GET is OP_CACHE_GET (0) in mode cache-aside, OP_GET (1) in mode literal; SET is 2, DEL 3.
     */
    const t = [0, 0, 1500, 2000, 2000, 3000, 4000, 5000];
    const key = [0, 1, 0, 2, 1, 3, 4, 0];
    const vlen = [100, 2048, 100, 10, 0, 1000, 7, 0];
    const ttlMs = [0, 60_000, 0, 500, 0, 0, 1000, 3_600_000];
    const ops = {
      "cache-aside": [0, 2, 0, 2, 3, 0, 0, 2],
      literal: [1, 2, 1, 2, 3, 1, 1, 2],
    };
    // the op codes above, as the constants they are
    expect([OP_CACHE_GET, OP_GET, OP_SET, OP_DEL]).toEqual([0, 1, 2, 3]);
    for (const mode of ["cache-aside", "literal"] as const) {
      const r = new CsvTraceReader(f, mode);
      const c = await collect(r);
      expect(c.n, mode).toBe(8);
      expect(c.batches, mode).toEqual([8]);
      expect([...c.t], mode).toEqual(t);
      expect([...c.op], mode).toEqual(ops[mode]);
      expect([...c.key], mode).toEqual(key);
      expect([...c.vlen], mode).toEqual(vlen);
      expect([...c.ttlMs], mode).toEqual(ttlMs);
      expect(c.nextAccess.every((x) => Number.isNaN(x)), mode).toBe(true);
      // defineKey(id, db 0, key length in bytes), once per key, in id order
      expect(c.reg.keyLen, mode).toEqual([6, 6, 7, 6, 6]);
      expect(c.reg.db, mode).toEqual([0, 0, 0, 0, 0]);
      expect(r.distinctKeys, mode).toBe(5);
      expect([0, 1, 2, 3, 4].map((k) => r.keyName(k)), mode).toEqual(["user:1", "user:2", "clé:ü", "user:3", "user:4"]);
    }
  });

  it("new CsvTraceReader(80,000 rows (2.8 MB), plain | .gz | .zst | .xz).batches(reg) → rows cut by chunk boundaries read whole", async () => {
    const dir = tmp();
    /*
     * Row i: t_ms i/4; SET when i % 7 = 0, else GET; key `key:<m>:` + "x" × (m % 13) with m = 7919·i mod 30011;
     * value_size 31·i mod 5000; ttl_s i % 3. 30011 is prime and 7919 < 30011, so i ↦ m is one-to-one on
     * 0 ≤ i < 30011 and repeats with period 30011: rows 0…30010 bring the 30,011 distinct keys in order
     * (row i's key gets id i), and row i ≥ 30011 repeats the key of row i − 30011 (id i % 30011) —
     * including across the batch boundary at row 65,536.
     */
    const N = 80_000;
    const rows = [H];
    const t = new Float64Array(N), op = new Uint8Array(N), key = new Int32Array(N), vlen = new Float64Array(N), ttlMs = new Float64Array(N);
    const keyLen: number[] = [];
    const names: string[] = [];
    for (let i = 0; i < N; i++) {
      const m = (i * 7919) % 30011;
      const name = `key:${m}:${"x".repeat(m % 13)}`;
      const set = i % 7 === 0;
      const size = (i * 31) % 5000;
      const ttl = i % 3;
      rows.push(`${i * 0.25},${set ? "SET" : "GET"},${name},${size},${ttl}`);
      t[i] = i * 250; // i/4 ms, exact in binary and in the decimal text
      op[i] = set ? OP_SET : OP_CACHE_GET;
      key[i] = i % 30011;
      if (i < 30011) {
        keyLen.push(name.length); // ASCII: bytes = characters
        names.push(name);
      }
      vlen[i] = size;
      ttlMs[i] = ttl * 1000;
    }
    const text = rows.join("\n") + "\n";
    expect(text.length).toBe(2_788_145);
    // plain files are read in 1 MiB chunks: neither boundary falls after a line end, so rows are cut there
    for (const at of [1 << 20, 2 << 20]) expect(text.charCodeAt(at - 1), `byte ${at - 1}`).not.toBe(10);
    // a few rows written out by hand, to check the expected arrays themselves
    expect([1, 7, 30011, 79999].map((i) => rows[i + 1])).toEqual([
      "0.25,GET,key:7919:xx,31,1", // m 7919, 7919 % 13 = 2
      "1.75,SET,key:25422:xxxxxxx,217,1", // 7 % 7 = 0 → SET; m 55433 − 30011 = 25422, 25422 % 13 = 7
      "7502.75,GET,key:0:,341,2", // m 0: the key of row 0; 930341 mod 5000 = 341; 30011 % 3 = 2
      "19999.75,GET,key:9882:xx,4969,1", // the key of row 79999 − 2·30011 = 19977
    ]);
    expect([0, 1, 7, 30011, 79999].map((i) => [t[i], op[i], key[i], vlen[i], ttlMs[i]])).toEqual([
      [0, OP_SET, 0, 0, 0],
      [250, OP_CACHE_GET, 1, 31, 1000],
      [1750, OP_SET, 7, 217, 1000],
      [7_502_750, OP_CACHE_GET, 0, 341, 2000],
      [19_999_750, OP_CACHE_GET, 19_977, 4969, 1000],
    ]);
    expect([keyLen[0], keyLen[1], keyLen[7], keyLen[19_977]]).toEqual([6, 11, 17, 11]); // "key:0:", "key:7919:xx", "key:25422:xxxxxxx", "key:9882:xx"

    const plain = write(dir, "big.csv", text);
    const files = [plain, write(dir, "big.csv.gz", gzipSync(text))];
    if (haveCommand("zstd")) files.push(write(dir, "big.csv.zst", execFileSync("zstd", ["-q", "-c", plain], { maxBuffer: 1 << 26 })));
    if (haveCommand("xz")) files.push(write(dir, "big.csv.xz", execFileSync("xz", ["-c", "-1", plain], { maxBuffer: 1 << 26 })));
    for (const f of files) {
      const r = new CsvTraceReader(f);
      const c = await collect(r);
      expect(c.n, f).toBe(N);
      expect(c.batches, f).toEqual([65_536, 14_464]);
      expect(same(c.t, t), `${f}: t`).toBe(true);
      expect(same(c.op, op), `${f}: op`).toBe(true);
      expect(same(c.key, key), `${f}: key`).toBe(true);
      expect(same(c.vlen, vlen), `${f}: vlen`).toBe(true);
      expect(same(c.ttlMs, ttlMs), `${f}: ttlMs`).toBe(true);
      expect(c.reg.keyLen, f).toEqual(keyLen);
      expect(r.distinctKeys, f).toBe(30_011);
      expect([0, 1, 7, 19_977, 30_010].map((k) => r.keyName(k)), f).toEqual([0, 1, 7, 19_977, 30_010].map((k) => names[k]));
    }
  });

  /*
   * Each malformed input, and its message after the file name. Line numbers count every line from 1:
   * the header is line 1, blank lines count.
   */
  const BAD: [string, string, string][] = [
    // line 1 is not the header
    ["a wrong header", "t,op,key\n0,GET,a,1,0\n", ':1: expected the header "t_ms,op,key,value_size,ttl_s" (is this one of our CSV traces? other layouts: format twitter or libcachesim-csv)'],
    // no line 1 at all: reported at line 1
    ["an empty file", "", ':1: the file is empty: expected the header "t_ms,op,key,value_size,ttl_s"'],
    // line 2 good; line 3 "1,GET,a,1" has 3 commas → 4 fields
    ["a row with 4 fields", `${H}\n0,GET,a,1,0\n1,GET,a,1\n`, ':3: expected 5 fields (t_ms,op,key,value_size,ttl_s), found 4'],
    // line 2 good, line 3 blank, line 4 has t_ms "soon"
    ["a non-numeric time", `${H}\n0,GET,a,1,0\n\nsoon,GET,a,1,0\n`, ':4: t_ms "soon" is not a time in ms ≥ 0'],
    // line 2 has an empty t_ms (not read as 0)
    ["an empty time", `${H}\n,GET,a,1,0\n`, ':2: t_ms "" is not a time in ms ≥ 0'],
    // line 2 has t_ms -1
    ["a negative time", `${H}\n-1,GET,a,1,0\n`, ':2: t_ms "-1" is not a time in ms ≥ 0'],
    // line 2 at 5 ms, line 3 at 4.9 ms
    ["time going backwards", `${H}\n5,GET,a,1,0\n4.9,GET,a,1,0\n`, ":3: t_ms 4.9 is earlier than the previous row: a trace must be in time order"],
    // line 2 good; line 3 has op PUT
    ["an unknown op", `${H}\n0,GET,a,1,0\n1,PUT,a,1,0\n`, ':3: op "PUT" is not one of GET, SET, DEL'],
    // line 2 has nothing between the 2nd and 3rd comma
    ["an empty key", `${H}\n0,GET,,1,0\n`, ":2: empty key"],
    // line 2 has value_size 1.5
    ["a fractional size", `${H}\n0,SET,a,1.5,0\n`, ':2: value_size "1.5" is not a whole number of bytes ≥ 0'],
    // line 2 has ttl_s -2
    ["a negative TTL", `${H}\n0,SET,a,1,-2\n`, ':2: ttl_s "-2" is not a number of seconds ≥ 0 (0 = no TTL)'],
  ];
  for (const [what, content, msg] of BAD)
    it(`new CsvTraceReader(${what}).batches(reg) → InputError "file${msg}"`, async () => {
      const f = write(tmp(), "bad.csv", content);
      const e = await rejection(collect(new CsvTraceReader(f)));
      expect(e).toBeInstanceOf(InputError);
      expect(e.message).toBe(f + msg);
    });

  it("new CsvTraceReader(a key of 65,536 bytes).batches(reg) → InputError: key longer than 65535 bytes", async () => {
    // line 1 header, line 2 the row with the 65,536-byte key (one more than the limit)
    const f = write(tmp(), "long.csv", `${H}\n0,GET,${"k".repeat(65_536)},1,0\n`);
    const e = await rejection(collect(new CsvTraceReader(f)));
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toBe(`${f}:2: key longer than 65535 bytes`);
  });

  it("new CsvTraceReader(a bad row after 3,000 good ones).batches(reg) → InputError at line 3002", async () => {
    // line 1 header, lines 2…3001 the good rows 0…2999, line 3002 the PUT (no line end after it)
    const rows = [H];
    for (let i = 0; i < 3000; i++) rows.push(`${i},GET,k${i % 50},100,0`);
    rows.push("3000,PUT,k1,100,0");
    const f = write(tmp(), "t.csv", rows.join("\n"));
    const e = await rejection(collect(new CsvTraceReader(f)));
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toBe(`${f}:3002: op "PUT" is not one of GET, SET, DEL`);
  });
});
