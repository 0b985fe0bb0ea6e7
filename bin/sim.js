#!/usr/bin/env node
// The `sim` command. Registers tsx so the TypeScript sources run as they are (no build step to forget).
import { register } from "tsx/esm/api";

register();
const { cli } = await import("../src/cli/main.ts");
process.exitCode = await cli(process.argv.slice(2));
