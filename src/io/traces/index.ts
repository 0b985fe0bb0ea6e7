import { statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { InputError } from "../../errors.ts";
import { detectFormat, type TraceSpecInput } from "../../scenario/trace-schema.ts";
import { TRACE_FORMATS, type TraceFormat } from "../../workload/config.ts";
import { parseMemory } from "../../units.ts";
import type { TraceReader } from "../../workload/trace.ts";
import { Cache2kReader } from "./cache2k.ts";
import { CsvTraceReader } from "./csv.ts";
import { LibCacheSimCsvReader } from "./libcachesim-csv.ts";
import { OracleGeneralReader } from "./oracle-general.ts";
import { TwitterTraceReader } from "./twitter.ts";

/*
 * A scenario's `workload.trace` section → a streamed TraceReader. Formats and options: see
 * ../../scenario/trace-schema.ts. Compression (.gz, .xz, .zst) follows the file name: see source.ts.
 */

export { Cache2kReader, CsvTraceReader, LibCacheSimCsvReader, OracleGeneralReader, TwitterTraceReader };
export { detectFormat, type TraceFormat };

/** The reader for `spec` (validated by traceSpec; defaults applied here too), its path resolved against `baseDir`. */
export function openTrace(spec: TraceSpecInput, baseDir: string): TraceReader {
  const file = isAbsolute(spec.path) ? spec.path : resolve(baseDir, spec.path);
  const st = statSync(file, { throwIfNoEntry: false });
  if (st === undefined) throw new InputError(`${file}: no such trace file`);
  if (!st.isFile()) throw new InputError(`${file}: not a file`);
  const given = spec.format ?? "auto";
  if (!(TRACE_FORMATS as readonly string[]).includes(given)) throw new InputError(`${file}: format ${JSON.stringify(given)} is not one of ${TRACE_FORMATS.join(", ")}`);
  const format = given === "auto" ? detectFormat(file) : (given as TraceFormat);
  if (format === null) throw new InputError(`${file}: cannot tell the trace format from the file name; give format: ${TRACE_FORMATS.slice(1).join(", ")}`);
  const mode = spec.mode ?? "cache-aside";
  switch (format) {
    case "csv":
      return new CsvTraceReader(file, mode);
    case "oracle-general":
      return new OracleGeneralReader(file, mode);
    case "twitter":
      return new TwitterTraceReader(file, mode);
    case "cache2k": {
      const vs = spec["value-size"] === undefined ? 100 : parseMemory(spec["value-size"]);
      if (vs === null || vs < 0) throw new InputError(`${file}: value-size ${JSON.stringify(spec["value-size"])} is not a size in bytes`);
      return new Cache2kReader(file, { mode, rate: spec.rate, valueSize: vs });
    }
    case "libcachesim-csv":
      return new LibCacheSimCsvReader(file, {
        mode,
        timeCol: spec["time-col"]!,
        objIdCol: spec["obj-id-col"]!,
        objSizeCol: spec["obj-size-col"]!,
        opCol: spec["op-col"],
        ttlCol: spec["ttl-col"],
        delimiter: spec.delimiter,
        hasHeader: spec["has-header"],
        objIdIsNum: spec["obj-id-is-num"],
        timeUnit: spec["time-unit"],
      });
  }
}
