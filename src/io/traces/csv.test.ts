import { execFileSync } from "node:child_process";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { InputError } from "../../errors.ts";
import { OP_CACHE_GET, OP_DEL, OP_GET, OP_SET, Request } from "../../workload/request.ts";
import { CsvTraceSource, TRACE_CSV_HEADER } from "../trace-csv.ts";
import { CsvTraceReader } from "./csv.ts";
import { collect, haveCommand, RecordingRegistry, rejection, same, tmp, write } from "./test-helpers.ts";

/* Our CSV (t_ms,op,key,value_size,ttl_s), on fixtures written here; checked against the synchronous CsvTraceSource. */

const H = TRACE_CSV_HEADER;

/** What the old synchronous reader makes of `file`: requests, key lengths, or its error. */
function viaOld(file: string, mode: "cache-aside" | "literal" = "cache-aside") {
  const reg = new RecordingRegistry();
  const out = { t: [] as number[], op: [] as number[], key: [] as number[], vlen: [] as number[], ttlMs: [] as number[], keyLen: reg.keyLen };
  const src = new CsvTraceSource(file, mode, reg);
  const req = new Request();
  while (src.next(req)) {
    out.t.push(req.t);
    out.op.push(req.op);
    out.key.push(req.key);
    out.vlen.push(req.vlen);
    out.ttlMs.push(req.ttlMs);
  }
  return out;
}

async function viaNew(file: string, mode: "cache-aside" | "literal" = "cache-aside") {
  const c = await collect(new CsvTraceReader(file, mode));
  return { t: [...c.t], op: [...c.op], key: [...c.key], vlen: [...c.vlen], ttlMs: [...c.ttlMs], keyLen: c.reg.keyLen };
}

const FIXTURE = [
  H,
  "0,GET,user:1,100,0",
  "0,SET,user:2,2048,60",
  "",
  "1.5,get,user:1,100,0",
  "2,Set,clé:ü,10,0.5", // UTF-8 key: 7 bytes
  "2.0004,DEL,user:2,,",
  "3,GET,user:3,1e3,",
  " 4,GET,user:4, 7, 1",
  "5,SET,user:1,0,3600",
].join("\r\n");

describe("CsvTraceReader (our CSV)", () => {
  it("new CsvTraceReader(fixture).batches(reg) → the same requests, keys and key lengths as CsvTraceSource", async () => {
    const f = write(tmp(), "t.csv", FIXTURE);
    for (const mode of ["cache-aside", "literal"] as const) expect(await viaNew(f, mode)).toEqual(viaOld(f, mode));
    const r = new CsvTraceReader(f);
    const c = await collect(r);
    expect(c.n).toBe(8);
    expect(r.distinctKeys).toBe(5);
    expect([0, 1, 2, 3, 4].map((k) => r.keyName(k))).toEqual(["user:1", "user:2", "clé:ü", "user:3", "user:4"]);
    expect(c.reg.keyLen).toEqual([6, 6, 7, 6, 6]);
    expect([...c.t]).toEqual([0, 0, 1500, 2000, 2000, 3000, 4000, 5000]);
    expect([...c.op]).toEqual([OP_CACHE_GET, OP_SET, OP_CACHE_GET, OP_SET, OP_DEL, OP_CACHE_GET, OP_CACHE_GET, OP_SET]);
    expect([...c.vlen]).toEqual([100, 2048, 100, 10, 0, 1000, 7, 0]);
    expect([...c.ttlMs]).toEqual([0, 60_000, 0, 500, 0, 0, 1000, 3_600_000]);
    expect(c.nextAccess.every((x) => Number.isNaN(x))).toBe(true);
    const lit = await collect(new CsvTraceReader(f, "literal"));
    expect(lit.op[0]).toBe(OP_GET);
  });

  it("new CsvTraceReader(80,000 rows (2.8 MB), plain | .gz | .zst | .xz).batches(reg) → rows cut by chunk boundaries read as CsvTraceSource reads them", async () => {
    const dir = tmp();
    const rows = [H];
    for (let i = 0; i < 80_000; i++) rows.push(`${i * 0.25},${i % 7 === 0 ? "SET" : "GET"},key:${(i * 7919) % 30011}:${"x".repeat(i % 13)},${(i * 31) % 5000},${i % 3}`);
    const text = rows.join("\n") + "\n";
    const plain = write(dir, "big.csv", text);
    const old = viaOld(plain);
    const ref = await collect(new CsvTraceReader(plain));
    expect(ref.n).toBe(80_000);
    expect(ref.batches).toEqual([65_536, 14_464]);
    expect(same(ref.t, Float64Array.from(old.t))).toBe(true);
    expect(same(ref.key, Int32Array.from(old.key))).toBe(true);
    expect(same(ref.vlen, Float64Array.from(old.vlen))).toBe(true);
    expect(same(ref.ttlMs, Float64Array.from(old.ttlMs))).toBe(true);
    expect(same(ref.op, Uint8Array.from(old.op))).toBe(true);
    expect(ref.reg.keyLen).toEqual(old.keyLen);
    const files = [write(dir, "big.csv.gz", gzipSync(text))];
    if (haveCommand("zstd")) files.push(write(dir, "big.csv.zst", execFileSync("zstd", ["-q", "-c", plain], { maxBuffer: 1 << 26 })));
    if (haveCommand("xz")) files.push(write(dir, "big.csv.xz", execFileSync("xz", ["-c", "-1", plain], { maxBuffer: 1 << 26 })));
    for (const f of files) {
      const c = await collect(new CsvTraceReader(f));
      expect(c.n, f).toBe(80_000);
      expect(same(c.key, ref.key) && same(c.t, ref.t) && same(c.vlen, ref.vlen) && same(c.ttlMs, ref.ttlMs), f).toBe(true);
    }
  });

  // each malformed input, and the message both readers give
  const BAD: [string, string, string][] = [
    ["a wrong header", "t,op,key\n0,GET,a,1,0\n", `:1: expected the header "${H}", found "t,op,key"`],
    ["an empty file", "", `:1: expected the header "${H}", found "(empty file)"`],
    ["a row with 4 fields", `${H}\n0,GET,a,1,0\n1,GET,a,1\n`, `:3: expected 5 fields (${H}), found 4: "1,GET,a,1"`],
    ["a non-numeric time", `${H}\n0,GET,a,1,0\n\nsoon,GET,a,1,0\n`, `:4: t_ms "soon" is not a time in ms ≥ 0`],
    ["an empty time", `${H}\n,GET,a,1,0\n`, `:2: t_ms "" is not a time in ms ≥ 0`],
    ["a negative time", `${H}\n-1,GET,a,1,0\n`, `:2: t_ms "-1" is not a time in ms ≥ 0`],
    ["time going backwards", `${H}\n5,GET,a,1,0\n4.9,GET,a,1,0\n`, `:3: t_ms 4.9 is earlier than the previous row: a trace must be in time order`],
    ["an unknown op", `${H}\n0,GET,a,1,0\n1,PUT,a,1,0\n`, `:3: op "PUT" is not one of GET, SET, DEL`],
    ["an empty key", `${H}\n0,GET,,1,0\n`, `:2: empty key`],
    ["a fractional size", `${H}\n0,SET,a,1.5,0\n`, `:2: value_size "1.5" is not a whole number of bytes ≥ 0`],
    ["a negative TTL", `${H}\n0,SET,a,1,-2\n`, `:2: ttl_s "-2" is not a number of seconds ≥ 0 (0 = no TTL)`],
  ];
  for (const [what, content, msg] of BAD)
    it(`new CsvTraceReader(${what}).batches(reg) → InputError "file${msg}", as CsvTraceSource`, async () => {
      const f = write(tmp(), "bad.csv", content);
      const e = await rejection(collect(new CsvTraceReader(f)));
      expect(e).toBeInstanceOf(InputError);
      expect(e.message).toBe(f + msg);
      expect(() => viaOld(f)).toThrow(f + msg);
    });

  it("new CsvTraceReader(a key of 65,536 bytes).batches(reg) → InputError: key longer than 65535 bytes", async () => {
    const f = write(tmp(), "long.csv", `${H}\n0,GET,${"k".repeat(65_536)},1,0\n`);
    await expect(collect(new CsvTraceReader(f))).rejects.toThrow(`${f}:2: key longer than 65535 bytes`);
  });

  it("new CsvTraceReader(a row after 3,000 good ones).batches(reg) → the rows before it arrive, then InputError at line 3002", async () => {
    const rows = [H];
    for (let i = 0; i < 3000; i++) rows.push(`${i},GET,k${i % 50},100,0`);
    rows.push("3000,PUT,k1,100,0");
    const f = write(tmp(), "t.csv", rows.join("\n"));
    await expect(collect(new CsvTraceReader(f))).rejects.toThrow(`${f}:3002: op "PUT" is not one of GET, SET, DEL`);
  });
});
