import { readFileSync } from "node:fs";
import { basename, extname } from "node:path";
import { parse as parseYaml } from "yaml";
import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { csv } from "../io/output.ts";
import { loadScenarioFile, openTrace, traceScenario } from "../io/scenario-file.ts";
import { parseRedisUrl } from "../io/replay/connect.ts";
import { replayPlan } from "../io/replay/replay.ts";
import { compile } from "../api.ts";
import { defaultOutDir, FORCE_OPTION_SPEC, SEED_OPTION_SPEC, runToDir } from "./common.ts";
import { applySeed, type RunOutcome } from "./run.ts";

export interface ReplayArgs {
  input: string;
  redis: string;
  out?: string;
  flush?: boolean;
  seed?: number;
  set?: string[];
  quiet?: boolean;
  allowAllocatorMismatch?: boolean;
  force?: boolean;
}

/** Where a scenario's redis.allocator came from: a --set, the file, or the schema's default. */
export function allocatorSource(file: string | undefined, set: string[]): string {
  if (set.some((s) => /^redis\.allocator=/.test(s))) return "--set";
  if (file && /\.ya?ml$/i.test(file)) {
    try {
      const doc = parseYaml(readFileSync(file, "utf8")) as { redis?: { allocator?: unknown } } | null;
      if (doc?.redis?.allocator !== undefined) return `set in ${basename(file)}`;
    } catch {
      // the scenario was parsed already; an unreadable file here only costs the wording
    }
  }
  return "the default";
}

/**
 * replay.csv: the server, how well the pacing held, and the size-class table the server was found to
 * use (`detected_allocator`: jemalloc-bundled, jemalloc-debian or unknown) against the scenario's
 * (`scenario_allocator`); `allocator_mismatch` is 1 when they differ (only with --allow-allocator-mismatch).
 */
export const REPLAY_CSV_COLUMNS = [
  "redis",
  "redis_version",
  "mem_allocator",
  "achieved_requests_per_sec",
  "max_lag_ms",
  "detected_allocator",
  "scenario_allocator",
  "allocator_mismatch",
  "allocator_evidence",
];

/** `sim replay`: the scenario's workload against a real Redis, into a run directory like `sim run`'s. */
export async function simReplay(
  args: ReplayArgs,
  log: (s: string) => void = () => {},
  warn: (s: string) => void = () => {},
  notice: (s: string) => void = () => {},
): Promise<RunOutcome> {
  const target = parseRedisUrl(args.redis); // a bad URL is one line before the scenario is even read
  const ext = extname(args.input).toLowerCase();
  const loaded = ext === ".yaml" || ext === ".yml" ? loadScenarioFile(args.input, args.set ?? [], { force: args.force }) : traceScenario(args.input, args.set ?? [], { force: args.force });
  applySeed(loaded, args.seed);
  const plan = compile(loaded.scenario);
  const dirPath = args.out ?? defaultOutDir(loaded.name, loaded.file, args.set, args.seed, "-replay");
  return runToDir(dirPath, loaded, `${loaded.name} (replay)`, Boolean(args.quiet), log, async (row, dir, onProgress) => {
    const r = await replayPlan(
      plan,
      {
        url: args.redis,
        wallMs: () => performance.now(),
        flush: Boolean(args.flush),
        name: loaded.name,
        onRow: row,
        warn,
        notice,
        onProgress,
        allowAllocatorMismatch: Boolean(args.allowAllocatorMismatch),
        allocatorSource: allocatorSource(loaded.tracePath ? undefined : args.input, args.set ?? []),
        // the environment is read here, in the CLI: the replay itself is told what to do with the lines
        lagDebug: process.env.EVICTSIM_LAG_DEBUG ? (line) => process.stderr.write(line) : undefined,
      },
      loaded.tracePath ? openTrace(plan, loaded) : undefined,
    );
    dir.write(
      "replay.csv",
      csv(REPLAY_CSV_COLUMNS, [
        [
          target.shown,
          r.redisVersion,
          r.memAllocator,
          r.achievedRate,
          r.maxLagMs,
          r.allocator.allocator,
          plan.redis.allocator,
          r.allocatorMismatch ? 1 : 0,
          r.allocator.evidence,
        ],
      ]),
    );
    log(`replay: ${r.achievedRate} requests/s achieved, at most ${r.maxLagMs} ms behind the workload's timestamps (Redis ${r.redisVersion}, ${r.memAllocator})`);
    log(
      r.allocatorMismatch
        ? `replay: ALLOCATOR MISMATCH: the server's size classes are ${r.allocator.allocator}, the scenario's ${plan.redis.allocator} (recorded in replay.csv; sim diff will say so)`
        : `replay: size classes ${r.allocator.allocator}, as the scenario's redis.allocator (${r.allocator.evidence})`,
    );
    return r.summary;
  }, { kind: "replay", notice: (m) => log(m) });
}

export const replayCommand = (setCode: (c: number) => void): CommandModule<object, ReplayArgs> => ({
  command: "replay <input>",
  describe: "Drive a real Redis with a scenario's workload (or a trace) in real time and record what it does",
  builder: (y: Argv) =>
    y
      .positional("input", { type: "string", describe: "scenario YAML, or a trace file", demandOption: true })
      .option("redis", { type: "string", describe: "the server, e.g. redis://127.0.0.1:6379", demandOption: true })
      .option("out", { alias: "o", type: "string", describe: "output directory (default results/<name>-replay)" })
      .option("flush", { type: "boolean", describe: "FLUSHALL before starting (without it, a server that holds keys is refused, untouched)" })
      .option("seed", SEED_OPTION_SPEC)
      .option("set", { type: "string", array: true, describe: "override a scenario field, e.g. --set redis.maxmemory=64mb" })
      .option("allow-allocator-mismatch", {
        type: "boolean",
        describe: "replay even when the server's size classes (probed) are not the scenario's redis.allocator: a warning instead of the refusal, recorded in replay.csv",
      })
      .option("quiet", { alias: "q", type: "boolean", describe: "print nothing but errors" })
      .option("force", FORCE_OPTION_SPEC)
      .example("$0 replay --redis redis://127.0.0.1:6379 --flush scenarios/policy-comparison.yaml", "the same workload as `sim run`, on a real server")
      .example("$0 replay --redis redis://127.0.0.1:6379 --flush --set redis.allocator=jemalloc-debian s.yaml", "Debian's/Ubuntu's redis-server package: its size classes")
      .example("$0 diff results/policy-comparison results/policy-comparison-replay", "then compare the two") as Argv<ReplayArgs>,
  handler: async (a: ArgumentsCamelCase<ReplayArgs>) => {
    await simReplay(
      a,
      a.quiet ? undefined : (s) => process.stdout.write(s + "\n"),
      (s) => process.stderr.write(`sim: warning: ${s}\n`),
      (s) => process.stderr.write(`sim: ${s}\n`),
    );
    setCode(0);
  },
});
