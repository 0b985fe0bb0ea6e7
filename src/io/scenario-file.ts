import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from "node:path";
import { stringify } from "yaml";
import { InputError } from "../errors.ts";
import { parseScenario } from "../scenario/parse.ts";
import type { Scenario } from "../scenario/schema.ts";
import type { Plan } from "../scenario/compile.ts";
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

export function loadScenarioFile(file: string, set: string[] = []): LoadedScenario {
  if (!existsSync(file)) throw new InputError(`${file}: no such scenario file`);
  if (statSync(file).isDirectory()) throw new InputError(`${file}: is a directory, not a scenario file`);
  return scenarioFromText(readFileSync(file, "utf8"), file, set);
}

/** A trace file given on its own: a scenario that replays it with every default. */
export function traceScenario(trace: string, set: string[] = []): LoadedScenario {
  if (!existsSync(trace)) throw new InputError(`${trace}: no such file`);
  const l = scenarioFromText(`workload:\n  trace:\n    path: ${JSON.stringify(basename(trace))}\n`, join(dirname(trace), "(trace)"), set);
  l.name = basename(trace).replace(/\..*$/, "");
  return l;
}

function scenarioFromText(text: string, file: string, set: string[]): LoadedScenario {
  const readConf = (p: string) => {
    const abs = isAbsolute(p) ? p : resolve(dirname(file), p);
    if (!existsSync(abs)) throw new InputError(`${file}: redis.conf: ${JSON.stringify(p)}: no such file (looked for ${abs})`);
    return { text: readFileSync(abs, "utf8"), file: p };
  };
  const scenario = parseScenario(text, { file, set, readConf });
  const name = scenario.name ?? basename(file, extname(file));
  let tracePath: string | undefined;
  if (scenario.workload.trace) {
    const p = scenario.workload.trace.path;
    tracePath = isAbsolute(p) ? p : resolve(dirname(file), p);
    if (!existsSync(tracePath)) throw new InputError(`${file}: workload.trace.path: ${JSON.stringify(p)}: no such file (looked for ${tracePath})`);
  }
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
