import { describe, expect, it } from "vitest";
import { detectFormat, traceSpec } from "./trace-schema.ts";

/** "path: message" for every issue of traceSpec.safeParse(v). */
function issues(v: unknown): string[] {
  const r = traceSpec.safeParse(v);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("traceSpec (workload.trace)", () => {
  it("traceSpec.parse({path: 't.csv'}) → format auto, mode cache-aside, nothing else filled", () => {
    expect(traceSpec.parse({ path: "t.csv" })).toEqual({ path: "t.csv", format: "auto", mode: "cache-aside" });
  });

  it("traceSpec.parse(a full libcachesim-csv section) → kept as written", () => {
    const v = {
      path: "cp.csv", format: "libcachesim-csv", mode: "literal", "time-col": 2, "obj-id-col": 5, "obj-size-col": 4, "op-col": 3, "ttl-col": 6,
      delimiter: "\t", "has-header": false, "obj-id-is-num": false, "time-unit": "ms",
    };
    expect(traceSpec.parse(v)).toEqual(v);
    expect(traceSpec.parse({ path: "w.trace.xz", rate: 2500, "value-size": "4kb" })).toEqual({ path: "w.trace.xz", format: "auto", mode: "cache-aside", rate: 2500, "value-size": "4kb" });
  });

  it("traceSpec.safeParse(bad values) → one clear message per problem", () => {
    expect(issues({ path: "t.csv", format: "parquet" })).toEqual([`format: "parquet" is not one of auto, csv, oracle-general, libcachesim-csv, cache2k, twitter`]);
    expect(issues({ path: "t.csv", mode: "explicit" })).toEqual([`mode: "explicit" is not one of cache-aside, literal`]);
    expect(issues({ path: "" })).toEqual([`path: must name a file`]);
    expect(issues({})).toEqual([`path: missing: the trace file`]);
    expect(issues({ path: "t.csv", color: 1 })).toEqual([`: Unrecognized key(s) in object: 'color'`]);
    expect(issues({ path: "w.trace", rate: 0 })).toEqual([`rate: must be greater than 0`]);
    expect(issues({ path: "w.trace", "value-size": "big" })).toEqual([`value-size: "big" is not a size in bytes (e.g. 100, 1kb)`]);
    expect(issues({ path: "c.csv", format: "libcachesim-csv", "time-col": 0, "obj-id-col": 1.5, "obj-size-col": "4" })).toEqual([
      `time-col: columns are numbered from 1`,
      `obj-id-col: must be a whole column number (1 for the first column)`,
      `obj-size-col: must be a column number (1 for the first column)`,
    ]);
    expect(issues({ path: "c.csv", format: "libcachesim-csv", "time-col": 1, "obj-id-col": 2, "obj-size-col": 3, delimiter: ", " })).toEqual([
      `delimiter: ", " is not one character: give the separator in quotes (",", ";", "|", "\\t")`,
    ]);
    expect(issues({ path: "c.csv", format: "libcachesim-csv", "time-col": 1, "obj-id-col": 2, "obj-size-col": 3, "time-unit": "ns" })).toEqual([`time-unit: "ns" is not one of s, ms, us`]);
  });

  it("traceSpec.safeParse(options of another format, or missing columns) → says which format they belong to", () => {
    expect(issues({ path: "t.csv", rate: 10, "time-col": 1 })).toEqual([
      `time-col: only applies to format libcachesim-csv (this trace is read as csv, from its file name)`,
      `rate: only applies to format cache2k (this trace is read as csv, from its file name)`,
    ]);
    expect(issues({ path: "t.csv", format: "twitter", "has-header": true })).toEqual([`has-header: only applies to format libcachesim-csv (this trace is read as twitter)`]);
    expect(issues({ path: "c.csv", format: "libcachesim-csv", "obj-id-col": 5 })).toEqual([
      `time-col: missing: format libcachesim-csv needs time-col, obj-id-col and obj-size-col (column numbers from 1, e.g. 2, 5, 4 for libCacheSim's cloudPhysicsIO.csv)`,
      `obj-size-col: missing: format libcachesim-csv needs time-col, obj-id-col and obj-size-col (column numbers from 1, e.g. 2, 5, 4 for libCacheSim's cloudPhysicsIO.csv)`,
    ]);
    expect(issues({ path: "c.csv", format: "libcachesim-csv", "time-col": 2, "obj-id-col": 2, "obj-size-col": 4 })).toEqual([`obj-id-col: column 2 is already time-col`]);
    expect(issues({ path: "trace.dat" })).toEqual([
      `path: "trace.dat": cannot tell the trace format from the file name; give format: csv, oracle-general, libcachesim-csv, cache2k, twitter`,
    ]);
  });

  it("detectFormat(name) → by extension, after a compression suffix", () => {
    expect(detectFormat("x/cloudPhysicsIO.oracleGeneral.bin")).toBe("oracle-general");
    expect(detectFormat("cluster52.oracleGeneral.zst")).toBe("oracle-general");
    expect(detectFormat("a.bin.gz")).toBe("oracle-general");
    expect(detectFormat("orm-busy.trace.xz")).toBe("cache2k");
    expect(detectFormat("t.csv.zst")).toBe("csv");
    expect(detectFormat("t.txt")).toBe(null);
  });
});
