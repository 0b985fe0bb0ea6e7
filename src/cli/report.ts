import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { InputError } from "../errors.ts";
import { pause } from "./interrupt.ts";
import { parseFraction } from "../units.ts";
import type { ReportOutcome } from "../io/report-files.ts";

/*
 * `sim report <run-or-sweep-dir>`: one self-contained report.html (src/report/). The report code (jsdom,
 * Plot) is imported on demand, so that the other commands start as fast as before.
 */

export interface ReportArgs {
  dir: string;
  out?: string;
  target?: string | number;
  quiet?: boolean;
}

export async function simReport(args: ReportArgs, log: (s: string) => void = () => {}): Promise<ReportOutcome> {
  let target: number | undefined;
  if (args.target !== undefined) {
    const t = parseFraction(typeof args.target === "number" ? args.target : String(args.target));
    if (t === null || !(t > 0 && t <= 1)) throw new InputError(`--target ${JSON.stringify(String(args.target))}: a hit ratio above 0 and at most 1, e.g. 0.9 or 90%`);
    target = t;
  }
  const { buildReport, writeReportFile } = await import("../io/report-files.ts");
  const built = buildReport(args.dir, { out: args.out, target });
  await pause(); // Ctrl-C while it was built: nothing is written
  const r = writeReportFile(args.dir, built, { out: args.out, target });
  log(`report: ${r.file} (${r.kind}: ${r.charts.length} charts, ${r.findings.length} findings)`);
  return r;
}

export const reportCommand = (setCode: (c: number) => void): CommandModule<object, ReportArgs> => ({
  command: "report <dir>",
  describe: "Write one self-contained HTML report (findings, charts, tables, scenario) for a run or a sweep",
  builder: (y: Argv) =>
    y
      .positional("dir", { type: "string", describe: "run directory (sim run, sim replay) or sweep directory (sim sweep)", demandOption: true })
      .option("out", { alias: "o", type: "string", describe: "the HTML file (default <dir>/report.html)" })
      .option("target", { type: "string", describe: "sweeps: report the smallest maxmemory reaching this hit ratio per policy (default 90%)" })
      .option("quiet", { alias: "q", type: "boolean", describe: "print nothing but errors" })
      .example("$0 report results/late-night-pager", "results/late-night-pager/report.html")
      .example("$0 report results/policy-sweep-sweep --target 80%", "a sweep's report, with the sizes reaching an 80 % hit ratio") as Argv<ReportArgs>,
  handler: async (a: ArgumentsCamelCase<ReportArgs>) => {
    await simReport(a, a.quiet ? undefined : (s) => process.stdout.write(s + "\n"));
    setCode(0);
  },
});
