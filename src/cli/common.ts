import { CsvStream, csv, RunDir } from "../io/output.ts";
import { infoText, type RunOutcome } from "./info-text.ts";
import { Progress } from "./progress.ts";
import { resolvedYaml, type LoadedScenario } from "../io/scenario-file.ts";
import { compile } from "../scenario/compile.ts";
import { summaryColumns, timeseriesColumns, type Summary } from "../metrics/columns.ts";

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
    const withApp = loaded.scenario.database !== undefined;
    const withPersistence = compile(loaded.scenario).persistence !== undefined;
    const ts = new CsvStream(dir.path("timeseries.csv"), timeseriesColumns(withApp, withPersistence).map((c) => c.name));
    const s = await body((row) => ts.row(row), dir);
    ts.flush();
    const cols = summaryColumns(withApp, withPersistence);
    dir.write("summary.csv", csv(cols.map((c) => c.name), [cols.map((c) => s[c.name] ?? "")]));
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

/**
 * The shared shape of `sim run` and `sim replay`: progress on stderr, the run directory written
 * atomically by `body` (which gets the row sink, the directory and the progress callback), then the
 * INFO-style summary.
 */
export async function runToDir(
  dirPath: string,
  loaded: LoadedScenario,
  label: string,
  quiet: boolean,
  log: (s: string) => void,
  body: (row: (values: number[]) => void, dir: RunDir, progress: (now: number, dur: number, n: number) => void) => Summary | Promise<Summary>,
): Promise<RunOutcome> {
  const progress = new Progress(label, quiet);
  try {
    const summary = await writeRunDir(dirPath, loaded, (row, dir) => body(row, dir, (n, d, k) => progress.update(n, d, k)));
    progress.done();
    const outcome = { dir: dirPath, summary, wallSeconds: progress.elapsedSeconds };
    log(infoText(outcome));
    return outcome;
  } finally {
    progress.done();
  }
}
