#!/usr/bin/env node
// The `sim` command. Registers tsx so the TypeScript sources run as they are (no build step to forget).
//
// The public API (src/index.ts; src/api.ts is the same without the charts, which a command that draws
// nothing should not pay to load) stays browser-safe: no Node built-in is reachable from it, so the
// command line, which is all files, processes and signals, cannot be part of it. So bin/ checks the
// runtime with the API (the version, the oldest Node it runs on), then loads the command line from
// src/cli/main.ts, whose commands parse, compile and run through the same API. (The other way, a lazy
// `cli()` export in src/index.ts, would not stay browser-safe: a bundler follows its import() into
// src/cli/ and on to node:fs.)
import { register } from "tsx/esm/api";

register();
const { unsupportedNode } = await import("../src/api.ts");
const problem = unsupportedNode(process.versions.node);
if (problem !== null) {
  process.stderr.write(`sim: ${problem}\n`);
  process.exit(1);
}
const { cli } = await import("../src/cli/main.ts");
process.exitCode = await cli(process.argv.slice(2));
