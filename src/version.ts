/*
 * The tool's version (as package.json says; test/index.test.ts checks they agree) and the oldest Node.js
 * the CLI runs on (package.json engines). Pure: the public API (src/index.ts) exports both, bin/sim.js
 * checks the runtime with them before it loads the CLI, and results record the version
 * (src/io/output.ts TOOL_VERSION).
 */

export const VERSION = "0.1.0";

/** The oldest Node.js major version the CLI runs on (package.json "engines"). */
export const NODE_MAJOR_MIN = 20;

/** Why a Node.js of this version (process.versions.node, "20.11.1") cannot run the CLI, or null if it can. */
export function unsupportedNode(version: string): string | null {
  const major = Number(version.split(".")[0]);
  return Number.isInteger(major) && major >= NODE_MAJOR_MIN ? null : `evictsim ${VERSION} needs Node.js ${NODE_MAJOR_MIN} or later; this is Node.js ${version}`;
}
