import { basename, join } from "node:path";
import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { diffText } from "../compare/diff.ts";
import { allocatorMismatch, diffRuns } from "../io/run-diff.ts";
import { InputError } from "../errors.ts";
import { csv, readMarker, sameHeader, writeFileAtomic } from "../io/output.ts";

export interface DiffArgs {
  a: string;
  b: string;
  out?: string;
  check?: boolean;
}

export const diffCommand = (setCode: (c: number) => void): CommandModule<object, DiffArgs> => ({
  command: "diff <a> <b>",
  describe: "Compare two run directories (e.g. sim run vs sim replay): final figures, errors, largest gaps",
  builder: (y: Argv) =>
    y
      .positional("a", { type: "string", describe: "run directory (the simulation)", demandOption: true })
      .positional("b", { type: "string", describe: "run directory (the reference, e.g. a replay)", demandOption: true })
      .option("out", { alias: "o", type: "string", describe: "CSV file for the table (default <b>/diff.csv)" })
      .option("check", {
        type: "boolean",
        describe: "exit with code 1 when a figure is outside its tolerance; with code 2 when the replayed server's size classes are not the simulation's (redis.allocator)",
      })
      .example("$0 diff results/policy-comparison results/policy-comparison-replay", "simulator vs real Redis") as Argv<DiffArgs>,
  handler: (a: ArgumentsCamelCase<DiffArgs>) => {
    const rows = diffRuns(a.a, a.b);
    // A replay against a server of other size classes than the simulation's: said first, loudly.
    const mismatch = allocatorMismatch(a.a, a.b);
    if (mismatch) process.stdout.write(`${"!".repeat(100)}\n${mismatch}\n${"!".repeat(100)}\n`);
    process.stdout.write(diffText(rows, basename(a.a), basename(a.b)) + "\n");
    const out = a.out ?? join(a.b, "diff.csv");
    // the default lands in <b>/ only when it is an evictsim directory (never into someone else's)
    if (a.out === undefined && readMarker(a.b) === null) throw new InputError(`${a.b}: not an evictsim result directory (no .evictsim marker), so diff.csv is not written into it: give --out FILE`);
    const text = csv(["metric", "a", "b", "error", "unit", "tolerance", "ok"], rows.map((r) => [r.metric, r.a, r.b, Math.round(r.error * 1e4) / 1e4, r.unit, Number.isFinite(r.tolerance) ? r.tolerance : "", r.ok ? 1 : 0]));
    writeFileAtomic(out, text, "--out", sameHeader(text));
    if (mismatch) {
      if (a.check) throw new InputError(mismatch);
      process.stderr.write(`sim: warning: ${mismatch}\n`);
    }
    setCode(a.check && rows.some((r) => !r.ok) ? 1 : 0);
  },
});
