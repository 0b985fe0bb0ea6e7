import { isAlias, isCollection, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from "yaml";
import type { ZodIssue } from "zod";
import { confToScenarioRedis, parseRedisConf } from "../conf/redis-conf.ts";
import { cut, InputError } from "../errors.ts";
import { show } from "../units.ts";
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

/** How deep a scenario may nest (the deepest real one is ~6 levels). */
const MAX_DEPTH = 32;
/** Items a list may get through --set path.N beyond its end (one: append). */
const SET_APPEND = 1;

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
  if (key.length > 64) return null; // no key is that long; and the distance table would be large
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

function pathText(path: readonly (string | number)[]): string {
  let s = "";
  for (const p of path) s += typeof p === "number" ? `[${p}]` : s ? `.${cut(p, 40)}` : cut(p, 40);
  return s || "(top level)";
}

function formatIssue(iss: ZodIssue, value: unknown): string {
  const v = show(value);
  switch (iss.code) {
    case "unrecognized_keys":
      return iss.keys
        .slice(0, 3)
        .map((k) => {
          const s = suggest(k);
          return `unknown key ${show(k)}${s ? ` (did you mean ${JSON.stringify(s)}?)` : ""}`;
        })
        .join("; ") + (iss.keys.length > 3 ? `; and ${iss.keys.length - 3} more unknown keys` : "");
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

function lineOf(doc: Document, lc: LineCounter, path: readonly (string | number)[]): number | null {
  for (let n = path.length; n >= 0; n--) {
    let node: { range?: [number, number, number] } | undefined;
    try {
      node = doc.getIn(path.slice(0, n), true) as typeof node;
    } catch {
      node = undefined;
    }
    if (node && node.range) return lc.linePos(node.range[0]).line;
    // a missing key: point at its parent map
  }
  return null;
}

/** Where a value came from when it was not written in the file: a --set, or a point of the sweep block. */
interface SetOrigin {
  path: (string | number)[];
  /** How to name it in a message, e.g. `--set "redis.maxmemory=foo"` or `sweep point redis.maxmemory=foo`. */
  label: string;
  /** The line of the sweep block's value, for a sweep point. */
  line: number | null;
}

/** The path of `--set path=value` (`a.b.0.c`: list items by index). */
function setPath(text: string, what: string): (string | number)[] {
  const parts = text.trim().split(".");
  if (parts.some((p) => p === "")) throw new InputError(`${what}: the path ${show(text)} has an empty part (write it as redis.maxmemory, workload.classes.0.keys)`);
  if (parts.length > MAX_DEPTH) throw new InputError(`${what}: the path has ${parts.length} parts; a scenario nests at most ${MAX_DEPTH} deep`);
  return parts.map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/**
 * The line of `raw` among the values of the scenario's own `sweep:` block for `key` (sim sweep loads
 * each point as the scenario with `key=value` sets), or null when the set is not one of its points.
 */
function sweepLine(doc: Document, lc: LineCounter, key: string, raw: string): number | null {
  const sweep = doc.get("sweep", true);
  if (!isMap(sweep)) return null;
  const list = sweep.get(key, true);
  if (!isSeq(list)) return null;
  for (const item of list.items) {
    if (isScalar(item) && String(item.value) === raw && item.range) return lc.linePos(item.range[0]).line;
  }
  return null;
}

/** Applies `path=value` overrides to the document; returns where each came from. */
function applySet(doc: Document, lc: LineCounter, sets: string[], file: string): SetOrigin[] {
  const origins: SetOrigin[] = [];
  for (const s of sets) {
    const eq = s.indexOf("=");
    const what = `--set ${show(s)}`;
    if (eq <= 0) throw new InputError(`${what}: expected path=value, e.g. redis.maxmemory=64mb`);
    const pathRaw = s.slice(0, eq).trim();
    const raw = s.slice(eq + 1);
    const swept = sweepLine(doc, lc, pathRaw, raw);
    const label = swept !== null ? `sweep point ${cut(pathRaw, 60)}=${show(raw)}` : what;
    const where = swept !== null ? `${file}:${swept}: ${label}` : label;
    const path = setPath(pathRaw, where);
    if (!doc.contents || !isMap(doc.contents)) throw new InputError(`${file}: the scenario is not a YAML mapping`);
    // walk the existing part of the path: list items by an index within the list (or just past it)
    let node: unknown = doc.contents;
    for (let i = 0; i < path.length; i++) {
      const p = path[i];
      const at = pathText(path.slice(0, i));
      if (node === undefined) {
        // the rest is created: maps only, or a list's first item
        if (typeof p === "number" && p !== 0)
          throw new InputError(`${where}: ${at} does not exist, so it can only get item 0, not ${p}`);
        continue;
      }
      if (isAlias(node)) throw new InputError(`${where}: ${at} is a YAML alias; set the anchored value instead`);
      if (isSeq(node)) {
        if (typeof p !== "number")
          throw new InputError(`${where}: ${at} is a list: give an item number from 0 to ${node.items.length - 1}, not ${show(p)}`);
        if (p > node.items.length - 1 + SET_APPEND)
          throw new InputError(`${where}: ${at} has ${node.items.length} item${node.items.length === 1 ? "" : "s"}: the item number must be from 0 to ${node.items.length} (${node.items.length} adds one), not ${p}`);
        node = node.items[p];
      } else if (isMap(node)) {
        node = node.get(p, true);
      } else {
        throw new InputError(`${where}: ${at} is a single value, not a section: the path goes no further`);
      }
    }
    const vdoc = parseDocument(raw, { prettyErrors: false, logLevel: "error" });
    if (vdoc.errors.length > 0) throw new InputError(`${where}: the value is not valid YAML: ${cut(vdoc.errors[0].message.split("\n")[0], 120)}`);
    let value: unknown;
    try {
      value = vdoc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      throw new InputError(`${where}: the value is not usable YAML: ${cut((e as Error).message.split("\n")[0], 120)}`);
    }
    const bad = checkValue(value, [], new Set(), new Set());
    if (bad) throw new InputError(`${where}: ${bad.message}`);
    try {
      doc.setIn(path, value === null && raw.trim() === "" ? "" : value);
    } catch (e) {
      throw new InputError(`${where}: ${cut((e as Error).message.split("\n")[0], 120)} (the path must name a field of the scenario; the value is read as YAML)`);
    }
    origins.push({ path, label, line: swept });
  }
  return origins;
}

/**
 * A value YAML can express but a scenario cannot use: a cycle (an alias inside its own anchor), a
 * number out of range (1e400 reads as Infinity), or nesting deeper than any scenario. Null when fine.
 */
function checkValue(v: unknown, path: (string | number)[], onPath: Set<object>, done: Set<object>): { path: (string | number)[]; message: string } | null {
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return { path, message: `${Number.isNaN(v) ? "NaN is not a number" : "the number is out of range"} (give a finite number, e.g. 1e9)` };
    return null;
  }
  if (typeof v !== "object" || v === null) return null;
  if (onPath.has(v)) return { path, message: `a YAML alias refers to a value that contains it (a cycle): give the value itself` };
  if (done.has(v)) return null;
  if (path.length >= MAX_DEPTH) return { path, message: `nested more than ${MAX_DEPTH} levels deep: no scenario field is` };
  onPath.add(v);
  const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
  for (const [k, x] of entries) {
    const r = checkValue(x, [...path, k], onPath, done);
    if (r) return r;
  }
  onPath.delete(v);
  done.add(v);
  return null;
}

/**
 * `redis: { conf: ./redis.conf }`: the directives of the file the simulator models fill the redis
 * fields the scenario does not set (fields written in the scenario win). A value Redis would refuse to
 * start with is an error naming the file and line.
 */
function applyConf(doc: Document, file: string, opts: ParseOptions): void {
  let path: unknown;
  try {
    path = doc.getIn(["redis", "conf"]);
  } catch {
    return; // redis is not a map: the schema says so
  }
  if (path === undefined) return;
  if (typeof path !== "string" || path === "") throw new InputError(`${file}: redis.conf: ${show(path)} is not a path to a redis.conf file`);
  if (!opts.readConf) throw new InputError(`${file}: redis.conf: reading ${show(path)} needs file access (use sim run, or inline the values)`);
  const { text, file: confFile } = opts.readConf(path);
  const mapping = confToScenarioRedis(parseRedisConf(text, confFile));
  const bad = mapping.warnings.filter((w) => /refuses|not used|invalid|not one of|not a redis\.conf/.test(w.message));
  if (bad.length > 0) throw new InputError(bad.map((w) => `${confFile}:${w.line}: ${w.message}`).join("\n"));
  for (const f of mapping.fields) {
    if (doc.hasIn(["redis", f.field])) continue;
    doc.setIn(["redis", f.field], f.value);
  }
}

export function parseScenario(text: string, opts: ParseOptions = {}): Scenario {
  const file = opts.file ?? "scenario";
  const lc = new LineCounter();
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, logLevel: "error" });
  } catch (e) {
    // the parser recurses per nesting level: a pathological document can exhaust the stack
    throw new InputError(`${file}: not usable YAML: ${cut((e as Error).message.split("\n")[0], 120)}`);
  }
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const line = e.linePos?.[0]?.line ?? (e.pos ? lc.linePos(e.pos[0]).line : undefined);
    const more = doc.errors.length > 1 ? ` (and ${doc.errors.length - 1} more YAML error${doc.errors.length > 2 ? "s" : ""})` : "";
    throw new InputError(`${file}${line ? `:${line}` : ""}: not valid YAML: ${cut(e.message.split("\n")[0], 160)}${more}`);
  }
  if (!doc.contents || !isMap(doc.contents)) {
    // a scalar is not echoed: the file may be anything (a password file given by mistake)
    const what = !doc.contents ? "nothing" : isScalar(doc.contents) ? `a single ${typeof doc.contents.value === "string" ? "text" : "value"} (is this a scenario file?)` : isCollection(doc.contents) ? "a list" : "an alias";
    throw new InputError(`${file}: a scenario is a YAML mapping with redis, workload, … sections; found ${what}`);
  }
  const origins = opts.set?.length ? applySet(doc, lc, opts.set, file) : [];
  const where = (path: readonly (string | number)[]): string => {
    // a value from a --set or a sweep point: name it, and the sweep block's line
    const o = [...origins].reverse().find((o) => o.path.length <= path.length && o.path.every((p, i) => path[i] === p));
    if (o) return o.line !== null ? `${file}:${o.line}: ${o.label}: ` : `${o.label}: `;
    const line = lineOf(doc, lc, path);
    return `${file}${line ? `:${line}` : ""}: `;
  };
  applyConf(doc, file, opts);
  let input: unknown;
  try {
    input = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new InputError(`${file}: not a usable YAML document: ${cut((e as Error).message.split("\n")[0], 160)}`);
  }
  const bad = checkValue(input, [], new Set(), new Set());
  if (bad) throw new InputError(`${where(bad.path)}${pathText(bad.path)}: ${bad.message}`);
  const result = scenarioSchema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((iss) => {
    let value: unknown = input;
    for (const p of iss.path) value = value == null ? undefined : (value as Record<string | number, unknown>)[p];
    const at = iss.code === "unrecognized_keys" ? [...iss.path, iss.keys[0]] : iss.path;
    return `${where(at)}${pathText(iss.path)}: ${formatIssue(iss, value)}`;
  });
  throw new InputError([...new Set(lines)].join("\n"));
}
