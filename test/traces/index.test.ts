import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.ts";
import { traceSpec } from "../../src/scenario/trace-schema.ts";
import { Cache2kReader, CsvTraceReader, LibCacheSimCsvReader, openTrace, OracleGeneralReader, TwitterTraceReader } from "../../src/io/traces/index.ts";
import { blockTraceCsv, blockTraceOracleGeneral, collect, FIXTURES, sharedTrace, SHARED_TRACES, sum, syntheticBlockTrace, tmp, write } from "../support/traces.ts";

const CP_CSV = sharedTrace("libcachesim-cloudphysics/cloudPhysicsIO.csv");
const CP_BIN = sharedTrace("libcachesim-cloudphysics/cloudPhysicsIO.oracleGeneral.bin");

describe("openTrace(spec, baseDir)", () => {
  it("openTrace({path}, dir) → the reader the file name implies, the path resolved against dir", () => {
    const dir = tmp();
    for (const name of ["a.oracleGeneral.bin", "a.oracleGeneral.zst", "a.oracleGeneral.bin.zst", "b.bin", "w.trace", "w.trace.xz", "t.csv", "t.csv.gz", "T.CSV.ZST", "t.twitter.csv"]) write(dir, name, "");
    const kind = (path: string, format?: string) => openTrace({ path, format: format as never }, dir);
    expect(kind("a.oracleGeneral.bin")).toBeInstanceOf(OracleGeneralReader);
    expect(kind("a.oracleGeneral.zst")).toBeInstanceOf(OracleGeneralReader);
    expect(kind("a.oracleGeneral.bin.zst")).toBeInstanceOf(OracleGeneralReader);
    expect(kind("b.bin")).toBeInstanceOf(OracleGeneralReader);
    expect(kind("w.trace")).toBeInstanceOf(Cache2kReader);
    expect(kind("w.trace.xz")).toBeInstanceOf(Cache2kReader);
    expect(kind("t.csv")).toBeInstanceOf(CsvTraceReader);
    expect(kind("t.csv.gz")).toBeInstanceOf(CsvTraceReader);
    expect(kind("T.CSV.ZST")).toBeInstanceOf(CsvTraceReader);
    expect(kind(join(dir, "t.twitter.csv"), "twitter")).toBeInstanceOf(TwitterTraceReader);
    expect(openTrace({ path: "t.csv", format: "libcachesim-csv", "time-col": 1, "obj-id-col": 2, "obj-size-col": 3 }, dir)).toBeInstanceOf(LibCacheSimCsvReader);
  });

  it("openTrace({path: 'missing.csv'}, dir) → InputError: no such trace file", () => {
    const dir = tmp();
    expect(() => openTrace({ path: "missing.csv" }, dir)).toThrow(new InputError(`${join(dir, "missing.csv")}: no such trace file`));
  });

  it("openTrace({path: 'x.dat'}, dir) → InputError: cannot tell the format", () => {
    const dir = tmp();
    write(dir, "x.dat", "");
    expect(() => openTrace({ path: "x.dat" }, dir)).toThrow(/x\.dat: cannot tell the trace format from the file name; give format: csv, oracle-general, libcachesim-csv, cache2k, twitter$/);
  });

  it("openTrace({path: 't.csv', mode: 'literal'}) of a CSV of 2 rows → 2 requests", async () => {
    const dir = tmp();
    write(dir, "t.csv", "t_ms,op,key,value_size,ttl_s\n0,GET,a,1,0\n1,SET,b,2,0\n");
    const c = await collect(openTrace(traceSpec.parse({ path: "t.csv", mode: "literal" }), dir));
    expect(c.n).toBe(2);
  });

  it("openTrace(scenario options with hyphens) on a generated CloudPhysics-style CSV, the shipped web12.trace.xz and an oracleGeneral file under an absolute path", async () => {
    const syn = syntheticBlockTrace(5_000, 1_500, 3);
    const dir = tmp();
    write(dir, "syn.csv", blockTraceCsv(syn));
    const cp = traceSpec.parse({ path: "syn.csv", format: "libcachesim-csv", "time-col": 2, "obj-id-col": 5, "obj-size-col": 4 });
    const r = openTrace(cp, dir);
    const c = await collect(r);
    expect([c.n, r.distinctKeys, sum(c.vlen)]).toEqual([5_000, new Set(syn.id).size, syn.ioSize.reduce((a, x) => a + x, 0)]);
    // web12.trace.xz: cache2k trace, headissue GmbH / Jens Wilke, CC BY 4.0 (test/fixtures/traces/cache2k/README.md)
    const w = openTrace(traceSpec.parse({ path: "cache2k/web12.trace.xz", rate: 10, "value-size": "1kb" }), join(FIXTURES, "traces"));
    const cw = await collect(w);
    expect([cw.n, w.distinctKeys, cw.vlen[0], cw.t[1]]).toEqual([95_607, 13_756, 1024, 100_000]);
    // under an absolute path, base dir ignored
    const abs = write(tmp(), "syn.oracleGeneral.bin", blockTraceOracleGeneral(syn));
    const o = openTrace({ path: abs }, "/nonexistent");
    expect((await collect(o)).n).toBe(5_000);
  });

  it.skipIf(!CP_CSV.have || !CP_BIN.have)(`openTrace(scenario options with hyphens) on the real CloudPhysics sample (${CP_CSV.needs}; ${CP_BIN.needs})`, async () => {
    // cloudPhysicsIO.csv: sample trace from libCacheSim (CloudPhysics), 1a1a11a/libCacheSim @ aa0fc40, data/
    // (GPL-3.0 repository, no separate data licence: not shipped).
    const cp = traceSpec.parse({ path: "libcachesim-cloudphysics/cloudPhysicsIO.csv", format: "libcachesim-csv", "time-col": 2, "obj-id-col": 5, "obj-size-col": 4 });
    const r = openTrace(cp, SHARED_TRACES);
    const c = await collect(r);
    expect([c.n, r.distinctKeys, sum(c.vlen)]).toEqual([113_872, 48_974, 4_205_978_112]);
    // a copy under an absolute path, base dir ignored
    const copy = join(tmp(), "cp.oracleGeneral.bin");
    copyFileSync(CP_BIN.path, copy);
    const o = openTrace({ path: copy }, "/nonexistent");
    expect((await collect(o)).n).toBe(113_872);
  });
});
