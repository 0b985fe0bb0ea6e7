import { isMap, isScalar, LineCounter, parseDocument, type Document } from "yaml";
import type { ZodIssue } from "zod";
import { confToScenarioRedis, parseRedisConf } from "../conf/redis-conf.ts";
import { InputError } from "../errors.ts";
import { knownKeys, scenarioSchema, type Scenario } from "./schema.ts";

/*
 * Scenario text → validated Scenario. Every problem becomes one line naming the file, the line, the
 * field path, the value and what is allowed:
 *   scenarios/x.yaml:7: redis.maxmemory-policy: "lru" is not one of noeviction, allkeys-lru, …
 * Pure (no file access) so the browser notebooks can use it too.
 */

export interface ParseOptions {
  /** Shown in messages (the scenario's path). */
  file?: string;
  /** Overrides by dotted path, as given to `--set path=value` (value parsed as YAML). */
  set?: string[];
  /**
   * Reads the redis.conf named by `redis.conf` (path as written, relative to the scenario): its text and
   * the name to show. Absent: a scenario naming a redis.conf is an error (the caller has no files).
   */
  readConf?: (path: string) => { text: string; file: string };
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      dp[i][j] = Math.min(dp[i - 1][j] + 1, dp[i][j - 1] + 1, dp[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return dp[a.length][b.length];
}

let KNOWN: string[] | null = null;
export function suggest(key: string): string | null {
  KNOWN ??= knownKeys();
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of KNOWN) {
    const d = editDistance(key.toLowerCase(), k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best !== null && bestD <= Math.max(2, Math.floor(key.length / 4)) ? best : null;
}

function pathText(path: (string | number)[]): string {
  let s = "";
  for (const p of path) s += typeof p === "number" ? `[${p}]` : s ? `.${p}` : p;
  return s || "(top level)";
}

function formatIssue(iss: ZodIssue, value: unknown): string {
  const v = JSON.stringify(value);
  switch (iss.code) {
    case "unrecognized_keys":
      return iss.keys
        .map((k) => {
          const s = suggest(k);
          return `unknown key ${JSON.stringify(k)}${s ? ` (did you mean ${JSON.stringify(s)}?)` : ""}`;
        })
        .join("; ");
    case "invalid_type":
      if (iss.received === "undefined") return "missing";
      return `${v} is a ${iss.received}, expected ${iss.expected}`;
    case "too_small":
      if (iss.type === "number") return `${v} ${iss.message.startsWith("must") ? iss.message : `must be at least ${iss.minimum}`}`;
      return iss.message;
    case "too_big":
      if (iss.type === "number") return `${v} ${iss.message.startsWith("must") ? iss.message : `must be at most ${iss.maximum}`}`;
      return iss.message;
    case "invalid_string":
      return `${v} ${iss.message}`;
    case "invalid_union":
    case "invalid_enum_value":
    case "custom":
      return iss.message;
    default:
      return iss.message.startsWith("must") ? `${v} ${iss.message}` : iss.message;
  }
}

function lineOf(doc: Document, lc: LineCounter, path: (string | number)[]): number | null {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node && node.range) return lc.linePos(node.range[0]).line;
    // a missing key: point at its parent map
  }
  return null;
}

/** Applies `path=value` overrides to the document. */
function applySet(doc: Document, sets: string[], file: string): void {
  for (const s of sets) {
    const eq = s.indexOf("=");
    if (eq <= 0) throw new InputError(`--set ${JSON.stringify(s)}: expected path=value, e.g. redis.maxmemory=64mb`);
    const path = s.slice(0, eq).trim().split(".").map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    const raw = s.slice(eq + 1);
    if (!doc.contents || !isMap(doc.contents)) throw new InputError(`${file}: the scenario is not a YAML mapping`);
    try {
      const value = parseDocument(raw).toJS();
      doc.setIn(path, value === null && raw.trim() === "" ? "" : value);
    } catch (e) {
      throw new InputError(`--set ${JSON.stringify(s)}: ${(e as Error).message.split("\n")[0]} (the path must name a field of the scenario; the value is read as YAML)`);
    }
  }
}

/**
 * `redis: { conf: ./redis.conf }`: the directives of the file the simulator models fill the redis
 * fields the scenario does not set (fields written in the scenario win). A value Redis would refuse to
 * start with is an error naming the file and line.
 */
function applyConf(doc: Document, file: string, opts: ParseOptions): void {
  const path = doc.getIn(["redis", "conf"]);
  if (path === undefined) return;
  if (typeof path !== "string" || path === "") throw new InputError(`${file}: redis.conf: ${JSON.stringify(path)} is not a path to a redis.conf file`);
  if (!opts.readConf) throw new InputError(`${file}: redis.conf: reading ${JSON.stringify(path)} needs file access (use sim run, or inline the values)`);
  const { text, file: confFile } = opts.readConf(path);
  const mapping = confToScenarioRedis(parseRedisConf(text, confFile));
  const bad = mapping.warnings.filter((w) => /refuses|not used|invalid|not one of/.test(w.message));
  if (bad.length > 0) throw new InputError(bad.map((w) => `${confFile}:${w.line}: ${w.message}`).join("\n"));
  for (const f of mapping.fields) {
    if (doc.hasIn(["redis", f.field])) continue;
    doc.setIn(["redis", f.field], f.value);
  }
}

export function parseScenario(text: string, opts: ParseOptions = {}): Scenario {
  const file = opts.file ?? "scenario";
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const line = e.linePos?.[0]?.line;
    throw new InputError(`${file}${line ? `:${line}` : ""}: not valid YAML: ${e.message.split("\n")[0]}`);
  }
  if (!doc.contents || !isMap(doc.contents)) {
    const what = !doc.contents ? "nothing" : isScalar(doc.contents) ? JSON.stringify(doc.contents.value) : "a list";
    throw new InputError(`${file}: a scenario is a YAML mapping with redis, workload, … sections; found ${what}`);
  }
  if (opts.set?.length) applySet(doc, opts.set, file);
  applyConf(doc, file, opts);
  let input: unknown;
  try {
    input = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new InputError(`${file}: not a usable YAML document: ${(e as Error).message.split("\n")[0]}`);
  }
  const result = scenarioSchema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((iss) => {
    let value: unknown = input;
    for (const p of iss.path) value = value == null ? undefined : (value as Record<string | number, unknown>)[p];
    const at = iss.code === "unrecognized_keys" ? [...iss.path, iss.keys[0]] : iss.path;
    const line = lineOf(doc, lc, at);
    return `${file}${line ? `:${line}` : ""}: ${pathText(iss.path)}: ${formatIssue(iss, value)}`;
  });
  throw new InputError([...new Set(lines)].join("\n"));
}
