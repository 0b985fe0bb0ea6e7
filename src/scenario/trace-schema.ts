import { z } from "zod";
import { parseMemory } from "../units.ts";
import { TIME_UNITS, TRACE_FORMATS, TRACE_MODES, type TraceFormat } from "../workload/config.ts";

/*
 * The scenario's `workload.trace` section: which file, in which format, replayed how. Pure (no file
 * access), like schema.ts. Options that belong to one format are optional here and rejected for the
 * others; their defaults are applied by the reader (src/io/traces), so the resolved scenario shows
 * only what was written:
 *   libcachesim-csv: time-col, obj-id-col, obj-size-col (required), op-col, ttl-col (1-based column
 *                    numbers, as libCacheSim's -t option), delimiter (","), has-header (true),
 *                    obj-id-is-num (true), time-unit (s)
 *   cache2k:         rate (requests per second, 1000), value-size (bytes, 100)
 * With format auto the file name decides: *.oracleGeneral.bin, *.oracleGeneral, *.bin → oracle-general;
 * *.trace → cache2k; *.csv → csv (our t_ms,op,key,value_size,ttl_s), each optionally followed by .gz,
 * .xz or .zst. The Twitter and libCacheSim CSV layouts must be named.
 */


/** The format a file name implies, or null (`a.oracleGeneral.zst` → oracle-general). */
export function detectFormat(path: string): TraceFormat | null {
  const name = path.replace(/\.(gz|xz|zst)$/i, "").toLowerCase();
  if (name.endsWith(".oraclegeneral.bin") || name.endsWith(".oraclegeneral") || name.endsWith(".bin")) return "oracle-general";
  if (name.endsWith(".trace")) return "cache2k";
  if (name.endsWith(".csv")) return "csv";
  return null;
}

const show = (v: unknown) => JSON.stringify(v);
const issue = (ctx: z.RefinementCtx, message: string, path: (string | number)[] = []) =>
  ctx.addIssue({ code: z.ZodIssueCode.custom, message, path });

const oneOf = <T extends string>(values: readonly [T, ...T[]]) =>
  z.enum(values, {
    errorMap: (iss, ctx) => ({
      message:
        iss.code === "invalid_enum_value" ? `${show(iss.received)} is not one of ${values.join(", ")}` : `${show(ctx.data)} is not one of ${values.join(", ")}`,
    }),
  });

const column = z
  .number({ invalid_type_error: "must be a column number (1 for the first column)" })
  .int("must be a whole column number (1 for the first column)")
  .min(1, "columns are numbered from 1")
  .max(64, "must be at most 64");

const bool = (what: string) => z.boolean({ invalid_type_error: `must be true or false (${what})` });

const COLUMNS = ["time-col", "obj-id-col", "obj-size-col", "op-col", "ttl-col"] as const;
const OPTION_FORMAT: Record<string, TraceFormat> = {
  "time-col": "libcachesim-csv",
  "obj-id-col": "libcachesim-csv",
  "obj-size-col": "libcachesim-csv",
  "op-col": "libcachesim-csv",
  "ttl-col": "libcachesim-csv",
  delimiter: "libcachesim-csv",
  "has-header": "libcachesim-csv",
  "obj-id-is-num": "libcachesim-csv",
  "time-unit": "libcachesim-csv",
  rate: "cache2k",
  "value-size": "cache2k",
};

export const traceSpec = z
  .object({
    path: z.string({ required_error: "missing: the trace file", invalid_type_error: "must be a file path" }).min(1, "must name a file"),
    format: oneOf(TRACE_FORMATS).default("auto"),
    mode: oneOf(TRACE_MODES).default("cache-aside"),
    "time-col": column.optional(),
    "obj-id-col": column.optional(),
    "obj-size-col": column.optional(),
    "op-col": column.optional(),
    "ttl-col": column.optional(),
    delimiter: z
      .string({ invalid_type_error: `must be one character in quotes (",", ";", "|", "\\t")` })
      .refine((d) => d.length === 1 && d.charCodeAt(0) < 128 && d !== "\n" && d !== "\r", (d) => ({
        message: `${show(d)} is not one character: give the separator in quotes (",", ";", "|", "\\t")`,
      }))
      .optional(),
    "has-header": bool("whether line 1 is a header to skip").optional(),
    "obj-id-is-num": bool("whether object ids are unsigned integers").optional(),
    "time-unit": oneOf(TIME_UNITS).optional(),
    rate: z.number({ invalid_type_error: "must be a number of requests per second" }).positive("must be greater than 0").finite("must be finite").optional(),
    "value-size": z
      .union([z.number(), z.string()])
      .superRefine((v, ctx) => {
        const b = parseMemory(v);
        if (b === null || b < 0) issue(ctx, `${show(v)} is not a size in bytes (e.g. 100, 1kb)`);
      })
      .optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.path === "") return; // already reported
    const format = t.format === "auto" ? detectFormat(t.path) : t.format;
    if (format === null) {
      issue(ctx, `${show(t.path)}: cannot tell the trace format from the file name; give format: ${TRACE_FORMATS.slice(1).join(", ")}`, ["path"]);
      return;
    }
    for (const [k, f] of Object.entries(OPTION_FORMAT))
      if ((t as Record<string, unknown>)[k] !== undefined && f !== format)
        issue(ctx, `only applies to format ${f} (this trace is read as ${format}${t.format === "auto" ? ", from its file name" : ""})`, [k]);
    if (format === "libcachesim-csv") {
      for (const k of ["time-col", "obj-id-col", "obj-size-col"] as const)
        if (t[k] === undefined) issue(ctx, `missing: format libcachesim-csv needs time-col, obj-id-col and obj-size-col (column numbers from 1, e.g. 2, 5, 4 for libCacheSim's cloudPhysicsIO.csv)`, [k]);
      const seen = new Map<number, string>();
      for (const k of COLUMNS) {
        const c = t[k];
        if (c === undefined) continue;
        const other = seen.get(c);
        if (other) issue(ctx, `column ${c} is already ${other}`, [k]);
        else seen.set(c, k);
      }
    }
  });

export type TraceSpecInput = z.input<typeof traceSpec>;
