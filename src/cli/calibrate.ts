import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { InputError } from "../errors.ts";
import { csv, sameHeader, writeFileAtomic } from "../io/output.ts";
import { ALLOCATORS, type Allocator } from "../redis/alloc.ts";
import { calibrateServer, DEFAULT_SIZES, type CalibrationResult, type CalibrationRow } from "../io/replay/calibrate.ts";
import { parseRedisUrl } from "../io/replay/connect.ts";
import { DEFAULT_REDIS_CONFIG } from "../redis/config.ts";

export interface CalibrateArgs {
  redis: string;
  allocator?: string;
  keys: number;
  sizes?: string;
  flush?: boolean;
  out?: string;
}

export function calibrationText(rows: CalibrationRow[]): string {
  const head = ["value_size", "ttl", "real B/key", "model B/key", "diff", "MEMORY USAGE real", "model"];
  const body = rows.map((r) => [r.value_size, r.ttl ? "yes" : "no", r.real_bytes_per_key.toFixed(2), r.model_bytes_per_key.toFixed(2), r.diff_bytes_per_key.toFixed(2), r.real_memory_usage, r.model_memory_usage].map(String));
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  return [head, ...body].map((r) => r.map((c, i) => c.padStart(w[i])).join("  ")).join("\n");
}

/**
 * The lines around the table: the server's size classes (probed), the table modelled and why, how close
 * each table came in the measurement, and whether scenarios (redis.allocator, default jemalloc-bundled)
 * need to name this server's table. `warnings` go to stderr.
 */
export function calibrationReport(res: CalibrationResult, shown: string): { before: string[]; after: string[]; warnings: string[] } {
  const d = res.detection;
  const dflt = DEFAULT_REDIS_CONFIG.allocator;
  const before = [
    d.allocator === "unknown" ? `size classes of ${shown}: none of the simulator's tables (${d.evidence})` : `size classes of ${shown}: ${d.allocator} (${d.evidence})`,
    `model: ${res.allocator} (${res.chosenBy === "given" ? "--allocator" : res.chosenBy === "detected" ? "as detected; --allocator to choose another" : "the scenarios' default, for want of a match"})`,
  ];
  const after = [
    `measured: ${res.fits.map((f) => `${f.allocator} within ${f.maxAbsDiff.toFixed(2)} B/key, MEMORY USAGE exact at ${f.usageExact}/${f.rows}`).join("; ")}`,
  ];
  const warnings: string[] = [];
  const best = res.fits[0];
  if (d.allocator !== "unknown" && best.allocator !== d.allocator && best.maxAbsDiff < res.fits[1].maxAbsDiff)
    warnings.push(`the measurement fits ${best.allocator} best, the probe said ${d.allocator}: check the server (another build or allocator?)`);
  if (d.allocator === "unknown") after.push(`scenarios: no table of the simulator's matches this server; memory figures will differ whatever redis.allocator says (${dflt} by default)`);
  else if (d.allocator === dflt) after.push(`scenarios: redis.allocator defaults to ${dflt}, which matches this server: nothing to set`);
  else
    after.push(`scenarios: redis.allocator defaults to ${dflt}, which does NOT match this server: set redis.allocator: ${d.allocator} in scenarios for it (or --set redis.allocator=${d.allocator}); sim replay refuses the mismatch`);
  if (res.chosenBy === "given" && d.allocator !== "unknown" && res.allocator !== d.allocator)
    warnings.push(`ALLOCATOR MISMATCH: --allocator ${res.allocator} is modelled, but the server uses ${d.allocator}: the model columns are not this server's`);
  return { before, after, warnings };
}

export const calibrateCommand = (setCode: (c: number) => void): CommandModule<object, CalibrateArgs> => ({
  command: "calibrate",
  describe: "Compare the memory model with a real Redis: used_memory per string key and MEMORY USAGE",
  builder: (y: Argv) =>
    y
      .option("redis", { type: "string", describe: "the server, e.g. redis://127.0.0.1:6379", demandOption: true })
      .option("allocator", { type: "string", describe: `the model's size classes: ${ALLOCATORS.join(" | ")} (default: the server's, probed)` })
      .option("keys", { type: "number", default: 100_000, describe: "keys loaded per value size" })
      .option("sizes", { type: "string", describe: `value sizes, comma-separated (default ${DEFAULT_SIZES.join(",")})` })
      .option("flush", { type: "boolean", describe: "allow FLUSHALL (required: the server is emptied before each size; the keys it held are counted and named first)" })
      .option("out", { alias: "o", type: "string", describe: "also write the table as CSV" })
      .example("$0 calibrate --redis redis://127.0.0.1:6379 --flush", "finds the server's size classes and measures the model with them") as Argv<CalibrateArgs>,
  handler: async (a: ArgumentsCamelCase<CalibrateArgs>) => {
    if (a.allocator !== undefined && !(ALLOCATORS as readonly string[]).includes(a.allocator))
      throw new InputError(`--allocator ${JSON.stringify(a.allocator)} is not one of ${ALLOCATORS.join(", ")}`);
    if (!Number.isInteger(a.keys) || a.keys < 1000) throw new InputError(`--keys ${a.keys}: must be a whole number ≥ 1000`);
    const sizes = a.sizes ? a.sizes.split(",").map((x) => Number(x.trim())) : DEFAULT_SIZES;
    if (sizes.some((x) => !Number.isInteger(x) || x < 1)) throw new InputError(`--sizes ${a.sizes}: must be whole numbers of bytes ≥ 1, comma-separated`);
    const res = await calibrateServer(a.redis, a.allocator as Allocator | undefined, a.keys, sizes, Boolean(a.flush), {
      notice: (s) => process.stderr.write(`sim: ${s}\n`),
      warn: (s) => process.stderr.write(`sim: warning: ${s}\n`),
    });
    const rep = calibrationReport(res, parseRedisUrl(a.redis).shown);
    process.stdout.write([...rep.before, calibrationText(res.rows), ...rep.after].join("\n") + "\n");
    for (const w of rep.warnings) process.stderr.write(`sim: warning: ${w}\n`);
    if (a.out) {
      const text = csv(Object.keys(res.rows[0]), res.rows.map((r) => Object.values(r)));
      writeFileAtomic(a.out, text, "--out", sameHeader(text));
    }
    setCode(0);
  },
});
