import { cut } from "../errors.ts";
import { CONFIG_MAX_HZ, CONFIG_MIN_HZ, INT_CONFIGS, INT_MAX, MAX_DATABASES } from "../redis/config.ts";
import { APPENDFSYNC } from "../redis/persistence/config.ts";
import { REDIS_POLICY_NAMES } from "../redis/policies.ts";
import { MAX_MEMORY_BYTES, memoryValue, show, TOO_BIG } from "../units.ts";

/*
 * redis.conf, read as Redis 7.0 reads it (config.c loadServerConfigFromString), and the part of it the
 * simulator models mapped to a scenario's `redis:` section with where each value came from.
 *
 * The format (config.c, sds.c sdssplitargs):
 *   - the text is split on "\n"; each line is trimmed of " \t\r\n"; a line that then starts with `#`, or
 *     is empty, is skipped. `#` anywhere else is NOT a comment: `maxmemory 2gb # note` is three
 *     arguments, and Redis refuses to start ("wrong number of arguments"). We report that as a warning.
 *   - a line is split into arguments by sdssplitargs: whitespace separates them; "double quotes" allow
 *     spaces and the escapes \n \r \t \b \a \xHH and \<any char>; 'single quotes' allow spaces and only
 *     \' as an escape; a closing quote must be followed by whitespace or the end of the line; an
 *     unterminated quote makes the line invalid ("Unbalanced quotes", Redis refuses to start: a warning
 *     here, the line is skipped). \xHH gives the character with that code (we keep text as JS strings).
 *   - the directive name (argument 0) is case-insensitive; enum and yes/no values are too.
 *   - for ordinary directives the last occurrence wins. `save` is different (7.0 setConfigSaveOption):
 *     the first `save` line in a file drops the compiled default ("3600 1 300 100 60 10000"), every
 *     `save` line then appends its <seconds> <changes> pairs, and `save ""` clears them. With no
 *     `save` line at all the compiled default applies. A single quoted argument ("3600 1 300 100") is
 *     split again, as Redis does for multi-argument configs.
 *   - `include <path>` reads another file at that point. We do not follow includes (the file is usually
 *     not at hand): they are returned with their line numbers, and whatever they set is not applied.
 * Pure: no file access. The caller passes the text and the name to show in `from` strings.
 */

export interface ConfDirective {
  /** The directive name, lower-cased. */
  name: string;
  /** Its arguments (for `save`: the accumulated pairs in effect at the end of the file). */
  args: string[];
  /** 1-based line of the occurrence in effect (the last one). */
  line: number;
  /** Every line that set it, in order (several for `save`, or when repeated). */
  lines: number[];
}

export interface ConfWarning {
  line: number;
  message: string;
}

export interface ParsedConf {
  /** The name shown in `from` strings and messages (the path as the user gave it). */
  file: string;
  /** Directive name (lower-cased) → the occurrence in effect. */
  directives: Map<string, ConfDirective>;
  /** Every directive line in file order, as written (name lower-cased). */
  all: { name: string; args: string[]; line: number }[];
  /** `include` lines: not followed. */
  includes: { path: string; line: number }[];
  warnings: ConfWarning[];
}

/** Redis's compiled-in save points (server.c initServerConfig), in effect when redis.conf has no `save` line. */
export const REDIS_DEFAULT_SAVE = "3600 1 300 100 60 10000";

const isHex = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c);
const isSpace = (c: string | undefined) => c === " " || c === "\n" || c === "\r" || c === "\t" || c === "\v" || c === "\f";

/**
 * sdssplitargs: the arguments of one line, or null for unbalanced quotes (or a closing quote not
 * followed by whitespace), as Redis would refuse them.
 */
export function splitArgs(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    while (i < n && isSpace(line[i])) i++;
    if (i >= n) return out;
    let cur = "";
    let inq = false;
    let insq = false;
    let done = false;
    while (!done) {
      const c = line[i];
      if (inq) {
        if (c === "\\" && line[i + 1] === "x" && isHex(line[i + 2]) && isHex(line[i + 3])) {
          cur += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 3;
        } else if (c === "\\" && i + 1 < n) {
          i++;
          const e = line[i];
          cur += e === "n" ? "\n" : e === "r" ? "\r" : e === "t" ? "\t" : e === "b" ? "\b" : e === "a" ? "\x07" : e;
        } else if (c === '"') {
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          done = true;
        } else if (i >= n) {
          return null;
        } else cur += c;
      } else if (insq) {
        if (c === "\\" && line[i + 1] === "'") {
          i++;
          cur += "'";
        } else if (c === "'") {
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          done = true;
        } else if (i >= n) {
          return null;
        } else cur += c;
      } else if (i >= n || c === " " || c === "\n" || c === "\r" || c === "\t") {
        done = true;
      } else if (c === '"') inq = true;
      else if (c === "'") insq = true;
      else cur += c;
      if (i < n) i++;
    }
    out.push(cur);
  }
}

/** The shape of a directive name (config.c: letters, digits and '-'; module options are module.name). */
const DIRECTIVE = /^[a-z][a-z0-9._-]{0,127}$/;

/** Parses redis.conf text. Never throws: problems Redis would refuse to start on are warnings. */
export function parseRedisConf(text: string, file = "redis.conf"): ParsedConf {
  const directives = new Map<string, ConfDirective>();
  const all: ParsedConf["all"] = [];
  const includes: ParsedConf["includes"] = [];
  const warnings: ConfWarning[] = [];
  let save: { args: string[]; lines: number[] } | null = null;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const t = lines[i].replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, "");
    if (t === "" || t[0] === "#") continue;
    const argv = splitArgs(t);
    if (argv === null) {
      // the line's text is not echoed: the file may not be a redis.conf at all (and may hold secrets)
      warnings.push({ line: lineNo, message: `unbalanced quotes (Redis refuses to start on this line); skipped` });
      continue;
    }
    if (argv.length === 0) continue;
    const name = argv[0].toLowerCase();
    const args = argv.slice(1);
    if (!DIRECTIVE.test(name)) {
      // not even the shape of a directive name: the file is probably not a redis.conf (say which line, not what it holds)
      warnings.push({ line: lineNo, message: `not a redis.conf directive (expected "<name> <value>" with a name of letters, digits and '-' (or a module's name.option), such as "maxmemory 2gb"); Redis refuses to start on this line` });
      continue;
    }
    all.push({ name, args, line: lineNo });
    if (name === "include") {
      if (args.length === 1) includes.push({ path: args[0], line: lineNo });
      else warnings.push({ line: lineNo, message: `include takes one path (Redis refuses to start on this line)` });
      continue;
    }
    if (name === "save") {
      // a multi-argument config given as one non-empty argument is split again (config.c, 7.0)
      const empty = args.length === 1 && args[0] === "";
      const pairs = empty ? [] : args.length === 1 ? splitArgs(args[0]) ?? args : args;
      const bad = pairs.length % 2 !== 0 || pairs.some((p, j) => !/^-?\d+$/.test(p) || (j % 2 === 0 ? Number(p) < 1 : Number(p) < 0));
      if (bad) {
        warnings.push({ line: lineNo, message: `save ${cut(args.map((a) => JSON.stringify(a)).join(" "), 60)}: invalid save parameters (pairs of <seconds ≥ 1> <changes ≥ 0>; Redis refuses to start); skipped` });
        continue;
      }
      // the first save line drops the compiled default; `save ""` clears what earlier lines set
      if (save === null) save = { args: [], lines: [] };
      else if (empty) save.args = [];
      save.args.push(...pairs.map((p) => String(Number(p))));
      save.lines.push(lineNo);
      directives.set("save", { name, args: [...save.args], line: lineNo, lines: [...save.lines] });
      continue;
    }
    const prev = directives.get(name);
    directives.set(name, { name, args, line: lineNo, lines: [...(prev?.lines ?? []), lineNo] });
  }
  return { file, directives, all, includes, warnings };
}

// ---- mapping to the scenario's redis section ----------------------------------------------------------

/** One inferred scenario value and where it came from. */
export interface InferredField {
  /** The scenario key (in the redis section: spelled as in redis.conf). */
  field: string;
  value: string | number;
  /** Where it came from, e.g. `redis.conf:1033` or `INFO keyspace db0: keys=…`. */
  from: string;
  /** An extra remark for the comment (e.g. a clamped value). */
  note?: string;
}

export interface ConfMapping {
  /** Modelled directives, in the order of the scenario's redis section. */
  fields: InferredField[];
  /** Directives present in the file that the simulator does not model (with a reason where it matters). */
  ignored: { name: string; line: number; why?: string }[];
  /** Values Redis or the simulator would not accept, the parse warnings, and not-followed includes. */
  warnings: ConfWarning[];
  /** Remarks for the scenario's header (defaults that apply because a line is absent, …). */
  notes: string[];
}

/**
 * Redis 7's eviction policies (redis/policies.ts's REDIS_POLICY_NAMES: the scenario also has reference
 * policies) in config.c's maxmemory_policy_enum order, the order Redis lists them in its error: the
 * volatile ones, the allkeys ones, noeviction.
 */
export const CONF_POLICIES: readonly string[] = [...REDIS_POLICY_NAMES].sort((a, b) => policyGroup(a) - policyGroup(b));
function policyGroup(name: string): number {
  return name.startsWith("volatile-") ? 0 : name.startsWith("allkeys-") ? 1 : 2;
}

/** An integer directive as Redis 7.0 checks it: its own range (redis/config.ts's INT_CONFIGS). */
function redisInt(name: keyof typeof INT_CONFIGS): Rule {
  const c: { min: number; max: number; redis?: readonly [number, number] } = INT_CONFIGS[name];
  const [min, max] = c.redis ?? [c.min, c.max];
  return { kind: "int", min, max };
}

type Rule =
  | { kind: "memory" }
  | { kind: "int"; min: number; max: number }
  | { kind: "bool" }
  | { kind: "enum"; values: readonly string[] }
  | { kind: "save" };

/** The directives the simulator models, with Redis 7.0's own checks (config.c standardConfig table). */
export const MODELLED: Record<string, Rule> = {
  maxmemory: { kind: "memory" },
  "maxmemory-policy": { kind: "enum", values: CONF_POLICIES },
  "maxmemory-samples": redisInt("maxmemory-samples"),
  "maxmemory-eviction-tenacity": redisInt("maxmemory-eviction-tenacity"),
  hz: redisInt("hz"),
  "lfu-log-factor": redisInt("lfu-log-factor"),
  "lfu-decay-time": redisInt("lfu-decay-time"),
  "active-expire-effort": redisInt("active-expire-effort"),
  databases: redisInt("databases"),
  save: { kind: "save" },
  "stop-writes-on-bgsave-error": { kind: "bool" },
  appendonly: { kind: "bool" },
  appendfsync: { kind: "enum", values: APPENDFSYNC },
  "no-appendfsync-on-rewrite": { kind: "bool" },
  "auto-aof-rewrite-percentage": { kind: "int", min: 0, max: INT_MAX },
  "auto-aof-rewrite-min-size": { kind: "memory" },
};

/** Directives that bear on memory behaviour but are not modelled: why, for the scenario's notes. */
const NOT_MODELLED: Record<string, string> = {
  "dynamic-hz": "the simulator always applies dynamic-hz (Redis's default, yes)",
  "lazyfree-lazy-eviction": "evicted keys are freed at once in the simulator (no background thread)",
  "lazyfree-lazy-expire": "expired keys are freed at once in the simulator (no background thread)",
  "lazyfree-lazy-server-del": "deleted keys are freed at once in the simulator",
  activedefrag: "fragmentation is not modelled (host.fragmentation-ratio is a fixed ratio)",
  "maxmemory-clients": "client eviction is not modelled",
  "replica-ignore-maxmemory": "replicas are not modelled",
  maxclients: "clients are a fixed count (redis.clients)",
  "io-threads": "command time is not modelled per thread",
  "hash-max-listpack-entries": "only string keys are modelled",
  "hash-max-ziplist-entries": "only string keys are modelled",
};

/** Redis's memtoull (util.c, 7.0): digits with an optional b, k, kb, m, mb, g, gb (any case). */
const REDIS_MEMORY = /^\d+(b|k|kb|m|mb|g|gb)?$/i;
/** Redis's string2ll: an optional '-', no leading zeros, no '+'. */
const REDIS_INT = /^-?(0|[1-9]\d*)$/;

/** Checks one value as Redis would; returns the scenario value or a reason Redis refuses it. */
function redisValue(rule: Rule, raw: string): { value: string | number } | { error: string } {
  switch (rule.kind) {
    case "memory":
      if (!REDIS_MEMORY.test(raw)) return { error: `${show(raw, 40)} is not a memory size Redis reads (digits with b, k, kb, m, mb, g or gb)` };
      return { value: /^\d+$/.test(raw) ? Number(raw) : raw.toLowerCase() };
    case "int": {
      if (!REDIS_INT.test(raw)) return { error: `${show(raw, 40)} is not a whole number` };
      const v = Number(raw);
      if (v < rule.min || v > rule.max) return { error: `${cut(raw, 40)} must be between ${rule.min} and ${rule.max}` };
      return { value: v };
    }
    case "bool": {
      const v = raw.toLowerCase();
      if (v !== "yes" && v !== "no") return { error: `${show(raw, 40)} must be yes or no` };
      return { value: v };
    }
    case "enum": {
      const v = raw.toLowerCase();
      if (!rule.values.includes(v)) return { error: `${show(raw, 40)} is not one of ${rule.values.join(", ")}` };
      return { value: v };
    }
    case "save":
      return { value: raw };
  }
}

/**
 * A scenario's `save`: "<seconds> <changes>" pairs of whole numbers, as the arguments of redis.conf's
 * save lines ("" = no snapshots). The problem with it, or null.
 */
export function savePointsProblem(v: string): string | null {
  const parts = v.trim() === "" ? [] : v.trim().split(/\s+/);
  if (parts.length % 2 !== 0 || !parts.every((x) => /^\d+$/.test(x)))
    return `${show(v)} is not a list of "<seconds> <changes>" pairs (e.g. "3600 1 300 100 60 10000"; "" = no snapshots)`;
  return null;
}

/**
 * A value Redis accepts, checked against what the simulator accepts (the ranges of redis/config.ts's
 * INT_CONFIGS, sizes up to MAX_MEMORY_BYTES): the message when it does not.
 */
function simulatorCheck(field: string, rule: Rule, value: string | number): string | null {
  if (rule.kind === "memory") {
    const b = memoryValue(value);
    return b !== null && b > MAX_MEMORY_BYTES ? `${show(value)} ${TOO_BIG}` : null;
  }
  if (rule.kind === "int" && typeof value === "number" && Object.hasOwn(INT_CONFIGS, field)) {
    const { min, max } = INT_CONFIGS[field as keyof typeof INT_CONFIGS];
    if (value < min) return `${show(value, 40)} must be at least ${min}`;
    if (value > max) return `${show(value, 40)} must be at most ${max}`;
  }
  return null;
}

/**
 * The directives the simulator models, as scenario `redis:` fields with their source line, checked
 * first as Redis checks them (a value Redis refuses is a warning, not a field) and then against what
 * the simulator accepts (simulatorCheck, from the tables the scenario schema reads). Two values Redis accepts but the simulator bounds more tightly are adjusted with a
 * note rather than dropped: hz outside 1…500 (Redis itself clamps it, config.c updateHZ) and databases
 * above 16 (the simulator has 16 at most; a key class may use db 0–15).
 */
export function confToScenarioRedis(parsed: ParsedConf): ConfMapping {
  const fields: InferredField[] = [];
  const warnings: ConfWarning[] = [...parsed.warnings];
  const notes: string[] = [];
  const f = parsed.file;
  for (const [field, rule] of Object.entries(MODELLED)) {
    const d = parsed.directives.get(field);
    if (!d) {
      if (field === "save")
        fields.push({
          field,
          value: REDIS_DEFAULT_SAVE,
          from: `Redis's compiled default (${f} has no save line)`,
          note: `Redis snapshots with these save points when the file sets none`,
        });
      continue;
    }
    const at = `${f}:${d.line}`;
    if (rule.kind === "save") {
      const value = d.args.join(" ");
      const from = d.lines.length > 1 ? `${f}:${d.lines.join(",")}` : at;
      fields.push({ field, value, from, note: value === "" ? `no snapshots` : undefined });
      continue;
    }
    if (d.args.length !== 1) {
      const hint = d.args.slice(1).some((a) => a.startsWith("#")) ? ` (# starts a comment only at the beginning of a line)` : "";
      warnings.push({ line: d.line, message: `${field}: takes one argument, found ${d.args.length}${hint}; Redis refuses to start on this line; not used` });
      continue;
    }
    const rv = redisValue(rule, d.args[0]);
    if ("error" in rv) {
      warnings.push({ line: d.line, message: `${field}: ${rv.error}; Redis refuses to start on this line; not used` });
      continue;
    }
    let value = rv.value;
    let note: string | undefined;
    if (field === "hz" && typeof value === "number" && (value < CONFIG_MIN_HZ || value > CONFIG_MAX_HZ)) {
      note = `Redis clamps hz ${value} to ${value < CONFIG_MIN_HZ ? CONFIG_MIN_HZ : CONFIG_MAX_HZ}`;
      value = value < CONFIG_MIN_HZ ? CONFIG_MIN_HZ : CONFIG_MAX_HZ;
    }
    if (field === "databases" && typeof value === "number" && value > MAX_DATABASES) {
      note = `databases ${value}: the simulator models at most ${MAX_DATABASES}`;
      warnings.push({ line: d.line, message: `databases ${value}: the simulator models at most ${MAX_DATABASES} databases; using ${MAX_DATABASES}` });
      value = MAX_DATABASES;
    }
    const bad = simulatorCheck(field, rule, value);
    if (bad) {
      warnings.push({ line: d.line, message: `${field}: ${bad} (the simulator does not accept it); not used` });
      continue;
    }
    fields.push({ field, value, from: at, note });
  }
  for (const inc of parsed.includes) {
    warnings.push({ line: inc.line, message: `include ${cut(inc.path, 100)}: not followed; what it sets is not applied (check it by hand)` });
    notes.push(`${f}:${inc.line}: include ${inc.path} was not followed: settings in it are not applied`);
  }
  const ignored: ConfMapping["ignored"] = [];
  const seen = new Set<string>();
  for (const d of parsed.all) {
    if (d.name === "include" || Object.hasOwn(MODELLED, d.name) || seen.has(d.name)) continue;
    seen.add(d.name);
    const cur = parsed.directives.get(d.name)!;
    ignored.push({ name: d.name, line: cur.line, why: NOT_MODELLED[d.name] });
  }
  return { fields, ignored, warnings: warnings.sort((a, b) => a.line - b.line), notes };
}
