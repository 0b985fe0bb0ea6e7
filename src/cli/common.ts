import { CsvStream, csv, RunDir } from "../io/output.ts";
import { resolvedYaml, type LoadedScenario } from "../io/scenario-file.ts";
import { SUMMARY_COLUMNS, TIMESERIES_COLUMNS, type Summary } from "../metrics/columns.ts";

/**
 * Writes a run directory atomically: `body` streams timeseries rows through `row` and returns the
 * summary; summary.csv and scenario.resolved.yaml follow, then the directory is moved into place. On
 * an error or Ctrl-C nothing is left behind.
 */
export async function writeRunDir(
  dirPath: string,
  loaded: LoadedScenario,
  body: (row: (values: number[]) => void, dir: RunDir) => Summary | Promise<Summary>,
): Promise<Summary> {
  const dir = new RunDir(dirPath);
  const onSignal = () => {
    dir.abandon();
    process.stderr.write(`\nsim: interrupted; no result written\n`);
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const ts = new CsvStream(dir.path("timeseries.csv"), TIMESERIES_COLUMNS.map((c) => c.name));
    const s = await body((row) => ts.row(row), dir);
    ts.flush();
    dir.write("summary.csv", csv(SUMMARY_COLUMNS.map((c) => c.name), [SUMMARY_COLUMNS.map((c) => s[c.name])]));
    dir.write("scenario.resolved.yaml", resolvedYaml(loaded, dirPath, loaded.scenario.seed));
    dir.commit();
    return s;
  } catch (e) {
    dir.abandon();
    throw e;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
