import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { writeFileSync } from "node:fs";
import { InputError } from "../errors.ts";
import { csv } from "../io/output.ts";
import { ALLOCATORS, type Allocator } from "../redis/alloc.ts";
import { calibrate, DEFAULT_SIZES, type CalibrationRow } from "../replay/calibrate.ts";

export interface CalibrateArgs {
  redis: string;
  allocator: string;
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

export const calibrateCommand = (setCode: (c: number) => void): CommandModule<object, CalibrateArgs> => ({
  command: "calibrate",
  describe: "Compare the memory model with a real Redis: used_memory per string key and MEMORY USAGE",
  builder: (y: Argv) =>
    y
      .option("redis", { type: "string", describe: "the server, e.g. redis://127.0.0.1:6379", demandOption: true })
      .option("allocator", { type: "string", default: "jemalloc-debian", describe: `the model's size classes: ${ALLOCATORS.join(" | ")}` })
      .option("keys", { type: "number", default: 100_000, describe: "keys loaded per value size" })
      .option("sizes", { type: "string", describe: `value sizes, comma-separated (default ${DEFAULT_SIZES.join(",")})` })
      .option("flush", { type: "boolean", describe: "allow FLUSHALL (required: the server is emptied before each size; the keys it held are counted and named first)" })
      .option("out", { alias: "o", type: "string", describe: "also write the table as CSV" })
      .example("$0 calibrate --redis redis://127.0.0.1:6379 --flush", "Debian's redis-server against the jemalloc-debian classes") as Argv<CalibrateArgs>,
  handler: async (a: ArgumentsCamelCase<CalibrateArgs>) => {
    if (!(ALLOCATORS as readonly string[]).includes(a.allocator)) throw new InputError(`--allocator ${JSON.stringify(a.allocator)} is not one of ${ALLOCATORS.join(", ")}`);
    if (!Number.isInteger(a.keys) || a.keys < 1000) throw new InputError(`--keys ${a.keys}: must be a whole number ≥ 1000`);
    const sizes = a.sizes ? a.sizes.split(",").map((x) => Number(x.trim())) : DEFAULT_SIZES;
    if (sizes.some((x) => !Number.isInteger(x) || x < 1)) throw new InputError(`--sizes ${a.sizes}: must be whole numbers of bytes ≥ 1, comma-separated`);
    const rows = await calibrate(a.redis, a.allocator as Allocator, a.keys, sizes, Boolean(a.flush), {
      notice: (s) => process.stderr.write(`sim: ${s}\n`),
      warn: (s) => process.stderr.write(`sim: warning: ${s}\n`),
    });
    process.stdout.write(calibrationText(rows) + "\n");
    if (a.out) writeFileSync(a.out, csv(Object.keys(rows[0]), rows.map((r) => Object.values(r))));
    setCode(0);
  },
});
