#!/usr/bin/env node
// The `sim` command. Registers tsx so the TypeScript sources run as they are (no build step to forget).
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
