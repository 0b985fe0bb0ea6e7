import { existsSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../errors.ts";
import { readMarker } from "../io/output.ts";
import { pause } from "./interrupt.ts";
import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";

export interface PlotArgs {
  "run-dir": string;
  quiet?: boolean;
  png?: boolean;
}

/**
 * `sim plot`: re-renders a run directory's charts (charts/<id>.svg and .png) from its CSVs. The chart
 * code (jsdom, Plot, resvg: about a second to load) is imported here, not at the top, so that the other
 * commands start as fast as before.
 */
export async function simPlot(args: PlotArgs, log: (s: string) => void = () => {}): Promise<string[]> {
  const dir = args["run-dir"];
  // charts/ is replaced: only in a directory evictsim wrote
  if (existsSync(join(dir, "timeseries.csv")) && existsSync(join(dir, "summary.csv")) && readMarker(dir) === null)
    throw new InputError(`${dir}: not an evictsim run directory (no .evictsim marker); sim plot replaces charts/ only in a directory sim run or sim replay wrote`);
  const { renderRunChartsAsync } = await import("../io/render.ts");
  const files = await renderRunChartsAsync(dir, { png: args.png ?? true, warn: (m) => process.stderr.write(`sim: warning: ${m}\n`), pause });
  for (const f of files) log(join(dir, f));
  return files;
}

export const plotCommand = (setCode: (c: number) => void): CommandModule<object, PlotArgs> => ({
  command: "plot <run-dir>",
  describe: "Re-render a run's charts from its CSVs without re-running",
  builder: (y: Argv) =>
    y
      .positional("run-dir", { type: "string", describe: "run directory written by sim run or sim replay", demandOption: true })
      .option("png", { type: "boolean", default: true, describe: "write PNGs beside the SVGs (--no-png: SVG only)" })
      .option("quiet", { alias: "q", type: "boolean", describe: "print nothing but errors" })
      .example("$0 plot results/late-night-pager", "write results/late-night-pager/charts/*.svg and *.png")
      .example("$0 plot results/cold-start --no-png", "SVG only") as Argv<PlotArgs>,
  handler: async (a: ArgumentsCamelCase<PlotArgs>) => {
    await simPlot(a, a.quiet ? undefined : (s) => process.stdout.write(s + "\n"));
    setCode(0);
  },
});
