import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { stringify } from "csv-stringify/sync";
import { InputError } from "../errors.ts";

/*
 * A run directory is written under a temporary name beside its final place and renamed only when every
 * file is complete, so a failed or interrupted run never leaves a directory that looks finished.
 */

export const MARKER_FILES = ["summary.csv", "timeseries.csv"];

export class RunDir {
  readonly final: string;
  readonly tmp: string;
  private done = false;

  constructor(final: string) {
    this.final = final;
    this.tmp = join(dirname(final), `.${basename(final)}.partial-${process.pid}`);
    if (existsSync(final)) {
      const files = readdirSync(final);
      if (files.length > 0 && !MARKER_FILES.some((f) => files.includes(f)))
        throw new InputError(`${final}: exists and does not look like an evictsim result; refusing to replace it (choose another --out)`);
    }
    rmSync(this.tmp, { recursive: true, force: true });
    mkdirSync(this.tmp, { recursive: true });
  }

  path(name: string): string {
    return join(this.tmp, name);
  }

  write(name: string, text: string): void {
    writeFileSync(this.path(name), text);
  }

  /** Moves the finished directory into place, replacing an earlier result. */
  commit(): void {
    rmSync(this.final, { recursive: true, force: true });
    renameSync(this.tmp, this.final);
    this.done = true;
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
