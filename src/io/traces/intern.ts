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
  /**
   * Slot i is table[2i] = lo, table[2i + 1] = id + 1 (0: empty), at most 3/4 full (linear probing).
   * A lookup reads one 8-byte slot per probe, so usually one cache line, and nothing else while every
   * key has hi = 0 (`wide` false, the usual case); after that a lo match also checks hi[id]. Kept
   * compact on purpose: on big tables the misses (cache and TLB) cost more than the probing.
   */
  private table = new Int32Array(2 * 2048);
  private mask = 2047;
  /** Some key has hi ≠ 0. */
  private wide = false;

  /** The key's id; a key not seen before gets id `size` (so `id === size - 1` after the call). */
  intern(lo: number, hi: number): number {
    lo |= 0;
    hi |= 0;
    const table = this.table, mask = this.mask;
    let slot = fmix(lo ^ Math.imul(hi ^ 0x9e3779b9, 0x85ebca6b)) & mask;
    for (;;) {
      const j = slot << 1;
      const v = table[j + 1];
      if (v === 0) break;
      if (table[j] === lo && (this.wide ? this.hi[v - 1] === hi : hi === 0)) return v - 1;
      slot = (slot + 1) & mask;
    }
    const id = this.size;
    if (id === this.lo.length) {
      this.lo = grown(this.lo, id * 2);
      this.hi = grown(this.hi, id * 2);
    }
    this.lo[id] = lo;
    this.hi[id] = hi;
    if (hi !== 0) this.wide = true;
    const j = slot << 1;
    table[j] = lo;
    table[j + 1] = id + 1;
    this.size = id + 1;
    if (this.size * 4 > (mask + 1) * 3) this.rehash();
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
    const n = (this.mask + 1) * 2;
    const table = new Int32Array(2 * n);
    const mask = n - 1;
    const los = this.lo, his = this.hi;
    for (let id = 0; id < this.size; id++) {
      const lo = los[id];
      let slot = fmix(lo ^ Math.imul(his[id] ^ 0x9e3779b9, 0x85ebca6b)) & mask;
      while (table[(slot << 1) + 1] !== 0) slot = (slot + 1) & mask;
      const j = slot << 1;
      table[j] = lo;
      table[j + 1] = id + 1;
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

const M1 = 0xcc9e2d51 | 0;
const M2 = 0x1b873593;

/** One MurmurHash3 (x86_32) round: `h` with the 32-bit word `w` mixed in. */
function mixIn(h: number, w: number): number {
  w = Math.imul(w, M1);
  w = Math.imul((w << 15) | (w >>> 17), M2);
  h ^= w;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** LOW[n]: the low n bytes of a 32-bit word (0 ≤ n ≤ 4). */
const LOW = new Int32Array([0, 0xff, 0xffff, 0xffffff, -1]);
const NO_BYTES = new Uint8Array(0);

/**
 * Byte-string keys, compared byte for byte.
 *
 * The table is built for few cache misses (on big tables, misses, TLB misses included, cost more than
 * anything else): slot i is table[4i .. 4i + 3] = [tag, id + 1 (0: empty), x, y], at most 3/4 full,
 * linear probing. tag = 28 bits of the key's hash | min(length, 15) in the low 4 bits. A key of at most
 * 8 bytes is kept whole in the slot (x, y: bytes 0–3 and 4–7, little-endian, zero-padded; the length
 * is in the tag), so finding it reads one 16-byte slot per probe and nothing else. A longer key has
 * x = its offset in the arena, y = its length, and is compared with the arena. Every key is also in
 * the arena (for name()), at start[id], len[id].
 */
export class BytesInterner {
  size = 0;
  private arena = new Uint8Array(1 << 16);
  private used = 0;
  private start = new Int32Array(1024);
  private len = new Int32Array(1024);
  private table = new Int32Array(4 * 1024);
  /** Slots − 1 (a power of two − 1). */
  private mask = 1023;
  /** 32 − log2(slots): the home slot of a tag is the top bits of tag · 2654435761. */
  private shift = 22;
  /** A DataView on the last `b` interned from, for reading 4 bytes at once. */
  private bytes: Uint8Array = NO_BYTES;
  private view: DataView = new DataView(NO_BYTES.buffer);

  /** The id of the key b[s, e); a key not seen before gets id `size`. */
  intern(b: Uint8Array, s: number, e: number): number {
    const n = e - s;
    if (n > 8 || s + 8 > b.length) return this.internSlow(b, s, e);
    if (b !== this.bytes) {
      this.bytes = b;
      this.view = new DataView(b.buffer, b.byteOffset, b.length);
    }
    // the 8 bytes from s are in b: read them as two words and mask off the bytes past e
    const view = this.view;
    let x = view.getInt32(s, true);
    let y = view.getInt32(s + 4, true);
    if (n < 4) {
      x &= LOW[n];
      y = 0;
    } else y &= LOW[n - 4];
    const tag = (fmix(mixIn(mixIn(n, x), y)) & ~15) | n;
    const table = this.table, mask = this.mask;
    let slot = Math.imul(tag, 0x9e3779b1) >>> this.shift;
    for (;;) {
      const j = slot << 2;
      const v = table[j + 1];
      if (v === 0) break;
      if (table[j] === tag && table[j + 2] === x && table[j + 3] === y) return v - 1;
      slot = (slot + 1) & mask;
    }
    return this.add(b, s, e, slot, tag, x, y);
  }

  /** intern() for any key, reading byte by byte. */
  private internSlow(b: Uint8Array, s: number, e: number): number {
    const n = e - s;
    let h = n, x = 0, y = 0;
    if (n <= 8) {
      for (let i = Math.min(e, s + 4) - 1; i >= s; i--) x = (x << 8) | b[i];
      for (let i = e - 1; i >= s + 4; i--) y = (y << 8) | b[i];
      h = mixIn(mixIn(n, x), y);
    } else {
      let i = s;
      for (; i + 4 <= e; i += 4) h = mixIn(h, b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24));
      if (i < e) {
        let w = 0;
        for (let k = e - 1; k >= i; k--) w = (w << 8) | b[k];
        h = mixIn(h, w);
      }
    }
    const tag = (fmix(h) & ~15) | (n < 15 ? n : 15);
    const table = this.table, mask = this.mask, arena = this.arena;
    let slot = Math.imul(tag, 0x9e3779b1) >>> this.shift;
    probe: for (;;) {
      const j = slot << 2;
      const v = table[j + 1];
      if (v === 0) break;
      if (table[j] === tag) {
        if (n <= 8) {
          if (table[j + 2] === x && table[j + 3] === y) return v - 1;
        } else if (table[j + 3] === n) {
          const o = table[j + 2] - s;
          for (let i = s; i < e; i++) {
            if (arena[o + i] !== b[i]) {
              slot = (slot + 1) & mask;
              continue probe;
            }
          }
          return v - 1;
        }
      }
      slot = (slot + 1) & mask;
    }
    return this.add(b, s, e, slot, tag, x, y);
  }

  /** Adds the key b[s, e) (not in the table) at the free `slot`. */
  private add(b: Uint8Array, s: number, e: number, slot: number, tag: number, x: number, y: number): number {
    const n = e - s;
    const id = this.size;
    if (id === this.start.length) {
      this.start = grown(this.start, id * 2);
      this.len = grown(this.len, id * 2);
    }
    const at = this.used;
    if (at + n > this.arena.length) {
      let cap = this.arena.length * 2;
      while (cap < at + n) cap *= 2;
      const a = new Uint8Array(cap);
      a.set(this.arena.subarray(0, at));
      this.arena = a;
    }
    for (let i = 0; i < n; i++) this.arena[at + i] = b[s + i];
    this.start[id] = at;
    this.len[id] = n;
    this.used = at + n;
    const table = this.table, j = slot << 2;
    table[j] = tag;
    table[j + 1] = id + 1;
    table[j + 2] = n <= 8 ? x : at;
    table[j + 3] = n <= 8 ? y : n;
    this.size = id + 1;
    if (this.size * 4 > (this.mask + 1) * 3) this.rehash();
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
    const old = this.table;
    const n = (this.mask + 1) * 2;
    const table = new Int32Array(4 * n);
    const mask = n - 1, shift = this.shift - 1;
    for (let i = 0; i < old.length; i += 4) {
      if (old[i + 1] === 0) continue;
      let slot = Math.imul(old[i], 0x9e3779b1) >>> shift;
      while (table[(slot << 2) + 1] !== 0) slot = (slot + 1) & mask;
      const j = slot << 2;
      table[j] = old[i];
      table[j + 1] = old[i + 1];
      table[j + 2] = old[i + 2];
      table[j + 3] = old[i + 3];
    }
    this.table = table;
    this.mask = mask;
    this.shift = shift;
  }
}
