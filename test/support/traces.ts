import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { KeyRegistry } from "../../src/workload/request.ts";
import type { TraceReader } from "../../src/workload/trace.ts";

/*
 * Shared by the trace reader tests (not a test file itself). Node-only (files, processes), which is why
 * it lives under test/ and not beside the readers in src/io/traces/.
 *
 * Where the test data comes from:
 * - test/fixtures/traces/: real traces whose licence lets us ship them, each with its attribution beside
 *   it (see the README there), read by the core suite;
 * - generated in the test (syntheticBlockTrace below, and the made-up files of each test);
 * - ../shared/data/traces/: the team's copy of traces we do not ship (licence unclear, or too big).
 *   Tests of those are extras: they skip, by name, in a checkout that does not have them
 *   (`sharedTrace(rel).needs` goes into the title), and the core suite never depends on them.
 */

/** Files shipped with the repository for tests (test/fixtures/). */
export const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));
export const fixture = (rel: string) => join(FIXTURES, rel);

/** The team's trace collection beside the clone (origin and licences in its README). Not part of the repository. */
export const SHARED_TRACES = fileURLToPath(new URL("../../../shared/data/traces/", import.meta.url));

export interface SharedTrace {
  /** Absolute path of the file. */
  path: string;
  /** Whether this checkout has it. */
  have: boolean;
  /** For a test title: "needs ../shared/data/traces/<rel>", plus ", not in this checkout" when absent. */
  needs: string;
}

/** A trace of the shared collection, by its path under ../shared/data/traces/. */
export function sharedTrace(rel: string): SharedTrace {
  const path = join(SHARED_TRACES, rel);
  const have = existsSync(path);
  return { path, have, needs: `needs ../shared/data/traces/${rel}${have ? "" : ", not in this checkout"}` };
}

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

/** oracleGeneral records (time s, obj_id, size, next access 1-based or −1), packed as libCacheSim writes them: 24 bytes little-endian each. */
export function packOracleGeneral(recs: [number, bigint, number, bigint][]): Buffer {
  const b = Buffer.alloc(24 * recs.length);
  recs.forEach(([t, id, size, next], i) => {
    b.writeUInt32LE(t, 24 * i);
    b.writeBigUInt64LE(id, 24 * i + 4);
    b.writeUInt32LE(size, 24 * i + 12);
    b.writeBigInt64LE(next, 24 * i + 16);
  });
  return b;
}

/** A made-up block-I/O trace, request by request (see syntheticBlockTrace). */
export interface BlockTrace {
  n: number;
  /** Time, whole seconds (not rebased). */
  timeS: number[];
  /** Object id (a logical block number). */
  id: bigint[];
  /** The object's size, fixed per object (its first request's I/O size): what the oracleGeneral form carries. */
  size: number[];
  /** The request's own I/O size: what the CSV form carries. */
  ioSize: number[];
  /** SCSI opcode: "28" READ(10) or "2a" WRITE(10). */
  op: string[];
  /** 1-based index of the next request to the same object, −1 for none (oracleGeneral's next_access_vtime). */
  next: bigint[];
}

/**
 * A made-up block-I/O trace shaped like libCacheSim's CloudPhysics sample, which the repository does not
 * ship: `n` requests, several per second (times repeat), skewed reuse over `objects` objects whose ids are
 * block numbers near 40 000 000 (every 97th above 2^53, so ids must be read as 64-bit integers), I/O
 * sizes in multiples of 512 B; one request in eight draws its own I/O size instead of its object's first
 * (as in the CSV form of the real trace, where 13 671 of 113 872 requests differ).
 * Deterministic for a seed (mulberry32); the expected figures are computed from these arrays in the
 * test, independently of the readers.
 */
export function syntheticBlockTrace(n: number, objects: number, seed = 1): BlockTrace {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const idOf = (o: number) => (o % 97 === 0 ? 2n ** 60n + BigInt(o) : 40_000_000n + BigInt(o * 7));
  const t: BlockTrace = { n, timeS: [], id: [], size: [], ioSize: [], op: [], next: [] };
  const firstSize = new Map<number, number>();
  const lastAt = new Map<number, number>();
  let time = 5_633_898;
  for (let i = 0; i < n; i++) {
    if (rand() < 1 / 16) time += 1 + Math.floor(rand() * 3);
    const o = Math.floor(objects * rand() ** 3);
    const io = 512 * (1 + Math.floor(rand() * 16));
    if (!firstSize.has(o)) firstSize.set(o, io);
    const own = rand() < 1 / 8 ? io : firstSize.get(o)!;
    t.timeS.push(time);
    t.id.push(idOf(o));
    t.size.push(firstSize.get(o)!);
    t.ioSize.push(own);
    t.op.push(rand() < 0.3 ? "2a" : "28");
    t.next.push(-1n);
    const prev = lastAt.get(o);
    if (prev !== undefined) t.next[prev] = BigInt(i + 1);
    lastAt.set(o, i);
  }
  return t;
}

/** The trace as libCacheSim's oracleGeneral binary. */
export const blockTraceOracleGeneral = (t: BlockTrace) => packOracleGeneral(t.id.map((id, i) => [t.timeS[i], id, t.size[i], t.next[i]]));

/** The trace as CloudPhysics' CSV (header version,time,op,size,lbn), per-request sizes. */
export const blockTraceCsv = (t: BlockTrace) => ["version,time,op,size,lbn", ...t.id.map((id, i) => `1,${t.timeS[i]},${t.op[i]},${t.ioSize[i]},${id}`)].join("\n") + "\n";
