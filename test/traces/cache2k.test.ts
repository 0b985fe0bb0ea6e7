import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.ts";
import { OP_CACHE_GET, OP_GET } from "../../src/workload/request.ts";
import { Cache2kReader } from "../../src/io/traces/cache2k.ts";
import { collect, fixture, haveCommand, RecordingRegistry, rejection, same, sharedTrace, sum, tmp, write } from "../support/traces.ts";

/*
 * web12.trace.xz and orm-busy.trace.xz: cache2k traces, copied from ben-manes/caffeine @ ccef955,
 * simulator/src/main/resources/com/github/benmanes/caffeine/cache/simulator/parser/cache2k/;
 * "copyrighted by headissue GmbH, Jens Wilke and provided under the CC BY 4.0 license". web12 (136 kB)
 * ships with the repository, unmodified, with that licence and its attribution beside it
 * (test/fixtures/traces/cache2k/); orm-busy (787 kB, 5 M requests) does not, and its test is an extra
 * that skips by name where ../shared/data/traces/ is absent.
 *
 * Pinned figures checked once with `xz -dc f.trace.xz > f.trace` and Python
 * (ks = struct.unpack(">%di" % (len(b) // 4), b)): web12 95,607 keys (382,428 B), 13,756 distinct, the
 * first five 0, 1, 2, 3, 4, Σ len(str(k)) over distinct keys 57,670; orm-busy 5,000,000 keys
 * (20,000,000 B), 76,349 distinct of which 62,959 negative, first three −268435455, −2013265408,
 * −2013264896, Σ len(str(k)) 806,310.
 */
const WEB12 = fixture("traces/cache2k/web12.trace.xz");
const ORM = sharedTrace("cache2k/orm-busy.trace.xz");

describe("Cache2kReader on web12.trace.xz (a real cache2k trace, shipped in test/fixtures/)", () => {
  it("new Cache2kReader(web12.trace.xz).batches(reg) → 95,607 reads of 13,756 keys, 1 ms apart, 100 B each", async () => {
    const r = new Cache2kReader(WEB12);
    const c = await collect(r);
    expect(c.n).toBe(95_607);
    expect(r.distinctKeys).toBe(13_756);
    expect(sum(c.reg.keyLen)).toBe(57_670);
    expect([0, 1, 2, 3, 4].map((k) => r.keyName(k))).toEqual(["0", "1", "2", "3", "4"]);
    expect([...c.key.slice(0, 5)]).toEqual([0, 1, 2, 3, 4]);
    expect([...c.t.slice(0, 3)]).toEqual([0, 1000, 2000]);
    expect(c.t[c.n - 1]).toBe(95_606_000);
    expect(c.op.every((o) => o === OP_CACHE_GET)).toBe(true);
    expect(c.vlen.every((v) => v === 100)).toBe(true);
    expect(c.ttlMs.every((v) => v === 0)).toBe(true);
    expect(c.nextAccess.every((v) => Number.isNaN(v))).toBe(true);
  });

  it.skipIf(!haveCommand("xz"))("new Cache2kReader(web12.trace, {rate 250, value-size 2048, mode literal}) → the same keys from the decompressed file, 4 ms apart", async () => {
    const plain = write(tmp(), "web12.trace", execFileSync("xz", ["-dc", WEB12], { maxBuffer: 1 << 26 }));
    const xz = await collect(new Cache2kReader(WEB12));
    const c = await collect(new Cache2kReader(plain, { rate: 250, valueSize: 2048, mode: "literal" }));
    expect(same(c.key, xz.key)).toBe(true);
    expect(c.t[1]).toBe(4000);
    expect(c.t[c.n - 1]).toBe(95_606 * 4000);
    expect(c.vlen.every((v) => v === 2048)).toBe(true);
    expect(c.op.every((o) => o === OP_GET)).toBe(true);
  });

  it("new Cache2kReader(web12.trace.xz): leaving the loop after one batch frees the xz decoder for the next reader", async () => {
    for await (const _ of new Cache2kReader(WEB12).batches(new RecordingRegistry())) break;
    // xz-decompress decodes one stream at a time: without the cancel on early exit this would hang
    const c = await collect(new Cache2kReader(WEB12));
    expect(c.n).toBe(95_607);
  }, 20_000);

  it("new Cache2kReader(web12.trace.xz cut to 50,000 bytes).batches(reg) → InputError: not valid xz data", async () => {
    const cut = write(tmp(), "cut.trace.xz", readFileSync(WEB12).subarray(0, 50_000));
    const e = await rejection(collect(new Cache2kReader(cut)));
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toBe(`${cut}: not valid xz data (corrupt or truncated?)`);
    // and the decoder is free again
    expect((await collect(new Cache2kReader(WEB12))).n).toBe(95_607);
  }, 20_000);
});

describe.skipIf(!ORM.have)(`Cache2kReader on the real orm-busy.trace.xz (${ORM.needs})`, () => {
  it("new Cache2kReader(orm-busy.trace.xz).batches(reg) → 5,000,000 reads of 76,349 keys, negative ones named with their sign", async () => {
    const r = new Cache2kReader(ORM.path);
    const reg = new RecordingRegistry();
    let n = 0;
    const first: number[] = [];
    for await (const b of r.batches(reg)) {
      if (n === 0) first.push(b.key[0], b.key[1], b.key[2]);
      n += b.n;
    }
    expect(n).toBe(5_000_000);
    expect(r.distinctKeys).toBe(76_349);
    expect(sum(reg.keyLen)).toBe(806_310);
    expect(first.map((k) => r.keyName(k))).toEqual(["-268435455", "-2013265408", "-2013264896"]);
    let negative = 0;
    for (let k = 0; k < r.distinctKeys; k++) if (r.keyName(k).startsWith("-")) negative++;
    expect(negative).toBe(62_959);
  });
});

describe("Cache2kReader on made-up keys", () => {
  it("new Cache2kReader(10 bytes).batches(reg) → InputError: record 3 is truncated", async () => {
    const f = write(tmp(), "odd.trace", Buffer.from([0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe, 0, 0]));
    const e = await rejection(collect(new Cache2kReader(f)));
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toBe(`${f}: record 3 is truncated: the trace holds 10 bytes, not a whole number of 4-byte keys`);
  });

  it("new Cache2kReader(keys 1, −2, 1, −2147483648, rate 3).batches(reg) → ids 0 1 0 2, times rounded to the µs", async () => {
    const b = Buffer.alloc(16);
    [1, -2, 1, -2147483648].forEach((k, i) => b.writeInt32BE(k, 4 * i));
    const r = new Cache2kReader(write(tmp(), "k.trace", b), { rate: 3 });
    const c = await collect(r);
    expect([...c.key]).toEqual([0, 1, 0, 2]);
    expect([0, 1, 2].map((k) => r.keyName(k))).toEqual(["1", "-2", "-2147483648"]);
    expect(c.reg.keyLen).toEqual([1, 2, 11]);
    expect([...c.t]).toEqual([0, 333_333, 666_667, 1_000_000]);
  });

  it("new Cache2kReader(file, {rate 0}) → InputError", () => {
    expect(() => new Cache2kReader("x.trace", { rate: 0 })).toThrow(InputError);
  });
});
