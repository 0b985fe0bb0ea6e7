import { createReadStream, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { createRequire } from "node:module";
import { pipeline } from "node:stream";
import { createGunzip } from "node:zlib";
import { Decompress } from "fzstd";
import { InputError } from "../../errors.ts";

/*
 * A trace file as a stream of byte chunks, decompressed by its extension: `.gz` with node:zlib, `.zst`
 * with fzstd (pure JS), `.xz` with xz-decompress (xz-embedded compiled to WebAssembly, shipped inside
 * the npm package; it decodes one stream at a time per process, so two .xz traces cannot be read
 * interleaved: finish or abandon one before pulling from the next). Every chunk is a fresh array that
 * the stream does not touch again, but readers should treat a chunk as valid only until they pull the
 * next one. Errors become InputErrors naming the file: unreadable (ENOENT, EACCES, …) or not valid
 * compressed data (corrupt or truncated).
 */

export type Compression = "gz" | "xz" | "zst";

const NAMES: Record<Compression, string> = { gz: "gzip", xz: "xz", zst: "zstd" };
const COMPRESSED = /\.(gz|xz|zst)$/i;
const READ_CHUNK = 1 << 20;

/** The compression a file name says, or null. */
export function compressionOf(file: string): Compression | null {
  const m = COMPRESSED.exec(file);
  return m ? (m[1].toLowerCase() as Compression) : null;
}

/** The file name without its compression suffix (`a.trace.xz` → `a.trace`). */
export function stripCompression(file: string): string {
  return file.replace(COMPRESSED, "");
}

/** The bytes of `file`, decompressed by extension, chunk by chunk. Stop early with `return()` (for-await `break`) to close the file. */
export async function* openBytes(file: string): AsyncGenerator<Uint8Array, void, undefined> {
  const kind = compressionOf(file);
  try {
    if (kind === null) yield* readRaw(file);
    else if (kind === "gz") yield* gunzip(file);
    else if (kind === "zst") yield* unzstd(file);
    else yield* unxz(file);
  } catch (e) {
    throw asInputError(file, kind, e);
  }
}

/**
 * openBytes() for a reader that is done with a chunk when it pulls the next one (and keeps no view of
 * it): an uncompressed file is read into two buffers in turn, the next chunk read ahead while the
 * caller works on the current one, rather than into a fresh buffer per chunk (fresh memory costs page
 * faults, about as much time as the reading itself). Compressed files: as openBytes.
 */
export async function* openBytesReused(file: string): AsyncGenerator<Uint8Array, void, undefined> {
  if (compressionOf(file) !== null) {
    yield* openBytes(file);
    return;
  }
  try {
    yield* readReused(file);
  } catch (e) {
    throw asInputError(file, null, e);
  }
}

async function* readReused(file: string): AsyncGenerator<Uint8Array, void, undefined> {
  const fh = await open(file, "r");
  const bufs = [new Uint8Array(READ_CHUNK), new Uint8Array(READ_CHUNK)];
  const readInto = (b: Uint8Array, at: number): Promise<{ bytesRead: number }> => {
    const r = fh.read(b, 0, READ_CHUNK, at);
    r.catch(() => {}); // a failed read-ahead is thrown when awaited, not reported as unhandled meanwhile
    return r;
  };
  let k = 0;
  let pos = 0;
  let pending: Promise<{ bytesRead: number }> | null = readInto(bufs[0], 0);
  try {
    for (;;) {
      const got = (await pending).bytesRead;
      pending = null;
      if (got === 0) return;
      const cur = bufs[k];
      pos += got;
      k ^= 1;
      pending = readInto(bufs[k], pos); // into the buffer the caller has given back
      yield cur.subarray(0, got);
    }
  } finally {
    if (pending !== null) await pending.catch(() => {});
    await fh.close();
  }
}

function asInputError(file: string, kind: Compression | null, e: unknown): Error {
  if (e instanceof InputError) return e;
  const err = e as NodeJS.ErrnoException;
  if (typeof err?.code === "string" && err.syscall) return new InputError(`${file}: cannot read the trace: ${err.code}`);
  const detail = err instanceof Error ? err.message : String(e);
  if (kind === null) return new InputError(`${file}: cannot read the trace: ${detail}`);
  // xz-decompress reports only internal codes ("get_next_output failed with error code 8"): leave them out
  return new InputError(`${file}: not valid ${NAMES[kind]} data (corrupt or truncated?)${kind === "xz" ? "" : `: ${detail}`}`);
}

async function* readRaw(file: string): AsyncGenerator<Uint8Array, void, undefined> {
  // for-await destroys the stream (closing the file) when the loop is left early
  for await (const chunk of createReadStream(file, { highWaterMark: READ_CHUNK })) yield chunk as Buffer;
}

async function* gunzip(file: string): AsyncGenerator<Uint8Array, void, undefined> {
  const gz = createGunzip({ chunkSize: 256 << 10 });
  // pipeline forwards a read error to gz (so the loop below throws it) and closes the file when gz is destroyed
  pipeline(createReadStream(file, { highWaterMark: READ_CHUNK }), gz, () => {});
  for await (const chunk of gz) yield chunk as Buffer;
}

async function* unzstd(file: string): AsyncGenerator<Uint8Array, void, undefined> {
  const out: Uint8Array[] = [];
  const dec = new Decompress((data) => {
    if (data.length > 0) out.push(data);
  });
  for await (const chunk of readRaw(file)) {
    dec.push(chunk);
    for (let i = 0; i < out.length; i++) yield out[i];
    out.length = 0;
  }
  dec.push(new Uint8Array(0), true); // throws on a truncated frame
  for (let i = 0; i < out.length; i++) yield out[i];
}

type XzStreamCtor = new (compressed: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array>;
let XzReadableStream: XzStreamCtor | undefined;

async function* unxz(file: string): AsyncGenerator<Uint8Array, void, undefined> {
  // xz-decompress is a CommonJS (webpack) bundle whose named export Node's ESM loader cannot see
  XzReadableStream ??= (createRequire(import.meta.url)("xz-decompress") as { XzReadableStream: XzStreamCtor }).XzReadableStream;
  const raw = readRaw(file);
  const compressed = new ReadableStream<Uint8Array>({
    async pull(ctl) {
      const r = await raw.next();
      if (r.done) ctl.close();
      else ctl.enqueue(r.value);
    },
    async cancel() {
      await raw.return(undefined);
    },
  });
  const reader = new XzReadableStream(compressed).getReader();
  let done = false;
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) {
        done = true;
        return;
      }
      if (r.value.length > 0) yield r.value;
    }
  } catch (e) {
    done = true; // an errored stream has released its decoder
    throw e;
  } finally {
    // xz-decompress runs one decoder at a time and holds it until the stream ends or is cancelled:
    // cancel when the consumer stops early, or the next .xz trace would wait forever
    if (!done) await reader.cancel().catch(() => {});
    await raw.return(undefined).catch(() => {}); // closes the file if the xz stream ended before it
  }
}

/**
 * The latest time a trace may reach, µs from its start: a million years. Beyond it a timestamp is not a
 * time but garbage (a wrong column, unit or format), and is refused with the record that has it.
 */
export const MAX_TRACE_TIME_US = 1e6 * 365.25 * 86400e6;

/** The message part for a time beyond MAX_TRACE_TIME_US (or not finite). */
export function absurdTime(what: string): string {
  return `${what} is more than a million years after the trace's start: not a plausible time (wrong column, unit or format?)`;
}

/**
 * True when b[0, n) is (nearly) all printable ASCII or tab/CR/LF: text, where a binary format was
 * expected (a binary record has zero bytes in its high-order parts; a stray escape in text is allowed).
 */
function looksLikeText(b: Uint8Array, n: number): boolean {
  let other = 0;
  for (let i = 0; i < n; i++) {
    const c = b[i];
    if (c === 0) return false;
    if (!(c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127))) other++;
  }
  return other * 16 <= n;
}

/** The error for a fixed-size record cut short at the end of a binary trace. */
export function truncatedRecord(file: string, record: number, bytes: number, size: number, what: string): InputError {
  return new InputError(`${file}: record ${record} is truncated: the trace holds ${bytes} bytes, not a whole number of ${size}-byte ${what}`);
}

/**
 * For an uncompressed trace of `size`-byte records: fails before any record is read when the file does
 * not hold whole records (a compressed one is checked at its end instead).
 */
export function checkWholeRecords(file: string, size: number, what: string): void {
  if (compressionOf(file) !== null) return;
  const bytes = statSync(file, { throwIfNoEntry: false })?.size;
  if (bytes !== undefined && bytes % size !== 0) throw truncatedRecord(file, Math.floor(bytes / size) + 1, bytes, size, what);
}

/** A stretch of whole fixed-size records: bytes [start, end) of `dv`. Reused between yields. */
export interface RecordSpan {
  dv: DataView;
  start: number;
  end: number;
}

/**
 * The records of a binary trace of `size`-byte records, as spans of whole records; a record cut by a
 * read boundary is reassembled in a small buffer and yielded on its own. Fails before reading when an
 * uncompressed file does not hold whole records, and at the end when a stream stops inside one.
 */
export async function* recordSpans(file: string, size: number, what: string): AsyncGenerator<RecordSpan, void, undefined> {
  let first = true;
  const carry = new Uint8Array(size);
  const carrySpan: RecordSpan = { dv: new DataView(carry.buffer), start: 0, end: size };
  const span: RecordSpan = { dv: carrySpan.dv, start: 0, end: 0 };
  let carryLen = 0;
  let records = 0;
  const sniff = Math.max(size, 64);
  for await (const chunk of openBytesReused(file)) {
    const len = chunk.length;
    if (first) {
      first = false;
      // a text file given as a binary trace: say so (its text is not shown) rather than read garbage
      if (looksLikeText(chunk, Math.min(len, sniff)) && len >= size)
        throw new InputError(`${file}: holds text, not ${what} (a binary format): check the path, or give the trace's format (format: csv, twitter, libcachesim-csv)`);
      checkWholeRecords(file, size, what);
    }
    let p = 0;
    if (carryLen > 0) {
      const take = Math.min(size - carryLen, len);
      carry.set(chunk.subarray(0, take), carryLen);
      carryLen += take;
      p = take;
      if (carryLen < size) continue;
      carryLen = 0;
      records++;
      yield carrySpan;
    }
    const end = p + Math.floor((len - p) / size) * size;
    if (end > p) {
      span.dv = new DataView(chunk.buffer, chunk.byteOffset, len);
      span.start = p;
      span.end = end;
      records += (end - p) / size;
      yield span;
    }
    if (end < len) {
      carry.set(chunk.subarray(end, len), 0);
      carryLen = len - end;
    }
  }
  if (first) checkWholeRecords(file, size, what);
  if (carryLen > 0) throw truncatedRecord(file, records + 1, records * size + carryLen, size, what);
}
