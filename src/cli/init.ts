import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { makeDir } from "../io/output.ts";
import { basename, dirname, extname, join } from "node:path";
import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { infoToScenario, parseInfo, roundDuration, roundShare, type InferredClass, type InfoInference, type RedisInfo } from "../conf/info.ts";
import { confToScenarioRedis, parseRedisConf, REDIS_DEFAULT_SAVE, type ConfMapping, type InferredField } from "../conf/redis-conf.ts";
import { fitSizes, groupByPrefix, parseSizes, subsetSizes, type ParsedSizes, type PrefixGrouping, type SizeFit } from "../conf/sizes.ts";
import { InputError } from "../errors.ts";
import { ALLOCATORS, type Allocator } from "../redis/alloc.ts";
import { allocatorFromInfo, type InfoHint } from "../io/replay/allocator.ts";
import { parseScenario } from "../api.ts";
import { redisSection } from "../scenario/schema.ts";
import { parseDuration, parseMemory } from "../units.ts";
import { DEFAULT_REDIS_CONFIG } from "../redis/config.ts";

/*
 * `sim init`: a commented starting scenario from what a user can copy out of production: redis.conf
 * (--conf), the text of INFO all (--info) and a sample of MEMORY USAGE per key (--sizes). Every
 * inferred value is followed by `# from <where>`; what cannot be inferred is a stated default with a
 * note. The text is checked with the scenario parser before it is written, so `sim run` accepts it.
 *
 * Precedence: the redis.conf file first; INFO's running values (maxmemory, maxmemory_policy,
 * configured_hz, aof_enabled) over it, since CONFIG SET may have changed them since start (a
 * disagreement is noted); value sizes from --sizes over INFO's mean; allocator from --allocator, else
 * from INFO's mem_allocator and redis_version where they tell (src/io/replay/allocator.ts allocatorFromInfo:
 * a jemalloc other than the one that Redis version bundles is a distribution's, jemalloc-debian), else
 * the default with a comment saying why it could not be told (sim calibrate probes a running server).
 * `include` lines of redis.conf are not followed (listed in the header); no `redis.conf:` key is
 * written: the values are inlined.
 *
 * Classes: one per key prefix of the --sizes sample where its keys have common prefixes (the part
 * before the first ':', else another separator; sizes.ts groupByPrefix), each with its share of the
 * sample × its database's keys in INFO, its own fitted value sizes and its TTL (prefixClasses); else
 * one per database (and TTL or not) from INFO keyspace, all with the whole sample's sizes. The rate is
 * INFO's long-run commands per second (info.ts), the one-second snapshot in the comment.
 */

export interface InitArgs {
  conf?: string;
  info?: string;
  sizes?: string;
  /** Output file; "-" for stdout. Default scenarios/<name>.yaml. */
  out?: string;
  name?: string;
  duration?: string;
  force?: boolean;
  allocator?: string;
}

export interface InitOutcome {
  /** The file written, or null for stdout. */
  path: string | null;
  text: string;
  warnings: string[];
}

/** The text of an input file, or an InputError naming it. */
function readInput(path: string, option: string): string {
  if (!existsSync(path)) throw new InputError(`${path}: no such file (${option})`);
  if (statSync(path).isDirectory()) throw new InputError(`${path}: is a directory, not a file (${option})`);
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`${path}: cannot read it (${code === "EACCES" ? "permission denied" : code ?? (e as Error).message}) (${option})`);
  }
}

// ---- YAML text --------------------------------------------------------------------------------------------

const PLAIN = /^(?:[A-Za-z][A-Za-z0-9._-]*|\d+(?:\.\d+)?[a-z][a-z0-9]*)$/;

/** A scalar as YAML: plain where unambiguous, else double-quoted (JSON strings are YAML). */
export function yamlScalar(v: string | number): string {
  if (typeof v === "number") return String(v);
  if (PLAIN.test(v) && !/^(true|false|null|~)$/i.test(v)) return v;
  return JSON.stringify(v);
}

const COMMENT_COL = 40;

/** `<indent>key: value` padded, then `# comment`. */
function line(indent: string, key: string, value: string, comment?: string): string {
  const s = `${indent}${key}: ${value}`;
  return comment ? `${s.padEnd(Math.max(COMMENT_COL, s.length + 1))} # ${comment}` : s;
}

const fromComment = (f: InferredField) => `from ${f.from}${f.note ? `; ${f.note}` : ""}`;

/** A long comment as lines of about `width` characters: `<indent># <lead>text`, continued 2 further in. */
function wrapComment(indent: string, text: string, lead = "", width = 108): string[] {
  const out: string[] = [];
  let cur = "";
  for (const w of text.split(" ").filter((x) => x !== "")) {
    const pre = out.length === 0 ? lead : lead + "  ";
    if (cur && indent.length + 2 + pre.length + cur.length + 1 + w.length > width) {
      out.push(`${indent}# ${pre}${cur}`);
      cur = w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur) out.push(`${indent}# ${out.length === 0 ? lead : lead + "  "}${cur}`);
  return out;
}

// ---- building -------------------------------------------------------------------------------------------

export interface InitInputs {
  conf?: { text: string; file: string };
  info?: { text: string; file: string };
  sizes?: { text: string; file: string };
  name: string;
  duration: string;
  allocator?: Allocator;
  /** The command line, for the header. */
  command: string;
}

/** Whether two values of one field are the same setting (`2gb` and 2147483648 are). */
function sameValue(a: string | number, b: string | number): boolean {
  if (String(a) === String(b)) return true;
  const ma = parseMemory(a), mb = parseMemory(b);
  return ma !== null && mb !== null && ma === mb;
}

/** Merges redis fields: redis.conf first, INFO's running values over them (noting disagreements). */
function mergeRedis(conf: InferredField[], info: InferredField[], extra: InferredField[]): InferredField[] {
  const out = new Map<string, InferredField>();
  for (const f of conf) out.set(f.field, f);
  for (const f of info) {
    const c = out.get(f.field);
    if (!c) out.set(f.field, f);
    else if (sameValue(c.value, f.value)) out.set(f.field, { ...c, from: `${c.from} (${f.from} agrees)` });
    else out.set(f.field, { ...f, note: `${f.note ? f.note + "; " : ""}${c.from} says ${c.value}: the running server's value wins (CONFIG SET since start?)` });
  }
  for (const f of extra) out.set(f.field, f);
  return [...out.values()];
}

/** One class of the written scenario, each value with its source. */
interface ClassSpec {
  name: string;
  db: number;
  /** The comment of the db line. */
  dbFrom: string;
  keys: InferredField;
  share: InferredField;
  ttl: InferredField;
  /** The class's own value sizes (a prefix's samples); else the whole sample's. */
  fit?: SizeFit;
  /** The comment of the name line. */
  nameNote?: string;
}

/** Sampled remaining TTLs whose 2 × mean exceeds the longest by more than this bunch (keys written together). */
const BUNCHED = 1.25;

/** Keys assumed in all when no INFO gives the key count. */
const DEFAULT_KEYS = 100_000;

/** A class name the schema accepts, from a key prefix. */
const className = (prefix: string) => prefix.replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60) || "prefix";

const pct = (x: number) => `${Number((x * 100).toFixed(1))} %`;

/**
 * Classes from the key prefixes of the sizes sample (sizes.ts groupByPrefix): one per prefix (and
 * database, with a db column), its keys the prefix's share of the sample × the database's keys in INFO
 * keyspace (100 000 in all without INFO), its traffic share its share of all keys, its value sizes
 * fitted from its own samples, its TTL from the sample's ttl column (2 × the mean remaining TTL, as
 * for avg_ttl), else the database's from INFO; a prefix of which only some keys have a TTL is split
 * like a database is (`product` and `product-ttl`). Null (and a warning when it matters) when the keys
 * have no common prefixes, or INFO shows several databases and the sample does not say which keys are
 * in which: then classes follow the databases as before.
 */
function prefixClasses(
  parsed: ParsedSizes,
  info: RedisInfo | null,
  infoClasses: InferredClass[],
  allocator: Allocator,
  warnings: string[],
): { grouping: PrefixGrouping; classes: ClassSpec[]; note: string } | null {
  const grouping = groupByPrefix(parsed);
  if (!grouping) return null;
  const file = parsed.file;
  const infoDbs = [...new Set(infoClasses.map((c) => c.db))];
  const hasDbCol = parsed.samples.every((x) => x.db !== undefined);
  const names = grouping.groups.filter((g) => g.prefix !== null).map((g) => g.prefix!);
  if (!hasDbCol && infoDbs.length > 1) {
    warnings.push(
      `${file}: the keys have prefixes (${cutList(names)}) but INFO shows keys in ${infoDbs.map((d) => `db${d}`).join(", ")} and the sample does not say which key is in which: classes follow the databases; add a db column (db,key,bytes) for a class per prefix`,
    );
    return null;
  }
  // groups per database
  let groups = grouping.groups.map((g) => ({ ...g, db: hasDbCol ? g.db ?? g.samples[0].db! : infoDbs[0] ?? 0 }));
  if (hasDbCol) {
    // the "other" group of a db-column sample may mix databases: split it
    const other = groups.find((g) => g.prefix === null);
    if (other) {
      groups = groups.filter((g) => g !== other);
      for (const d of [...new Set(other.samples.map((x) => x.db!))].sort((a, b) => a - b)) {
        const samples = other.samples.filter((x) => x.db === d);
        groups.push({ prefix: null, db: d, samples, n: samples.reduce((a, x) => a + x.weight, 0) });
      }
    }
    if (info) {
      const gone = groups.filter((g) => !infoDbs.includes(g.db));
      if (gone.length) {
        const dbs = [...new Set(gone.map((g) => g.db))];
        warnings.push(`${file}: ${gone.reduce((a, g) => a + g.n, 0)} sampled keys are in ${dbs.map((d) => `db${d}`).join(", ")}, where INFO keyspace shows no keys (or the simulator models none): left out of the classes`);
        groups = groups.filter((g) => infoDbs.includes(g.db));
      }
      if (groups.length === 0) return null;
    }
  }
  const dbsInSample = [...new Set(groups.map((g) => g.db))];
  const sampleN = (d: number) => groups.filter((g) => g.db === d).reduce((a, g) => a + g.n, 0);
  const allN = groups.reduce((a, g) => a + g.n, 0);
  const infoDb = (d: number) => info?.dbs.find((x) => x.db === d);
  const used = new Set<string>();
  const unique = (base: string, db: number) => {
    let n = base;
    if (used.has(n)) n = `${base}-db${db}`;
    for (let k = 2; used.has(n); k++) n = `${base}-${k}`;
    used.add(n);
    return n;
  };
  const out: ClassSpec[] = [];
  for (const d of dbsInSample) {
    const idb = infoDb(d);
    const dbKeys = idb ? idb.keys : Math.round((DEFAULT_KEYS * sampleN(d)) / allN);
    const inDb = groups.filter((g) => g.db === d);
    // keys per group, largest remainder to the largest group so that they add up to the db's keys
    const counts = inDb.map((g) => Math.max(1, Math.round((g.n / sampleN(d)) * dbKeys)));
    const diff = dbKeys - counts.reduce((a, b) => a + b, 0);
    if (diff !== 0 && counts[0] + diff >= 1) counts[0] += diff;
    const infTtl = infoClasses.find((c) => c.db === d && c.ttl.value !== "none");
    const dbLine = idb ? `INFO keyspace db${d}: keys=${idb.keys},expires=${idb.expires},avg_ttl=${idb.avgTtlMs}` : null;
    inDb.forEach((g, gi) => {
      const label = g.prefix !== null ? `${g.prefix}${grouping.sep}* keys${hasDbCol ? ` in db${d}` : ""}` : `keys with no common prefix${hasDbCol ? ` in db${d}` : ""}`;
      const fit = fitSizes(subsetSizes(parsed, g.samples), { allocator, label });
      for (const n of fit.notes) warnings.push(`${file}: ${label}: ${n}`);
      const keys = counts[gi];
      const sampleWords = `${g.n} of ${sampleN(d)} sampled keys${hasDbCol ? ` in db${d}` : ""} (${pct(g.n / sampleN(d))}) are ${g.prefix !== null ? `${g.prefix}${grouping.sep}*` : "of no common prefix"}`;
      const keysField: InferredField = idb
        ? { field: "keys", value: keys, from: `${file}: ${sampleWords}, × ${dbLine!.split(",")[0]}` }
        : { field: "keys", value: keys, from: `default: ${DEFAULT_KEYS} keys (no INFO given) split by the sample: ${sampleWords}`, note: "not inferable: set your key count" };
      // TTL: from the sample's ttl column, else the database's from INFO, else none
      const known = g.samples.filter((x) => x.ttlMs !== undefined);
      const knownN = known.reduce((a, x) => a + x.weight, 0);
      let ttl: InferredField;
      let ttlShare: number; // of the class's keys that have the TTL
      if (knownN > 0) {
        const withTtl = known.filter((x) => x.ttlMs !== null);
        const wN = withTtl.reduce((a, x) => a + x.weight, 0);
        ttlShare = wN / knownN;
        if (wN === 0) ttl = { field: "ttl", value: "none", from: `${file} ttl column: none of the ${knownN} sampled ${label} has a TTL` };
        else {
          // keys written steadily with a TTL T have remaining TTLs spread over (0, T]: T ≈ 2 × their mean,
          // at most the longest seen; keys written together have theirs bunched near the longest
          const mean = withTtl.reduce((a, x) => a + x.ttlMs! * x.weight, 0) / wN;
          const max = withTtl.reduce((a, x) => Math.max(a, x.ttlMs!), 0);
          const what = `${wN} sampled ${label}`;
          ttl =
            2 * mean <= BUNCHED * max
              ? {
                  field: "ttl",
                  value: roundDuration(Math.max(1, Math.min(2 * mean, max))),
                  from: `${file} ttl column: 2 × the mean remaining TTL of ${what} (${roundDuration(mean)}, as INFO's avg_ttl is)${2 * mean > max ? `, capped at the longest one, ${roundDuration(max)}` : `; the longest ${roundDuration(max)}`}`,
                  note: "remaining TTLs average half the TTL when keys are written steadily",
                }
              : {
                  field: "ttl",
                  value: roundDuration(Math.max(1, max)),
                  from: `${file} ttl column: the longest remaining TTL of ${what}`,
                  note: `their remaining TTLs bunch near it (mean ${roundDuration(mean)}), as when keys are written together, not spread as steady writes leave them`,
                };
        }
      } else if (idb) {
        ttlShare = idb.keys > 0 ? Math.min(1, idb.expires / idb.keys) : 0;
        ttl = infTtl
          ? { ...infTtl.ttl, note: `${infTtl.ttl.note ? `${infTtl.ttl.note}; ` : ""}the database's: the sample has no ttl column to tell it per prefix` }
          : { field: "ttl", value: "none", from: `${dbLine}: expires=0` };
      } else {
        ttlShare = 0;
        ttl = { field: "ttl", value: "none", from: "default: no INFO given and no ttl column", note: "not inferable: set your TTL" };
      }
      const base = className(g.prefix ?? "other");
      const nameNote = (n: string) =>
        g.prefix !== null
          ? `production's ${g.prefix}${grouping.sep}* keys; the simulator names them ${n}:<index>`
          : `keys with no common prefix; the simulator names them ${n}:<index>`;
      const ttlKeys = Math.round(keys * ttlShare);
      const split = ttl.value !== "none" && ttlKeys >= 1 && keys - ttlKeys >= 1;
      const ttlWhy = knownN > 0 ? `${file} ttl column: ${pct(ttlShare)} of the sampled ${label} have a TTL` : `INFO keyspace db${d}: expires=${idb?.expires} of keys=${idb?.keys} (${pct(ttlShare)}), the database's share (the sample has no ttl column)`;
      if (split) {
        const n1 = unique(base, d);
        out.push({ name: n1, db: d, dbFrom: "", keys: { ...keysField, value: keys - ttlKeys, from: `${keysField.from} × ${pct(1 - ttlShare)} without a TTL` }, share: keysField, ttl: { field: "ttl", value: "none", from: `${ttlWhy}: these are the keys without one` }, fit, nameNote: nameNote(n1) });
        const n2 = unique(`${base}-ttl`, d);
        out.push({ name: n2, db: d, dbFrom: "", keys: { ...keysField, value: ttlKeys, from: `${keysField.from} × ${pct(ttlShare)} with a TTL` }, share: keysField, ttl, fit, nameNote: nameNote(n2) });
      } else {
        // all, none, or too few keys to split: the majority decides
        let t = ttl;
        if (ttl.value !== "none" && ttlShare < 1)
          t = ttlShare >= 0.5 ? { ...ttl, note: `${ttl.note ? `${ttl.note}; ` : ""}${ttlWhy}: too few keys to split, all given it` } : { field: "ttl", value: "none", from: `${ttlWhy}: too few keys to split, none given one` };
        const n1 = unique(base, d);
        out.push({ name: n1, db: d, dbFrom: "", keys: keysField, share: keysField, ttl: t, fit, nameNote: nameNote(n1) });
      }
    });
  }
  const total = out.reduce((a, c) => a + Number(c.keys.value), 0);
  for (const c of out) {
    const k = Number(c.keys.value);
    c.share = { field: "share", value: roundShare(k / total), from: `keys / all keys (${k} / ${total})`, note: "neither INFO nor the sample shows traffic per prefix: shares follow key counts" };
    const idb = infoDb(c.db);
    c.dbFrom = idb ? (hasDbCol ? `from ${file} db column and INFO keyspace db${c.db}` : `from INFO keyspace db${c.db}, the only database with keys`) : hasDbCol ? `from ${file} db column` : "the default";
  }
  const note = info
    ? `Each class's keys are its share of the sample × its database's keys in INFO keyspace; its value sizes are fitted from its own samples.`
    : `Without --info the key count is a default (${DEFAULT_KEYS} in all), split by the sample's proportions; each class's value sizes are fitted from its own samples.`;
  return { grouping, classes: out, note };
}

const cutList = (xs: string[]) => (xs.length > 6 ? `${xs.slice(0, 6).join(", ")}, …` : xs.join(", "));

/** The scenario text (and warnings) from parsed inputs. Throws InputError on unusable inputs. */
export function buildInitScenario(inp: InitInputs): { text: string; warnings: string[] } {
  const warnings: string[] = [];
  let conf: ConfMapping | null = null;
  let confDatabases: number | null = null;
  if (inp.conf) {
    const parsed = parseRedisConf(inp.conf.text, inp.conf.file);
    conf = confToScenarioRedis(parsed);
    for (const w of conf.warnings) warnings.push(`${inp.conf.file}:${w.line}: ${w.message}`);
    const db = conf.fields.find((f) => f.field === "databases");
    confDatabases = db ? Number(db.value) : null;
  }
  let info: RedisInfo | null = null;
  let allocatorField: InferredField | null = inp.allocator ? { field: "allocator", value: inp.allocator, from: "--allocator" } : null;
  let allocatorHint: InfoHint | null = null;
  if (inp.info) {
    info = parseInfo(inp.info.text, inp.info.file);
    allocatorHint = allocatorFromInfo(info.redis_version, info.mem_allocator);
    if (allocatorHint.allocator) allocatorField ??= { field: "allocator", value: allocatorHint.allocator, from: allocatorHint.from, note: allocatorHint.why };
  }
  const allocator = (allocatorField?.value as Allocator | undefined) ?? DEFAULT_REDIS_CONFIG.allocator;
  let inf: InfoInference | null = null;
  if (info) {
    inf = infoToScenario(info, { allocator });
    for (const n of inf.notes) warnings.push(`${inp.info!.file}: ${n}`);
  }
  let fit: SizeFit | null = null;
  let parsedSizes: ParsedSizes | null = null;
  if (inp.sizes) {
    parsedSizes = parseSizes(inp.sizes.text, inp.sizes.file);
    fit = fitSizes(parsedSizes, { allocator });
    for (const n of fit.notes) warnings.push(`${inp.sizes.file}: ${n}`);
  }

  const redisFields = mergeRedis(conf?.fields ?? [], inf?.redis ?? [], allocatorField ? [allocatorField] : []);
  const databases = confDatabases ?? DEFAULT_REDIS_CONFIG.databases;
  const classes = (inf?.classes ?? []).filter((c) => {
    if (c.db < databases) return true;
    warnings.push(`${inp.info!.file}: db${c.db} is not below databases ${databases} (${conf ? inp.conf!.file : "default"}); its keys are left out`);
    return false;
  });
  if (inf && classes.length === 0) throw new InputError(`${inp.info!.file}: no database with keys is below databases ${databases}`);
  const prefixed = parsedSizes ? prefixClasses(parsedSizes, info, classes, allocator, warnings) : null;

  // ---- text
  const L: string[] = [];
  const used = [inp.conf && "--conf", inp.info && "--info", inp.sizes && "--sizes"].filter(Boolean).length;
  L.push(`# A starting scenario written by sim init (evictsim):`);
  L.push(`#   ${inp.command}`);
  if (inp.conf) L.push(`#   --conf ${inp.conf.file}: ${conf!.fields.filter((f) => !f.from.startsWith("Redis's compiled default")).length} modelled settings read, ${conf!.ignored.length} directives not modelled (listed at the end)`);
  if (inp.info) L.push(`#   --info ${inp.info.file}: INFO of Redis ${info!.redis_version ?? "?"}, ${info!.dbs.length} databases with keys`);
  if (inp.sizes)
    L.push(`#   --sizes ${inp.sizes.file}: ${fit!.n} keys' sizes${prefixed ? `, ${prefixed.grouping.groups.length} key prefixes (one class each)` : ""}`);
  L.push(`# Every inferred value is followed by "# from <where it came from>". Values the inputs do not give are`);
  L.push(`# defaults, said so where they matter; keys left as comments take the simulator's default.`);
  L.push(`# Not inferable from ${used > 1 ? "these inputs" : "this input"}: how skewed key access is (popularity), traffic per ${prefixed ? "class" : "database"}, and`);
  L.push(`# the key types (everything is modelled as strings). Check those before trusting a run.`);
  const notFollowed = conf?.notes ?? [];
  if (notFollowed.length) {
    L.push(`#`);
    L.push(`# Not followed:`);
    for (const n of notFollowed) L.push(`#   ${n}`);
  }
  if (warnings.length) {
    L.push(`#`);
    L.push(`# Warnings:`);
    for (const w of warnings) L.push(...wrapComment("", w, "  "));
  }
  if (inf?.observed.length) {
    L.push(`#`);
    L.push(`# Observed on the server (to compare with sim run's results; not inputs):`);
    for (const o of inf.observed) L.push(...wrapComment("", o, "  "));
  }
  L.push("");
  L.push(line("", "name", yamlScalar(inp.name)));
  const sources = [inp.conf && basename(inp.conf.file), inp.info && basename(inp.info.file), inp.sizes && basename(inp.sizes.file)].filter(Boolean).join(", ");
  L.push(line("", "description", yamlScalar(`inferred by sim init from ${sources}`)));
  L.push(line("", "seed", "1"));
  L.push(line("", "duration", yamlScalar(inp.duration), "sim init --duration (default 10m): how long to simulate"));
  L.push("");

  // redis section, in the schema's order
  const redisAt = L.length;
  L.push("redis:");
  const defaults = redisSection.parse({}) as Record<string, unknown>;
  const byField = new Map(redisFields.map((f) => [f.field, f]));
  for (const key of Object.keys(redisSection.shape)) {
    if (key === "memory-accounting" || key === "conf") continue; // conf: the values are inlined
    const f = byField.get(key);
    if (f) {
      L.push(line("  ", key, yamlScalar(f.value), fromComment(f)));
      continue;
    }
    const d = defaults[key] as string | number;
    let why: string;
    if (key === "allocator")
      why = allocatorHint
        ? `${allocatorHint.from}: cannot tell (${allocatorHint.why}); the default, the classes of official builds and Docker images; sim calibrate --redis URL --flush probes a server's`
        : `not inferable without --info: the default, the classes of official builds and Docker images; Debian/Ubuntu's package needs jemalloc-debian (sim init --allocator; sim calibrate probes a server)`;
    else if (key === "save") why = inp.conf ? `from the simulator's default` : `INFO does not show save points: the simulator's default (no snapshots); Redis's own default is "${REDIS_DEFAULT_SAVE}"`;
    else if (key === "clients") why = `not in the inputs: the default`;
    else why = `not in the inputs: ${inp.conf ? "Redis's" : "the"} default`;
    L.push(line("  # ", key, yamlScalar(d), why));
  }
  if (!L.slice(redisAt + 1).some((l) => /^  [a-z]/.test(l))) L[redisAt] = "redis: {}"; // every field a comment (an INFO without maxmemory)
  L.push("");

  // workload
  L.push("workload:");
  const rate: InferredField = inf?.rate ?? { field: "rate", value: 1000, from: "default: no INFO given", note: "not inferable: set your request rate" };
  L.push(line("  ", "rate", yamlScalar(rate.value), fromComment(rate)));
  L.push(line("  ", "mode", "cache-aside", "the default: a GET per request, and a SET after a miss (INFO cannot tell the access pattern)"));
  L.push("  classes:");
  const cls: ClassSpec[] = prefixed
    ? prefixed.classes
    : inf?.classes && classes.length
      ? classes.map((c) => ({ ...c, dbFrom: c.keys.from.startsWith("INFO") ? `from INFO keyspace db${c.db}` : "the default" }))
      : [
          {
            name: "cache",
            db: 0,
            dbFrom: "the default",
            keys: { field: "keys", value: 100_000, from: "default: no INFO given", note: "not inferable: set your key count" },
            share: { field: "share", value: 1, from: "default: one class" },
            ttl: { field: "ttl", value: "none", from: "default: no INFO given", note: "not inferable: set your TTL" },
          },
        ];
  if (prefixed) L.push(...wrapComment("    ", `from ${inp.sizes!.file}: ${prefixed.grouping.rule}. ${prefixed.note}`));
  // value size: the sizes sample (each prefix class its own), else INFO's mean, else the default. The
  // first class of one fit gets the explanation; the others the same value on one line, pointing back.
  const fitLines = (ind: string, f: SizeFit, asFor: string | null, cross: boolean): string[] => {
    const vs = f.valueSize;
    if (asFor !== null) {
      const flow = vs.dist === "fixed" ? String(vs.size) : `{ dist: empirical, values: [${vs.values.join(", ")}], weights: [${vs.weights.join(", ")}] }`;
      return [line(ind, "value-size", flow, `from ${inp.sizes!.file}, as for ${asFor}`)];
    }
    const out: string[] = [];
    if (cross && inf?.memory) out.push(...wrapComment(ind, `INFO's used_memory implies a mean value of ~${inf.memory.valueLen} B; this sample's mean is ${fit!.meanValue.toFixed(0)} B`));
    if (f.lognormal) out.push(`${ind}# the same sample as a lognormal: {dist: lognormal, median: ${f.lognormal.median}, p99: ${f.lognormal.p99}}`);
    if (vs.dist === "fixed") out.push(line(ind, "value-size", String(vs.size), `from ${f.from}`));
    else {
      out.push(line(ind, "value-size", "", `from ${f.from}`));
      out.push(`${ind}  dist: empirical`);
      out.push(`${ind}  values: [${vs.values.join(", ")}]`);
      out.push(`${ind}  weights: [${vs.weights.join(", ")}]`);
    }
    return out;
  };
  let sizeLines: (indent: string, c: ClassSpec, i: number) => string[];
  if (fit) {
    const firstOf = new Map<SizeFit, string>();
    sizeLines = (ind, c, i) => {
      const f = c.fit ?? fit!;
      const asFor = firstOf.get(f) ?? null;
      if (asFor === null) firstOf.set(f, c.name);
      const pre = prefixed && i === 0 && inf?.memory ? wrapComment(ind, `INFO's used_memory implies a mean value of ~${inf.memory.valueLen} B; the whole sample's mean is ${fit!.meanValue.toFixed(0)} B`) : [];
      return [...pre, ...fitLines(ind, f, asFor, !prefixed)];
    };
  } else if (inf?.valueSize) {
    const v = inf.valueSize;
    sizeLines = (ind, _c, i) =>
      i !== 0
        ? [line(ind, "value-size", yamlScalar(v.value), `from INFO memory used_memory, as for ${cls[0].name}`)]
        : [...wrapComment(ind, `value size: ${inf!.memory!.formula}`), line(ind, "value-size", yamlScalar(v.value), fromComment(v))];
  } else {
    sizeLines = (ind) => [line(ind, "value-size", "100", "not in the inputs: the default (give --sizes with MEMORY USAGE per key, or --info)")];
  }
  cls.forEach((c, i) => {
    L.push(line("    - ", "name", c.name, c.nameNote ?? `keys are named ${c.name}:<index> (the class name is the key prefix)`));
    L.push(line("      ", "db", String(c.db), c.dbFrom));
    L.push(line("      ", "keys", yamlScalar(c.keys.value), fromComment(c.keys)));
    L.push(line("      ", "share", yamlScalar(c.share.value), fromComment(c.share)));
    L.push(line("      ", "ttl", yamlScalar(c.ttl.value), fromComment(c.ttl)));
    L.push(...sizeLines("      ", c, i));
    L.push(line("      ", "popularity", "{ dist: zipf, alpha: 1.0 }", "not inferable from INFO: the default; measure your key access skew and change it"));
  });
  if (inf) {
    const keys = cls.reduce((a, c) => a + Number(c.keys.value), 0);
    L.push("");
    L.push("events:");
    const ev = "  - { at: 0s, action: prewarm, keys: 100% }";
    L.push(
      `${ev.padEnd(COMMENT_COL)} # from INFO keyspace: the server held ${keys} keys: start warm: loads what fits under maxmemory as this policy's steady state holds it, TTLs spread over (0, ttl] (delete to start empty)`,
    );
  }
  L.push("");
  L.push("output:");
  L.push(line("  ", "interval", "1s", "one timeseries.csv row per second"));

  if (conf && conf.ignored.length) {
    L.push("");
    L.push(`# ${inp.conf!.file}: directives the simulator does not model (line in effect):`);
    const why = conf.ignored.filter((d) => d.why);
    const rest = conf.ignored.filter((d) => !d.why);
    for (const d of why) L.push(`#   ${d.name} (${d.line}): ${d.why}`);
    if (rest.length) L.push(...wrapComment("", rest.map((d) => `${d.name} (${d.line})`).join(", "), "  "));
  }
  const text = L.join("\n") + "\n";
  return { text, warnings };
}

/** `sim init`: reads the inputs, writes the scenario (checked with the scenario parser first). */
export async function simInit(args: InitArgs, log: (s: string) => void = () => {}, warn: (s: string) => void = () => {}): Promise<InitOutcome> {
  if (!args.conf && !args.info && !args.sizes) throw new InputError(`sim init needs at least one of --conf redis.conf, --info info.txt, --sizes sizes.csv`);
  const duration = args.duration ?? "10m";
  const us = parseDuration(duration);
  if (us === null || us <= 0) throw new InputError(`--duration ${JSON.stringify(duration)}: not a duration above 0 (e.g. 10m, 1h, 30s)`);
  if (args.allocator !== undefined && !(ALLOCATORS as readonly string[]).includes(args.allocator))
    throw new InputError(`--allocator ${JSON.stringify(args.allocator)}: not one of ${ALLOCATORS.join(", ")}`);
  const conf = args.conf ? { text: readInput(args.conf, "--conf"), file: args.conf } : undefined;
  const info = args.info ? { text: readInput(args.info, "--info"), file: args.info } : undefined;
  const sizes = args.sizes ? { text: readInput(args.sizes, "--sizes"), file: args.sizes } : undefined;
  const firstInput = (args.conf ?? args.info ?? args.sizes)!;
  const name = args.name ?? (basename(firstInput, extname(firstInput)).replace(/[^A-Za-z0-9_.-]+/g, "-") || "scenario");
  const out = args.out ?? join("scenarios", `${name.replace(/[^A-Za-z0-9_.-]+/g, "-")}.yaml`);
  if (out !== "-" && existsSync(out)) {
    if (statSync(out).isDirectory()) throw new InputError(`--out ${out}: is a directory; name the scenario file to write, e.g. --out ${join(out, `${name}.yaml`)}`);
    if (!args.force) throw new InputError(`${out}: exists; pass --force to overwrite it, or --out another path`);
  }
  const command = [
    "sim init",
    args.conf && `--conf ${args.conf}`,
    args.info && `--info ${args.info}`,
    args.sizes && `--sizes ${args.sizes}`,
    args.allocator && `--allocator ${args.allocator}`,
    args.duration && `--duration ${args.duration}`,
    args.name && `--name ${args.name}`,
  ]
    .filter(Boolean)
    .join(" ");
  const { text, warnings } = buildInitScenario({ conf, info, sizes, name, duration, allocator: args.allocator as Allocator | undefined, command });
  // the contract: what sim init writes, sim run accepts
  try {
    parseScenario(text, { file: out === "-" ? "(sim init output)" : out });
  } catch (e) {
    throw new Error(`sim init produced a scenario the parser refuses (a bug in sim init): ${(e as Error).message}\n${text}`);
  }
  for (const w of warnings) warn(`sim init: ${w}`);
  if (out === "-") {
    log(text.replace(/\n$/, ""));
    return { path: null, text, warnings };
  }
  makeDir(dirname(out));
  const tmp = `${out}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new InputError(`--out ${out}: cannot write it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  log(`wrote ${out}; check the "# from" comments and the defaults, then: sim run ${out}`);
  return { path: out, text, warnings };
}

export const initCommand = (setCode: (c: number) => void): CommandModule<object, InitArgs> => ({
  command: "init",
  describe: "Write a commented starting scenario from a redis.conf, INFO all output and MEMORY USAGE samples",
  builder: (y: Argv) =>
    y
      .option("conf", { type: "string", describe: "a redis.conf (include lines are reported, not followed)" })
      .option("info", { type: "string", describe: "the text of INFO all (redis-cli INFO all > info.txt)" })
      .option("sizes", {
        type: "string",
        describe: "MEMORY USAGE per key: lines of key,bytes or bytes (header optional), or redis-cli --keystats / --memkeys output",
      })
      .option("out", { alias: "o", type: "string", nargs: 1, describe: "the scenario file to write, - for stdout (default scenarios/<name>.yaml)" })
      .option("name", { type: "string", describe: "the scenario's name (default: the first input's file name)" })
      .option("duration", { type: "string", default: "10m", describe: "how long the scenario simulates" })
      .option("allocator", { type: "string", choices: [...ALLOCATORS], describe: "jemalloc size classes (default: from INFO where it tells, else jemalloc-bundled)" })
      .option("force", { alias: "f", type: "boolean", describe: "overwrite the output file if it exists" })
      .example("$0 init --conf /etc/redis/redis.conf --info info.txt", "from the config file and INFO all (redis-cli INFO all > info.txt)")
      .example("$0 init --info info.txt --sizes sizes.csv --name shop --duration 1h", "value sizes from MEMORY USAGE samples (key,bytes per line)")
      .example("$0 init --conf redis.conf --out -", "print the scenario instead of writing it")
      .epilogue(
        "Every inferred value is marked '# from <source>' (e.g. redis.conf:1033, INFO keyspace db0: keys=…). " +
          "Popularity (access skew) cannot be inferred: it is Zipf(1.0), to be measured and changed.",
      ) as Argv<InitArgs>,
  handler: async (a: ArgumentsCamelCase<InitArgs>) => {
    await simInit(a, (s) => process.stdout.write(s + "\n"), (s) => process.stderr.write(s + "\n"));
    setCode(0);
  },
});
