import { readFileSync, statSync } from "node:fs";
import { totalmem } from "node:os";
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from "node:path";
import { stringify } from "yaml";
import { cut, InputError } from "../errors.ts";
import { checkBounds } from "../scenario/bounds.ts";
import { parseScenario } from "../scenario/parse.ts";
import type { Scenario } from "../scenario/schema.ts";
import type { Plan } from "../parts/plan.ts";
import type { TraceReader } from "../workload/trace.ts";
import { openTrace as openTraceFile } from "./traces/index.ts";

/** A scenario read from disk: validated, with its name and the paths it names resolved. */
export interface LoadedScenario {
  file: string;
  name: string;
  scenario: Scenario;
  /** Absolute path of the trace, when the workload is a trace. */
  tracePath?: string;
}

export interface LoadOptions {
  /** Run a merely large scenario anyway (the CLI's --force; see src/scenario/bounds.ts). */
  force?: boolean;
}

/** The largest scenario file read (a scenario is a few kilobytes; this leaves room for long lists). */
export const MAX_SCENARIO_BYTES = 64 * 1024 * 1024;
/** The largest redis.conf read (Redis's own is ~100 KB). */
export const MAX_CONF_BYTES = 16 * 1024 * 1024;

const q = (p: string) => JSON.stringify(cut(p, 200));

/**
 * The text of a regular file of at most `max` bytes, or an InputError naming it and what is wrong
 * (missing, a directory or device, unreadable, too large, not text).
 */
export function readTextFile(file: string, what: string, max: number, shown = file): string {
  let st;
  try {
    st = statSync(file, { throwIfNoEntry: false });
  } catch (e) {
    throw new InputError(`${shown}: cannot read the ${what}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (st === undefined) throw new InputError(`${shown}: no such ${what} file`);
  if (st.isDirectory()) throw new InputError(`${shown}: is a directory, not a ${what} file`);
  if (!st.isFile()) throw new InputError(`${shown}: is not a regular file (a device or pipe?); give a ${what} file`);
  if (st.size > max) throw new InputError(`${shown}: ${Math.round(st.size / 1024 / 1024)} MB is too large for a ${what} file (at most ${max / 1024 / 1024} MB)`);
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new InputError(`${shown}: cannot read the ${what}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (buf.length > max) throw new InputError(`${shown}: too large for a ${what} file (at most ${max / 1024 / 1024} MB)`);
  // a binary file (NUL bytes) is not a text file: say so rather than parse it
  if (buf.subarray(0, 8192).includes(0)) throw new InputError(`${shown}: is a binary file, not a ${what} (text)`);
  return buf.toString("utf8");
}

export function loadScenarioFile(file: string, set: string[] = [], opts: LoadOptions = {}): LoadedScenario {
  return scenarioFromText(readTextFile(file, "scenario", MAX_SCENARIO_BYTES), file, set, opts);
}

/** A trace file given on its own: a scenario that replays it with every default. */
export function traceScenario(trace: string, set: string[] = [], opts: LoadOptions = {}): LoadedScenario {
  const st = statSync(trace, { throwIfNoEntry: false });
  if (st === undefined) throw new InputError(`${trace}: no such file`);
  if (!st.isFile()) throw new InputError(`${trace}: not a regular file`);
  const l = scenarioFromText(`workload:\n  trace:\n    path: ${JSON.stringify(basename(trace))}\n`, join(dirname(trace), "(trace)"), set, opts);
  l.name = basename(trace).replace(/\..*$/, "");
  return l;
}

function scenarioFromText(text: string, file: string, set: string[], opts: LoadOptions): LoadedScenario {
  const readConf = (p: string) => {
    const abs = isAbsolute(p) ? p : resolve(dirname(file), p);
    if (statSync(abs, { throwIfNoEntry: false }) === undefined) throw new InputError(`${file}: redis.conf: ${q(p)}: no such file (looked for ${cut(abs, 200)})`);
    return { text: readTextFile(abs, "redis.conf", MAX_CONF_BYTES, p), file: p };
  };
  const scenario = parseScenario(text, { file, set, readConf });
  const name = scenario.name ?? basename(file, extname(file));
  let tracePath: string | undefined;
  if (scenario.workload.trace) {
    const p = scenario.workload.trace.path;
    tracePath = isAbsolute(p) ? p : resolve(dirname(file), p);
    const st = statSync(tracePath, { throwIfNoEntry: false });
    if (st === undefined) throw new InputError(`${file}: workload.trace.path: ${q(p)}: no such file (looked for ${cut(tracePath, 200)})`);
    if (!st.isFile()) throw new InputError(`${file}: workload.trace.path: ${q(p)}: not a regular file`);
  }
  checkBounds(scenario, { file, force: opts.force ?? false, totalMemory: totalmem() });
  return { file, name, scenario, tracePath };
}

/** The resolved scenario as YAML, every default filled in; paths made relative to `outDir`. */
export function resolvedYaml(l: LoadedScenario, outDir: string, seed: number): string {
  const sc = structuredClone(l.scenario) as Scenario;
  sc.name = l.name;
  sc.seed = seed;
  // the redis.conf's values are filled in above: the resolved scenario stands on its own
  delete sc.redis.conf;
  if (sc.workload.trace && l.tracePath) sc.workload.trace.path = relative(outDir, l.tracePath);
  const head = `# The scenario of this run with every default filled in (evictsim).\n# Re-run it with: sim run ${join(outDir, "scenario.resolved.yaml")}\n`;
  return head + stringify(sc, { lineWidth: 0 });
}

/** The trace reader of a trace scenario. */
export function openTrace(plan: Plan, loaded: LoadedScenario): TraceReader {
  return openTraceFile({ ...plan.workload.trace!, path: loaded.tracePath! }, dirname(loaded.file));
}
