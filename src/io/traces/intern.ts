/*
 * Key interning for trace readers: each distinct key gets the next dense id (0, 1, 2, … in first-seen
 * order). Open-addressing hash tables over typed arrays, so a lookup of a key already seen allocates
 * nothing (a Map<string, …> would need a string per row). Keys are either byte strings (text formats)
 * or unsigned 64-bit integers given as two 32-bit halves (binary formats).
 */

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function grown(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

/** 64-bit integer keys (lo, hi: the low and high 32 bits). */
export class U64Interner {
  size = 0;
  private lo = new Int32Array(1024);
  private hi = new Int32Array(1024);
  private table = new Int32Array(2048).fill(-1);
  private mask = 2047;

  /** The key's id; a key not seen before gets id `size` (so `id === size - 1` after the call). */
  intern(lo: number, hi: number): number {
    lo |= 0;
    hi |= 0;
    const table = this.table, los = this.lo, his = this.hi, mask = this.mask;
    let slot = fmix(lo ^ Math.imul(hi ^ 0x9e3779b9, 0x85ebca6b)) & mask;
    for (;;) {
      const id = table[slot];
      if (id < 0) break;
      if (los[id] === lo && his[id] === hi) return id;
      slot = (slot + 1) & mask;
    }
    const id = this.size;
    if (id === los.length) {
      this.lo = grown(los, id * 2);
      this.hi = grown(his, id * 2);
    }
    this.lo[id] = lo;
    this.hi[id] = hi;
    table[slot] = id;
    this.size = id + 1;
    if (this.size * 2 > table.length) this.rehash();
    return id;
  }

  /** Low 32 bits of the key of `id`, as a signed int32. */
  loOf(id: number): number {
    return this.lo[id];
  }

  /** High 32 bits of the key of `id`, as a signed int32. */
  hiOf(id: number): number {
    return this.hi[id];
  }

  private rehash(): void {
    const n = this.table.length * 2;
    const table = new Int32Array(n).fill(-1);
    const mask = n - 1;
    for (let id = 0; id < this.size; id++) {
      let slot = fmix(this.lo[id] ^ Math.imul(this.hi[id] ^ 0x9e3779b9, 0x85ebca6b)) & mask;
      while (table[slot] >= 0) slot = (slot + 1) & mask;
      table[slot] = id;
    }
    this.table = table;
    this.mask = mask;
  }
}

/** Decimal text of the unsigned 64-bit integer hi·2³² + lo. */
export function u64ToString(lo: number, hi: number): string {
  const h = hi >>> 0, l = lo >>> 0;
  if (h < 0x200000) return String(h * 4294967296 + l); // below 2^53: exact as a double
  return ((BigInt(h) << 32n) | BigInt(l)).toString();
}

/** Byte-string keys, compared byte for byte. */
export class BytesInterner {
  size = 0;
  private arena = new Uint8Array(1 << 16);
  private used = 0;
  private start = new Int32Array(1024);
  private len = new Int32Array(1024);
  private hash = new Int32Array(1024);
  private table = new Int32Array(2048).fill(-1);
  private mask = 2047;

  /** The id of the key b[s, e); a key not seen before gets id `size`. */
  intern(b: Uint8Array, s: number, e: number): number {
    let h = 0x811c9dc5 | 0;
    for (let i = s; i < e; i++) h = Math.imul(h ^ b[i], 0x01000193);
    h = fmix(h);
    const n = e - s;
    const table = this.table, mask = this.mask, hashes = this.hash, lens = this.len, starts = this.start, arena = this.arena;
    let slot = h & mask;
    probe: for (;;) {
      const id = table[slot];
      if (id < 0) break;
      if (hashes[id] === h && lens[id] === n) {
        const o = starts[id] - s;
        for (let i = s; i < e; i++) if (arena[o + i] !== b[i]) {
          slot = (slot + 1) & mask;
          continue probe;
        }
        return id;
      }
      slot = (slot + 1) & mask;
    }
    const id = this.size;
    if (id === starts.length) {
      this.start = grown(starts, id * 2);
      this.len = grown(lens, id * 2);
      this.hash = grown(hashes, id * 2);
    }
    if (this.used + n > this.arena.length) {
      let cap = this.arena.length * 2;
      while (cap < this.used + n) cap *= 2;
      const a = new Uint8Array(cap);
      a.set(this.arena.subarray(0, this.used));
      this.arena = a;
    }
    this.arena.set(b.subarray(s, e), this.used);
    this.start[id] = this.used;
    this.len[id] = n;
    this.hash[id] = h;
    this.used += n;
    table[slot] = id;
    this.size = id + 1;
    if (this.size * 2 > table.length) this.rehash();
    return id;
  }

  /** The key of `id` decoded as UTF-8. */
  name(id: number): string {
    const s = this.start[id];
    return Buffer.from(this.arena.buffer, this.arena.byteOffset + s, this.len[id]).toString("utf8");
  }

  /** Length of the key of `id`, bytes. */
  byteLength(id: number): number {
    return this.len[id];
  }

  private rehash(): void {
    const n = this.table.length * 2;
    const table = new Int32Array(n).fill(-1);
    const mask = n - 1;
    for (let id = 0; id < this.size; id++) {
      let slot = this.hash[id] & mask;
      while (table[slot] >= 0) slot = (slot + 1) & mask;
      table[slot] = id;
    }
    this.table = table;
    this.mask = mask;
  }
}
