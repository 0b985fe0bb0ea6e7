import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { KeyRegistry } from "../../workload/request.ts";
import type { TraceReader } from "../../workload/trace.ts";

/* Shared by the trace reader tests (not a test file itself). */

/** The real sample traces, read in place (see their README for origin and licences). */
export const SAMPLES = fileURLToPath(new URL("../../../../shared/data/traces/", import.meta.url));
export const HAVE_SAMPLES = existsSync(SAMPLES);
export const NO_SAMPLES = `sample traces not found at ${SAMPLES}`;

export const sample = (rel: string) => join(SAMPLES, rel);

export function tmp(): string {
  return mkdtempSync(join(tmpdir(), "evictsim-traces-"));
}

export function write(dir: string, name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

/** True when `cmd` runs here (for the xz and zstd command-line tools). */
export function haveCommand(cmd: string): boolean {
  return spawnSync(cmd, ["--version"], { stdio: "ignore" }).status === 0;
}

/** A registry that records every defineKey. */
export class RecordingRegistry implements KeyRegistry {
  readonly keyLen: number[] = [];
  readonly db: number[] = [];
  defineKey(key: number, db: number, keyLen: number): void {
    if (key !== this.keyLen.length) throw new Error(`key ${key} defined out of order (expected ${this.keyLen.length})`);
    this.keyLen.push(keyLen);
    this.db.push(db);
  }
}

export interface Collected {
  n: number;
  batches: number[];
  t: Float64Array;
  op: Uint8Array;
  key: Int32Array;
  vlen: Float64Array;
  ttlMs: Float64Array;
  nextAccess: Float64Array;
  reg: RecordingRegistry;
}

/** Reads the whole trace, copying every batch; checks that every key is defined before its first use. */
export async function collect(reader: TraceReader): Promise<Collected> {
  const reg = new RecordingRegistry();
  const parts: { t: Float64Array; op: Uint8Array; key: Int32Array; vlen: Float64Array; ttlMs: Float64Array; nextAccess: Float64Array }[] = [];
  const batches: number[] = [];
  for await (const b of reader.batches(reg)) {
    for (let i = 0; i < b.n; i++) if (b.key[i] >= reg.keyLen.length) throw new Error(`key ${b.key[i]} used before defineKey`);
    batches.push(b.n);
    parts.push({
      t: b.t.slice(0, b.n),
      op: b.op.slice(0, b.n),
      key: b.key.slice(0, b.n),
      vlen: b.vlen.slice(0, b.n),
      ttlMs: b.ttlMs.slice(0, b.n),
      nextAccess: b.nextAccess.slice(0, b.n),
    });
  }
  const n = batches.reduce((a, x) => a + x, 0);
  const cat = <T extends Float64Array | Uint8Array | Int32Array>(k: keyof (typeof parts)[0], make: (n: number) => T): T => {
    const out = make(n);
    let o = 0;
    for (const p of parts) {
      out.set(p[k] as never, o);
      o += p[k].length;
    }
    return out;
  };
  return {
    n,
    batches,
    t: cat("t", (n) => new Float64Array(n)),
    op: cat("op", (n) => new Uint8Array(n)),
    key: cat("key", (n) => new Int32Array(n)),
    vlen: cat("vlen", (n) => new Float64Array(n)),
    ttlMs: cat("ttlMs", (n) => new Float64Array(n)),
    nextAccess: cat("nextAccess", (n) => new Float64Array(n)),
    reg,
  };
}

/** The error `p` rejects with (fails when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
}

export const sum = (a: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
};

/** Byte-wise equality of two typed arrays (vitest's deep equality is slow on large ones). */
export function same(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
