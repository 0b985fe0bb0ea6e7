import { extname, join } from "node:path";
import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { csv } from "../io/output.ts";
import { loadScenarioFile, openTrace, traceScenario } from "../io/scenario-file.ts";
import { parseRedisUrl } from "../replay/connect.ts";
import { replayPlan } from "../replay/replay.ts";
import { compile } from "../scenario/compile.ts";
import { defaultOutDir, runToDir } from "./common.ts";
import { applySeed, type RunOutcome } from "./run.ts";

export interface ReplayArgs {
  input: string;
  redis: string;
  out?: string;
  flush?: boolean;
  seed?: number;
  set?: string[];
  quiet?: boolean;
}

/** `sim replay`: the scenario's workload against a real Redis, into a run directory like `sim run`'s. */
export async function simReplay(
  args: ReplayArgs,
  log: (s: string) => void = () => {},
  warn: (s: string) => void = () => {},
  notice: (s: string) => void = () => {},
): Promise<RunOutcome> {
  const target = parseRedisUrl(args.redis); // a bad URL is one line before the scenario is even read
  const ext = extname(args.input).toLowerCase();
  const loaded = ext === ".yaml" || ext === ".yml" ? loadScenarioFile(args.input, args.set ?? []) : traceScenario(args.input, args.set ?? []);
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
      },
      loaded.tracePath ? openTrace(plan, loaded) : undefined,
    );
    dir.write(
      "replay.csv",
      csv(["redis", "redis_version", "mem_allocator", "achieved_requests_per_sec", "max_lag_ms"], [[target.shown, r.redisVersion, r.memAllocator, r.achievedRate, r.maxLagMs]]),
    );
    log(`replay: ${r.achievedRate} requests/s achieved, at most ${r.maxLagMs} ms behind the workload's timestamps (Redis ${r.redisVersion}, ${r.memAllocator})`);
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
      .option("seed", { type: "number", describe: "override the scenario's seed" })
      .option("set", { type: "string", array: true, describe: "override a scenario field, e.g. --set redis.maxmemory=64mb" })
      .option("quiet", { alias: "q", type: "boolean", describe: "print nothing but errors" })
      .example("$0 replay --redis redis://127.0.0.1:6379 --flush scenarios/policy-comparison.yaml", "the same workload as `sim run`, on a real server")
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
