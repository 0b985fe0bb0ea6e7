import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { parse as parseYaml } from "yaml";
import { allocatorMismatchText, diffTables, type DiffRow, type RunAllocator, type Table } from "../compare/diff.ts";
import { InputError } from "../errors.ts";
import { allocatorFromInfo } from "./replay/allocator.ts";
import { DEFAULT_REDIS_CONFIG } from "../redis/config.ts";

/*
 * `sim diff`'s file side: reads two run directories' CSVs (and what tells their size-class tables) and
 * hands the tables to the pure comparison in src/compare/diff.ts.
 */

export function readCsv(file: string): Table {
  if (!existsSync(file)) throw new InputError(`${file}: no such file (is this a run directory of sim run or sim replay?)`);
  return parse(readFileSync(file, "utf8"), { columns: true, skip_empty_lines: true }) as Table;
}

/** Side-by-side comparison of two run directories (src/compare/diff.ts diffTables). */
export function diffRuns(dirA: string, dirB: string): DiffRow[] {
  const sa = readCsv(join(dirA, "summary.csv"))[0];
  const sb = readCsv(join(dirB, "summary.csv"))[0];
  if (!sa || !sb) throw new InputError(`${!sa ? dirA : dirB}/summary.csv: no data row`);
  const ta = readCsv(join(dirA, "timeseries.csv"));
  const tb = readCsv(join(dirB, "timeseries.csv"));
  return diffTables(sa, sb, ta, tb);
}

/**
 * A replay's table is the server's, as `sim replay` probed it (replay.csv detected_allocator; for a
 * replay.csv written before the probe existed, what INFO's redis_version and mem_allocator tell); a
 * simulated run's is its scenario's redis.allocator (scenario.resolved.yaml).
 */
export function runAllocator(dir: string): RunAllocator {
  const replayCsv = join(dir, "replay.csv");
  if (existsSync(replayCsv)) {
    const r = readCsv(replayCsv)[0] ?? {};
    if (r.detected_allocator) return { kind: "replay", allocator: r.detected_allocator, source: `replay.csv: ${r.allocator_evidence || "probed"}` };
    const hint = allocatorFromInfo(r.redis_version, r.mem_allocator);
    return { kind: "replay", allocator: hint.allocator ?? "unknown", source: `replay.csv has no probe (an older replay); ${hint.from}: ${hint.why}` };
  }
  const resolved = join(dir, "scenario.resolved.yaml");
  if (!existsSync(resolved)) return { kind: "run", allocator: null, source: "no scenario.resolved.yaml" };
  type Doc = { redis?: { allocator?: unknown } } | null;
  let doc: Doc = null;
  try {
    doc = parseYaml(readFileSync(resolved, "utf8")) as Doc;
  } catch (e) {
    throw new InputError(`${resolved}: not readable as YAML (${(e as Error).message.split("\n")[0]})`);
  }
  const a = doc?.redis?.allocator;
  return { kind: "run", allocator: typeof a === "string" ? a : DEFAULT_REDIS_CONFIG.allocator, source: `scenario.resolved.yaml redis.allocator${typeof a === "string" ? "" : " (absent: the default)"}` };
}

/**
 * When one directory is a simulated run and the other a replay, and the replayed server's size classes
 * are not the ones the simulation counted with: a one-line explanation, else null
 * (src/compare/diff.ts allocatorMismatchText).
 */
export function allocatorMismatch(dirA: string, dirB: string): string | null {
  return allocatorMismatchText(dirA, runAllocator(dirA), dirB, runAllocator(dirB));
}
