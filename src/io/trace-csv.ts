import { closeSync, openSync, readSync } from "node:fs";
import { InputError } from "../errors.ts";
import { OP_CACHE_GET, OP_DEL, OP_GET, OP_SET, type KeyRegistry, type Request, type RequestSource } from "../workload/request.ts";

/*
 * Our CSV trace: header `t_ms,op,key,value_size,ttl_s`, one command per row, in time order.
 * op is GET, SET or DEL; ttl_s 0 means no TTL. Read from disk in 1 MiB chunks, synchronously (the
 * simulation loop pulls rows; nothing is held in memory beyond the chunk and the key dictionary).
 * Keys are interned once: each distinct name gets the next integer id. Fields are not quoted; a key
 * containing a comma cannot be written in this format.
 */

export const TRACE_CSV_HEADER = "t_ms,op,key,value_size,ttl_s";
const CHUNK = 1 << 20;

export class CsvTraceSource implements RequestSource {
  private readonly fd: number;
  private buf = Buffer.alloc(CHUNK);
  private len = 0;
  private pos = 0;
  private eof = false;
  private line = 0;
  private readonly ids = new Map<string, number>();
  /** Key names by interned id. */
  readonly names: string[] = [];
  private readonly cacheAside: boolean;
  private readonly file: string;
  private readonly reg: KeyRegistry;

  constructor(file: string, mode: "cache-aside" | "literal", reg: KeyRegistry) {
    this.file = file;
    this.reg = reg;
    this.cacheAside = mode === "cache-aside";
    try {
      this.fd = openSync(file, "r");
    } catch (e) {
      throw new InputError(`${file}: cannot open the trace: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const header = this.readLine();
    if (header === null || header.replace(/\r$/, "").trim() !== TRACE_CSV_HEADER)
      throw new InputError(`${file}:1: expected the header "${TRACE_CSV_HEADER}", found ${JSON.stringify(header ?? "(empty file)")}`);
  }

  /** Distinct keys seen so far. */
  get distinctKeys(): number {
    return this.ids.size;
  }

  private readLine(): string | null {
    for (;;) {
      const nl = this.buf.indexOf(10, this.pos);
      if (nl >= 0 && nl < this.len) {
        const s = this.buf.toString("latin1", this.pos, nl);
        this.pos = nl + 1;
        this.line++;
        return s;
      }
      if (this.eof) {
        if (this.pos < this.len) {
          const s = this.buf.toString("latin1", this.pos, this.len);
          this.pos = this.len;
          this.line++;
          return s;
        }
        closeSync(this.fd);
        return null;
      }
      // move the partial line to the front and read more
      const rest = this.len - this.pos;
      if (rest === this.buf.length) {
        const bigger = Buffer.alloc(this.buf.length * 2);
        this.buf.copy(bigger, 0, this.pos, this.len);
        this.buf = bigger;
      } else this.buf.copy(this.buf, 0, this.pos, this.len);
      this.len = rest;
      this.pos = 0;
      const n = readSync(this.fd, this.buf, this.len, this.buf.length - this.len, null);
      if (n === 0) this.eof = true;
      this.len += n;
    }
  }

  private fail(msg: string): never {
    throw new InputError(`${this.file}:${this.line}: ${msg}`);
  }

  next(req: Request): boolean {
    let s: string | null;
    do {
      s = this.readLine();
      if (s === null) return false;
      if (s.endsWith("\r")) s = s.slice(0, -1);
    } while (s.length === 0);
    const f = s.split(",");
    if (f.length !== 5) this.fail(`expected 5 fields (${TRACE_CSV_HEADER}), found ${f.length}: ${JSON.stringify(s)}`);
    const t = Number(f[0]);
    if (!(t >= 0) || f[0] === "") this.fail(`t_ms ${JSON.stringify(f[0])} is not a time in ms ≥ 0`);
    const us = Math.round(t * 1000);
    if (us < req.t && this.line > 2) this.fail(`t_ms ${f[0]} is earlier than the previous row: a trace must be in time order`);
    const op = f[1].toUpperCase();
    const key = f[2];
    if (key.length === 0) this.fail(`empty key`);
    if (key.length > 65535) this.fail(`key longer than 65535 bytes`);
    const size = f[3] === "" ? 0 : Number(f[3]);
    if (!Number.isInteger(size) || size < 0) this.fail(`value_size ${JSON.stringify(f[3])} is not a whole number of bytes ≥ 0`);
    const ttl = f[4] === "" ? 0 : Number(f[4]);
    if (!(ttl >= 0)) this.fail(`ttl_s ${JSON.stringify(f[4])} is not a number of seconds ≥ 0 (0 = no TTL)`);
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(key, id);
      this.names.push(key);
      this.reg.defineKey(id, 0, key.length);
    }
    req.t = us;
    req.key = id;
    req.vlen = size;
    req.ttlMs = Math.round(ttl * 1000);
    if (op === "GET") req.op = this.cacheAside ? OP_CACHE_GET : OP_GET;
    else if (op === "SET") req.op = OP_SET;
    else if (op === "DEL") req.op = OP_DEL;
    else this.fail(`op ${JSON.stringify(f[1])} is not one of GET, SET, DEL`);
    return true;
  }

  fill(_req: Request): void {
    // value_size and ttl_s came with the row
  }
}
