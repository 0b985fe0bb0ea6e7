import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { stringify } from "csv-stringify/sync";
import { InputError } from "../errors.ts";
import { VERSION } from "../version.ts";

/*
 * A run directory is written under a temporary name beside its final place (`.NAME.partial-PID`) and
 * renamed only when every file is complete, so a failed or interrupted run never leaves a directory that
 * looks finished. Every directory evictsim writes holds a marker file (MARKER, first thing written):
 * `--out` replaces only a directory with that marker, never one that merely looks like a result, and the
 * next run removes partial directories (with the marker) whose process is gone.
 */

/** The marker file in every directory evictsim writes. */
export const MARKER = ".evictsim";

/** What the marker says: which tool, what kind of directory, and (issue 13) what produced it. */
export interface Marker {
  evictsim: string;
  kind: "run" | "replay" | "sweep" | "compare" | string;
  [k: string]: unknown;
}

/** The version results record (src/version.ts, as package.json says). */
export const TOOL_VERSION = VERSION;

export function markerText(kind: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ evictsim: TOOL_VERSION, kind, ...extra }, null, 2) + "\n";
}

/** The marker of a directory, or null when it has none (or it is not ours). */
export function readMarker(dir: string): Marker | null {
  try {
    const m = JSON.parse(readFileSync(join(dir, MARKER), "utf8")) as Marker;
    return m && typeof m === "object" && typeof m.evictsim === "string" ? m : null;
  } catch {
    return null;
  }
}

/** Whether process `pid` is alive on this machine. */
function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes `.NAME.partial-PID` (and `.NAME.old-PID`) directories in `parent` that carry our marker and
 * whose process is gone (killed mid-run). Anything without the marker is not ours and is left alone,
 * unless `parent` itself is ours (a sweep's points/: `ours`).
 */
export function cleanStalePartials(parent: string, ours = false): void {
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return;
  }
  for (const e of entries) {
    const m = /^\..+\.(?:partial|old)-(\d+)$/.exec(e);
    if (!m || alive(Number(m[1]))) continue;
    const p = join(parent, e);
    if (ours || readMarker(p) !== null) rmSync(p, { recursive: true, force: true });
  }
}

/**
 * Checks that `dir` may be (re)written by evictsim as a `kind` directory: absent, empty, or holding our
 * marker. Throws an InputError naming the option otherwise (a file, someone else's directory).
 */
export function checkOutDir(dir: string, what = "--out", kind?: string): { exists: boolean } {
  let st;
  try {
    st = statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { exists: false };
    if (code === "ENOTDIR") throw new InputError(`${what} ${dir}: a part of this path is a file, not a directory`);
    throw new InputError(`${what} ${dir}: cannot be used (${code})`);
  }
  if (!st.isDirectory()) throw new InputError(`${what} ${dir}: is a file, not a directory; refusing to replace it (choose another ${what})`);
  const files = readdirSync(dir);
  if (files.length === 0) return { exists: false };
  const marker = readMarker(dir);
  if (marker === null)
    throw new InputError(
      `${what} ${dir}: exists and was not written by evictsim (no ${MARKER} marker in it); refusing to replace it (choose another ${what}, or remove it yourself)`,
    );
  // a run never replaces a sweep (with all its points), a comparison or a plan, and so on
  if (kind !== undefined && marker.kind !== kind)
    throw new InputError(`${what} ${dir}: holds an evictsim ${marker.kind} result, not a ${kind}; refusing to replace it (choose another ${what})`);
  return { exists: true };
}

/** Creates a directory (and its parents) or throws an InputError saying why not. */
export function makeDir(dir: string, what = "--out"): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "EACCES" || code === "EPERM" ? "permission denied" : code === "ENOTDIR" ? "a part of the path is a file" : code === "EROFS" ? "read-only file system" : code;
    throw new InputError(`${what} ${dirname(dir)}: cannot create ${basename(dir)} there (${why})`);
  }
}

/**
 * Writes one file atomically (a temporary name, then a rename), as evictsim writes reports and tables.
 * An existing file is replaced only if it looks like one evictsim wrote (`ours` on its first 4 KiB:
 * for a CSV, the same header line); a directory, a file of someone else's or a path that cannot be
 * written is an InputError naming the option.
 */
export function writeFileAtomic(file: string, text: string, what: string, ours: (head: string) => boolean): void {
  let head: string | null = null;
  try {
    const st = statSync(file);
    if (st.isDirectory()) throw new InputError(`${what} ${file}: is a directory; name the file to write`);
    head = readFileSync(file, "utf8").slice(0, 4096);
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOTDIR") throw new InputError(`${what} ${file}: a part of this path is a file, not a directory`);
    if (code !== "ENOENT") throw new InputError(`${what} ${file}: cannot be used (${code})`);
  }
  if (head !== null && !ours(head))
    throw new InputError(`${what} ${file}: exists and was not written by evictsim; refusing to replace it (choose another ${what}, or remove it yourself)`);
  makeDir(dirname(file), what);
  const tmp = join(dirname(file), `.${basename(file)}.partial-${process.pid}`);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new InputError(`${what} ${file}: cannot write it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** For writeFileAtomic: a CSV is ours when its header line is the one we write. */
export const sameHeader = (text: string) => (head: string) => head.split("\n")[0] === text.split("\n")[0];

export class RunDir {
  readonly final: string;
  readonly tmp: string;
  /** Whether an earlier result of ours was there (and was replaced by commit()). */
  readonly replacing: boolean;
  private done = false;

  private readonly kind: string;

  constructor(final: string, kind = "run", marker: Record<string, unknown> = {}) {
    this.final = final;
    this.kind = kind;
    this.tmp = join(dirname(final), `.${basename(final)}.partial-${process.pid}`);
    this.replacing = checkOutDir(final, "--out", kind).exists;
    cleanStalePartials(dirname(final));
    rmSync(this.tmp, { recursive: true, force: true });
    makeDir(this.tmp);
    writeFileSync(join(this.tmp, MARKER), markerText(kind, marker));
  }

  path(name: string): string {
    return join(this.tmp, name);
  }

  write(name: string, text: string): void {
    writeFileSync(this.path(name), text);
  }

  /**
   * Moves the finished directory into place. An earlier result of ours is first moved aside and removed
   * only once the new one is in place (checked again: it must still carry our marker).
   */
  commit(): void {
    const old = join(dirname(this.final), `.${basename(this.final)}.old-${process.pid}`);
    if (existsSync(this.final)) {
      checkOutDir(this.final, "--out", this.kind);
      rmSync(old, { recursive: true, force: true });
      renameSync(this.final, old);
    }
    renameSync(this.tmp, this.final);
    this.done = true;
    rmSync(old, { recursive: true, force: true });
  }

  /** Removes the temporary directory (on failure or interruption). */
  abandon(): void {
    if (!this.done) rmSync(this.tmp, { recursive: true, force: true });
  }
}

/** CSV text for a header and rows; NaN and undefined become empty cells. */
export function csv(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  return stringify([header as string[], ...rows.map((r) => r.map((v) => (typeof v === "number" && Number.isNaN(v) ? "" : v)))], {
    cast: { number: (v) => String(v) },
  });
}

/** A streaming CSV writer: rows are appended to the file in batches. */
export class CsvStream {
  private buf: string[] = [];
  private readonly file: string;
  constructor(file: string, header: readonly string[]) {
    this.file = file;
    writeFileSync(file, csv(header, []));
  }
  row(values: readonly (string | number)[]): void {
    this.buf.push(stringify([values.map((v) => (typeof v === "number" && Number.isNaN(v) ? "" : v))], { cast: { number: (v) => String(v) } }));
    if (this.buf.length >= 1024) this.flush();
  }
  flush(): void {
    if (this.buf.length === 0) return;
    writeFileSync(this.file, this.buf.join(""), { flag: "a" });
    this.buf = [];
  }
}
