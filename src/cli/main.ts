import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { InputError, oneLine } from "../errors.ts";
import { exitCodeFor, installInterruptHandlers, Interrupted, interruptedBy, markInterruptReported } from "./interrupt.ts";
import { calibrateCommand } from "./calibrate.ts";
import { diffCommand } from "./diff.ts";
import { replayCommand } from "./replay.ts";
import { runCommand } from "./run.ts";
import { mergeCommand, sweepCommand } from "./sweep.ts";
import { planCommand } from "./plan.ts";
import { plotCommand } from "./plot.ts";
import { checkCommand } from "./check.ts";
import { initCommand } from "./init.ts";
import { compareCommand } from "./compare.ts";
import { reportCommand } from "./report.ts";

/*
 * The `sim` command line: parses argv and hands each command to a function. One catch turns errors into
 * exit codes: 2 for bad input (InputError: one clear line, no stack trace), 1 for anything else.
 */

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const parser = yargs(argv)
    .scriptName("sim")
    .usage("$0 <command> [options]\n\nevictsim: a deterministic simulator of a Redis 7 server's memory, eviction and expiry, the database behind a cache, and the costs of persistence.")
    .command(runCommand((c) => (code = c)))
    .command(replayCommand((c) => (code = c)))
    .command(diffCommand((c) => (code = c)))
    .command(plotCommand((c) => (code = c)))
    .command(compareCommand((c) => (code = c)))
    .command(reportCommand((c) => (code = c)))
    .command(calibrateCommand((c) => (code = c)))
    .command(sweepCommand((c) => (code = c)))
    .command(mergeCommand((c) => (code = c)))
    .command(planCommand((c) => (code = c)))
    .command(checkCommand((c) => (code = c)))
    .command(initCommand((c) => (code = c)))
    .example("$0 run scenarios/late-night-pager.yaml", "simulate the classic noeviction incident")
    .example("$0 run scenarios/policy-comparison.yaml --set redis.maxmemory-policy=allkeys-lfu", "try another policy")
    .example("$0 replay scenarios/policy-comparison.yaml --redis redis://127.0.0.1:6379 --flush", "the same workload on a real Redis")
    .example("$0 diff results/policy-comparison results/policy-comparison-replay", "simulator vs server")
    .example("$0 plot results/late-night-pager", "re-render a run's charts from its CSVs")
    .example("$0 compare results/lru results/lfu", "overlay runs' timeseries; compare.csv side by side")
    .example("$0 report results/late-night-pager", "one self-contained report.html: findings, charts, tables")
    .example("$0 sweep scenarios/policy-sweep.yaml", "8 policies × 4 sizes in parallel, resumable")
    .example("$0 plan scenarios/policy-comparison.yaml --target 'hit_ratio>=0.8'", "the smallest maxmemory that meets a target")
    .example("$0 init --conf /etc/redis/redis.conf --info info.txt --sizes sizes.csv", "a starting scenario from production")
    .epilogue("Scenario keys, defaults and units: scenarios/reference.yaml. Exit codes: 0 ok, 1 internal error, 2 bad input.")
    .demandCommand(1, "Name a command: sim run <scenario.yaml>")
    .recommendCommands()
    .strict()
    .help()
    .alias("h", "help")
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      // yargs' own errors (a coerce that refused a value: --seed abc) are the user's
      if (err && err.name === "YError") throw new InputError(err.message);
      if (err) throw err;
      throw new InputError(`${msg}\nRun 'sim --help' for usage.`);
    });
  await parser.parseAsync();
  return code;
}

/**
 * Runs the CLI and returns its exit code: 0 ok, 2 bad input (one line on stderr), 130/143 interrupted,
 * 1 internal error (with the stack: it is a bug).
 */
export async function cli(argv: string[], stderr: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  installInterruptHandlers();
  try {
    return await main(argv);
  } catch (e) {
    if (e instanceof Interrupted || (interruptedBy() !== null && !(e instanceof InputError))) {
      const sig = interruptedBy() ?? (e as Interrupted).signal;
      stderr(`\nsim: ${e instanceof Interrupted ? e.message : "interrupted; no result written"}\n`);
      markInterruptReported();
      return exitCodeFor(sig);
    }
    if (e instanceof InputError) {
      stderr(`sim: ${oneLine(e.message)}\n`);
      return 2;
    }
    stderr(`sim: internal error: ${(e as Error)?.stack ?? e}\nThis is a bug in evictsim; please report it with the scenario that caused it.\n`);
    return 1;
  }
}
