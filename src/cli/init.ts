import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { makeDir } from "../io/output.ts";
import { basename, dirname, extname, join } from "node:path";
import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { infoToScenario, parseInfo, type InfoInference, type RedisInfo } from "../conf/info.ts";
import { confToScenarioRedis, parseRedisConf, REDIS_DEFAULT_SAVE, type ConfMapping, type InferredField } from "../conf/redis-conf.ts";
import { fitSizes, parseSizes, type SizeFit } from "../conf/sizes.ts";
import { InputError } from "../errors.ts";
import { ALLOCATORS, type Allocator } from "../redis/alloc.ts";
import { allocatorFromInfo, type InfoHint } from "../replay/allocator.ts";
import { parseScenario } from "../scenario/parse.ts";
import { redisSection } from "../scenario/schema.ts";
import { parseDuration, parseMemory } from "../scenario/units.ts";

/*
 * `sim init`: a commented starting scenario from what a user can copy out of production: redis.conf
 * (--conf), the text of INFO all (--info) and a sample of MEMORY USAGE per key (--sizes). Every
 * inferred value is followed by `# from <where>`; what cannot be inferred is a stated default with a
 * note. The text is checked with the scenario parser before it is written, so `sim run` accepts it.
 *
 * Precedence: the redis.conf file first; INFO's running values (maxmemory, maxmemory_policy,
 * configured_hz, aof_enabled) over it, since CONFIG SET may have changed them since start (a
 * disagreement is noted); value sizes from --sizes over INFO's mean; allocator from --allocator, else
 * from INFO's mem_allocator and redis_version where they tell (src/replay/allocator.ts allocatorFromInfo:
 * a jemalloc other than the one that Redis version bundles is a distribution's, jemalloc-debian), else
 * the default with a comment saying why it could not be told (sim calibrate probes a running server).
 * `include` lines of redis.conf are not followed (listed in the header); no `redis.conf:` key is
 * written: the values are inlined.
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
  const allocator = (allocatorField?.value as Allocator | undefined) ?? "jemalloc-bundled";
  let inf: InfoInference | null = null;
  if (info) {
    inf = infoToScenario(info, { allocator });
    for (const n of inf.notes) warnings.push(`${inp.info!.file}: ${n}`);
  }
  let fit: SizeFit | null = null;
  if (inp.sizes) {
    fit = fitSizes(parseSizes(inp.sizes.text, inp.sizes.file), { allocator });
    for (const n of fit.notes) warnings.push(`${inp.sizes.file}: ${n}`);
  }

  const redisFields = mergeRedis(conf?.fields ?? [], inf?.redis ?? [], allocatorField ? [allocatorField] : []);
  const databases = confDatabases ?? 16;
  const classes = (inf?.classes ?? []).filter((c) => {
    if (c.db < databases) return true;
    warnings.push(`${inp.info!.file}: db${c.db} is not below databases ${databases} (${conf ? inp.conf!.file : "default"}); its keys are left out`);
    return false;
  });
  if (inf && classes.length === 0) throw new InputError(`${inp.info!.file}: no database with keys is below databases ${databases}`);

  // ---- text
  const L: string[] = [];
  const used = [inp.conf && "--conf", inp.info && "--info", inp.sizes && "--sizes"].filter(Boolean).length;
  L.push(`# A starting scenario written by sim init (evictsim):`);
  L.push(`#   ${inp.command}`);
  if (inp.conf) L.push(`#   --conf ${inp.conf.file}: ${conf!.fields.filter((f) => !f.from.startsWith("Redis's compiled default")).length} modelled settings read, ${conf!.ignored.length} directives not modelled (listed at the end)`);
  if (inp.info) L.push(`#   --info ${inp.info.file}: INFO of Redis ${info!.redis_version ?? "?"}, ${info!.dbs.length} databases with keys`);
  if (inp.sizes) L.push(`#   --sizes ${inp.sizes.file}: ${fit!.n} keys' sizes`);
  L.push(`# Every inferred value is followed by "# from <where it came from>". Values the inputs do not give are`);
  L.push(`# defaults, said so where they matter; keys left as comments take the simulator's default.`);
  L.push(`# Not inferable from ${used > 1 ? "these inputs" : "this input"}: how skewed key access is (popularity), traffic per database, and`);
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
  const cls =
    inf?.classes && classes.length
      ? classes
      : [
          {
            name: "cache",
            db: 0,
            keys: { field: "keys", value: 100_000, from: "default: no INFO given", note: "not inferable: set your key count" },
            share: { field: "share", value: 1, from: "default: one class" },
            ttl: { field: "ttl", value: "none", from: "default: no INFO given", note: "not inferable: set your TTL" },
          },
        ];
  // value size: the sizes sample, else INFO's mean, else the default. The first class gets the
  // explanation; the others the same value on one line, pointing back to it.
  let sizeLines: (indent: string, first: string | null) => string[];
  if (fit) {
    const vs = fit.valueSize;
    const cross = inf?.memory ? `INFO's used_memory implies a mean value of ~${inf.memory.valueLen} B; this sample's mean is ${fit.meanValue.toFixed(0)} B` : null;
    const flow = vs.dist === "fixed" ? String(vs.size) : `{ dist: empirical, values: [${vs.values.join(", ")}], weights: [${vs.weights.join(", ")}] }`;
    sizeLines = (ind, first) => {
      if (first !== null) return [line(ind, "value-size", flow, `from ${inp.sizes!.file}, as for ${first}`)];
      const out: string[] = [];
      if (cross) out.push(...wrapComment(ind, cross));
      if (fit!.lognormal) out.push(`${ind}# the same sample as a lognormal: {dist: lognormal, median: ${fit!.lognormal.median}, p99: ${fit!.lognormal.p99}}`);
      if (vs.dist === "fixed") out.push(line(ind, "value-size", String(vs.size), `from ${fit!.from}`));
      else {
        out.push(line(ind, "value-size", "", `from ${fit!.from}`));
        out.push(`${ind}  dist: empirical`);
        out.push(`${ind}  values: [${vs.values.join(", ")}]`);
        out.push(`${ind}  weights: [${vs.weights.join(", ")}]`);
      }
      return out;
    };
  } else if (inf?.valueSize) {
    const v = inf.valueSize;
    sizeLines = (ind, first) =>
      first !== null
        ? [line(ind, "value-size", yamlScalar(v.value), `from INFO memory used_memory, as for ${first}`)]
        : [...wrapComment(ind, `value size: ${inf!.memory!.formula}`), line(ind, "value-size", yamlScalar(v.value), fromComment(v))];
  } else {
    sizeLines = (ind) => [line(ind, "value-size", "100", "not in the inputs: the default (give --sizes with MEMORY USAGE per key, or --info)")];
  }
  cls.forEach((c, i) => {
    L.push(line("    - ", "name", c.name, `keys are named ${c.name}:<index> (the class name is the key prefix)`));
    L.push(line("      ", "db", String(c.db), c.keys.from.startsWith("INFO") ? `from INFO keyspace db${c.db}` : "the default"));
    L.push(line("      ", "keys", yamlScalar(c.keys.value), fromComment(c.keys)));
    L.push(line("      ", "share", yamlScalar(c.share.value), fromComment(c.share)));
    L.push(line("      ", "ttl", yamlScalar(c.ttl.value), fromComment(c.ttl)));
    L.push(...sizeLines("      ", i === 0 ? null : cls[0].name));
    L.push(line("      ", "popularity", "{ dist: zipf, alpha: 1.0 }", "not inferable from INFO: the default; measure your key access skew and change it"));
  });
  if (inf) {
    const keys = cls.reduce((a, c) => a + Number(c.keys.value), 0);
    L.push("");
    L.push("events:");
    const ev = "  - { at: 0s, action: prewarm, keys: 100% }";
    L.push(`${ev.padEnd(COMMENT_COL)} # from INFO keyspace: the server held ${keys} keys when INFO was taken: start with them loaded (delete to start empty)`);
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
