import { execFileSync } from "node:child_process";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.ts";
import { OP_CACHE_GET, OP_DEL, OP_GET, OP_SET } from "../../src/workload/request.ts";
import { TwitterTraceReader } from "../../src/io/traces/twitter.ts";
import { collect, haveCommand, rejection, same, tmp, write } from "../support/traces.ts";

/* Twitter cache-trace CSV (timestamp,key,key size,value size,client id,operation,TTL), on fixtures written here. */

const ROWS = [
  "1000,q:q:1:8WTfjZU14ee,17,0,1,get,0",
  "1000,q:q:1:8WTfjZU14ee,17,27,1,set,3600",
  "1001,a,b,8,100,2,gets,0", // a key with a comma: "a,b"
  "1001,u:7,40,64,3,add,0",
  "1002,u:7,40,70,3,Replace,60",
  "",
  "1002,u:7,40,70,3,cas,60",
  "1003,u:7,40,71,3,append,0",
  "1003,u:7,40,72,3,prepend,0",
  "1004,n:1,3,8,4,incr,0",
  "1004,n:1,3,8,4,decr,0",
  "1005,q:q:1:8WTfjZU14ee,17,0,1,delete,0",
];

describe("TwitterTraceReader", () => {
  it("new TwitterTraceReader(12 lines).batches(reg) → 11 requests: reads, writes with value size and TTL, a delete; key length = key size", async () => {
    const f = write(tmp(), "cluster.csv", ROWS.join("\r\n") + "\r\n");
    const r = new TwitterTraceReader(f);
    const c = await collect(r);
    expect(c.n).toBe(11);
    expect(r.distinctKeys).toBe(4);
    expect([0, 1, 2, 3].map((k) => r.keyName(k))).toEqual(["q:q:1:8WTfjZU14ee", "a,b", "u:7", "n:1"]);
    expect(c.reg.keyLen).toEqual([17, 8, 40, 3]);
    expect([...c.key]).toEqual([0, 0, 1, 2, 2, 2, 2, 2, 3, 3, 0]);
    expect([...c.t]).toEqual([0, 0, 1e6, 1e6, 2e6, 2e6, 3e6, 3e6, 4e6, 4e6, 5e6]);
    expect([...c.op]).toEqual([OP_CACHE_GET, OP_SET, OP_CACHE_GET, OP_SET, OP_SET, OP_SET, OP_SET, OP_SET, OP_SET, OP_SET, OP_DEL]);
    expect([...c.vlen]).toEqual([0, 27, 100, 64, 70, 70, 71, 72, 8, 8, 0]);
    expect([...c.ttlMs]).toEqual([0, 3_600_000, 0, 0, 60_000, 60_000, 0, 0, 0, 0, 0]);
    const lit = await collect(new TwitterTraceReader(f, "literal"));
    expect([lit.op[0], lit.op[2]]).toEqual([OP_GET, OP_GET]);
  });

  it("new TwitterTraceReader(cluster.csv.gz | .zst) → the same requests as the plain file", async () => {
    const dir = tmp();
    const rows: string[] = [];
    for (let i = 0; i < 70_000; i++) rows.push(`${1_600_000_000 + (i >> 4)},k${(i * 37) % 4099},${10 + (i % 5)},${i % 300},${i % 9},${i % 11 === 0 ? "set" : "get"},${i % 11 === 0 ? 30 : 0}`);
    const text = rows.join("\n");
    const plain = write(dir, "cluster.csv", text);
    const ref = await collect(new TwitterTraceReader(plain));
    expect(ref.n).toBe(70_000);
    expect(ref.t[ref.n - 1]).toBe((69_999 >> 4) * 1e6);
    const files = [write(dir, "cluster.csv.gz", gzipSync(text))];
    if (haveCommand("zstd")) files.push(write(dir, "cluster.csv.zst", execFileSync("zstd", ["-q", "-c", plain])));
    for (const f of files) {
      const c = await collect(new TwitterTraceReader(f));
      expect(c.n, f).toBe(70_000);
      expect(same(c.key, ref.key) && same(c.t, ref.t) && same(c.op, ref.op) && same(c.vlen, ref.vlen) && same(c.ttlMs, ref.ttlMs), f).toBe(true);
    }
  });

  const BAD: [string, string, string][] = [
    ["an unknown operation", "5,k,1,1,1,get,0\n5,k,1,1,1,touch,0\n", `:2: operation "touch" is not one of get, gets, set, add, replace, cas, append, prepend, incr, decr, delete`],
    ["a non-numeric time", "5,k,1,1,1,get,0\n\n5s,k,1,1,1,get,0\n", `:3: timestamp "5s" is not a time in seconds ≥ 0`],
    ["time going backwards", "5,k,1,1,1,get,0\n4,k,1,1,1,get,0\n", `:2: timestamp 4 is earlier than the previous row: a trace must be in time order`],
    ["a row of 6 fields", "5,k,1,1,1,get\n", `:1: expected 7 fields (timestamp,key,key size,value size,client id,operation,TTL), found 6`],
    ["a bad key size", "5,k,x,1,1,get,0\n", `:1: key size "x" is not a whole number of bytes ≥ 0`],
    ["a bad value size", "5,k,1,-3,1,set,0\n", `:1: value size "-3" is not a whole number of bytes ≥ 0`],
    ["a bad TTL", "5,k,1,1,1,set,never\n", `:1: TTL "never" is not a number of seconds ≥ 0 (0 = none)`],
  ];
  for (const [what, content, msg] of BAD)
    it(`new TwitterTraceReader(${what}).batches(reg) → InputError "file${msg.slice(0, 40)}…"`, async () => {
      const f = write(tmp(), "bad.csv", content);
      const e = await rejection(collect(new TwitterTraceReader(f)));
      expect(e).toBeInstanceOf(InputError);
      expect(e.message).toBe(f + msg);
    });
});
