import { describe, it, expect } from "vitest";
import { allocatorFn } from "./alloc.ts";
import {
  ENC_EMBSTR,
  ENC_INT,
  ENC_RAW,
  ENC_SHARED,
  memoryUsage,
  sdsAllocSize,
  stringEncoding,
  stringKeyBytes,
  stringValueBytes,
  ttlEntryBytes,
} from "./memory.ts";

/*
 * docs/model.md §7.2–7.5. Expected numbers are worked out by hand from that section's formulas:
 *   cost = A(24) + A(hdr(klen) + klen + 1) + V + [TTL: A(24)]
 *   V: shared int 0; INT A(16); EMBSTR (vlen ≤ 44) A(16 + 3 + vlen + 1); RAW A(16) + A(hdr(vlen) + vlen + 1)
 *   MEMORY USAGE = value + A(key sds) + 24 (unrounded); value: INT 16, EMBSTR A(whole), RAW A(sds) + 16.
 * sds header: 1 B (len < 32), 3 B (< 256), 5 B (< 65 536), 9 B (< 2^32), 17 B; empty string 3 B.
 * Size classes (§7.1): q8 … 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, …; q16 … 16, 32, 48, 64, 80, …
 */
const A8 = allocatorFn("jemalloc-bundled");
const A16 = allocatorFn("jemalloc-debian");

/** A non-numeric value string of n bytes. */
const val = (n: number) => "v".repeat(n);

describe("sdsAllocSize", () => {
  const rows: [number, number, string][] = [
    [0, 4, "empty string uses sdshdr8: 3 + 0 + 1"],
    [1, 3, "sdshdr5: 1 + 1 + 1"],
    [3, 5, "sdshdr5: 1 + 3 + 1"],
    [10, 12, "sdshdr5: 1 + 10 + 1"],
    [31, 33, "sdshdr5: 1 + 31 + 1"],
    [32, 36, "sdshdr8: 3 + 32 + 1"],
    [255, 259, "sdshdr8: 3 + 255 + 1"],
    [256, 262, "sdshdr16: 5 + 256 + 1"],
    [65535, 65541, "sdshdr16: 5 + 65535 + 1"],
    [65536, 65546, "sdshdr32: 9 + 65536 + 1"],
    [4294967295, 4294967305, "sdshdr32: 9 + 4294967295 + 1"],
    [4294967296, 4294967314, "sdshdr64: 17 + 4294967296 + 1"],
  ];
  for (const [len, bytes, why] of rows) {
    it(`sdsAllocSize(${len}) is ${bytes}`, () => {
      // §7.2: ${why}
      expect(sdsAllocSize(len), why).toBe(bytes);
    });
  }
});

describe("stringEncoding", () => {
  it("stringEncoding(3, true, 123, true) is ENC_SHARED", () => {
    expect(stringEncoding(3, true, 123, true)).toBe(ENC_SHARED);
  });
  it("stringEncoding(3, true, 123, false) is ENC_INT", () => {
    expect(stringEncoding(3, true, 123, false)).toBe(ENC_INT);
  });
  it("stringEncoding(1, true, 0, true) is ENC_SHARED", () => {
    expect(stringEncoding(1, true, 0, true)).toBe(ENC_SHARED);
  });
  it("stringEncoding(4, true, 9999, true) is ENC_SHARED", () => {
    expect(stringEncoding(4, true, 9999, true)).toBe(ENC_SHARED);
  });
  it("stringEncoding(5, true, 10000, true) is ENC_INT", () => {
    expect(stringEncoding(5, true, 10000, true)).toBe(ENC_INT);
  });
  it("stringEncoding(2, true, -1, true) is ENC_INT (negative integers are never shared)", () => {
    expect(stringEncoding(2, true, -1, true)).toBe(ENC_INT);
  });
  it("stringEncoding(20, true, -1000000000000000000, true) is ENC_INT (20 chars is still an integer)", () => {
    // "-1000000000000000000" is 20 characters and fits in int64.
    expect(stringEncoding(20, true, Number("-1000000000000000000"), true)).toBe(ENC_INT);
  });
  it("stringEncoding(21, true, 123456789012345678901, true) is ENC_EMBSTR (21 chars is not INT)", () => {
    expect(stringEncoding(21, true, Number("123456789012345678901"), true)).toBe(ENC_EMBSTR);
  });
  it("stringEncoding(21, true, 123456789012345678901, false) is ENC_EMBSTR", () => {
    expect(stringEncoding(21, true, Number("123456789012345678901"), false)).toBe(ENC_EMBSTR);
  });
  it("stringEncoding(3, false, -1, true) is ENC_EMBSTR", () => {
    expect(stringEncoding(3, false, -1, true)).toBe(ENC_EMBSTR);
  });
  it("stringEncoding(44, false, -1, true) is ENC_EMBSTR", () => {
    expect(stringEncoding(44, false, -1, true)).toBe(ENC_EMBSTR);
  });
  it("stringEncoding(45, false, -1, true) is ENC_RAW", () => {
    expect(stringEncoding(45, false, -1, true)).toBe(ENC_RAW);
  });
});

describe("stringValueBytes (shared integers)", () => {
  it('stringValueBytes(A16, 3, ENC_SHARED) is 0 ("123" shared)', () => {
    expect(stringValueBytes(A16, 3, ENC_SHARED)).toBe(0);
  });
  it('stringValueBytes(A16, 3, ENC_INT) is 16 ("123" INT: A(16))', () => {
    expect(stringValueBytes(A16, 3, ENC_INT)).toBe(16);
  });
  it('stringValueBytes(A8, 3, ENC_INT) is 16 ("123" INT: A(16))', () => {
    expect(stringValueBytes(A8, 3, ENC_INT)).toBe(16);
  });
  it('stringKeyBytes(A16, 3, 3, ENC_SHARED) is 40 (foo=123 shared: 32 + A(5)=8 + 0)', () => {
    expect(stringKeyBytes(A16, 3, 3, ENC_SHARED)).toBe(40);
  });
  it('stringKeyBytes(A16, 3, 3, ENC_INT) is 56 (foo=123 INT: 32 + A(5)=8 + A(16)=16)', () => {
    expect(stringKeyBytes(A16, 3, 3, ENC_INT)).toBe(56);
  });
  it('stringKeyBytes(A8, 3, 3, ENC_INT) is 48 (foo=123 INT: 24 + A(5)=8 + A(16)=16)', () => {
    expect(stringKeyBytes(A8, 3, 3, ENC_INT)).toBe(48);
  });
});

describe("ttlEntryBytes", () => {
  it("ttlEntryBytes(A8) is 24 (A(24) with quantum 8)", () => {
    expect(ttlEntryBytes(A8)).toBe(24);
  });
  it("ttlEntryBytes(A16) is 32 (A(24) with quantum 16)", () => {
    expect(ttlEntryBytes(A16)).toBe(32);
  });
});

describe("stringKeyBytes: worked examples of §7.3", () => {
  // [label, klen, vlen, q8 no TTL, q8 TTL, q16 no TTL, q16 TTL]
  const rows: [string, number, number, number, number, number, number][] = [
    // q8: 24 + A(5)=8 + A(23)=24 = 56; q16: 32 + 8 + A(23)=32 = 72; TTL +24 / +32
    ["foo = bar", 3, 3, 56, 80, 72, 104],
    // q8: 24 + A(12)=16 + A(30)=32 = 72; q16: 32 + 16 + 32 = 80
    ["10-char key, 10-char value", 10, 10, 72, 96, 80, 112],
    // q8: 24 + 16 + (A(16)=16 + A(3+100+1=104)=112) = 168; q16: 32 + 16 + (16 + 112) = 176
    ["10-char key, 100-char value", 10, 100, 168, 192, 176, 208],
  ];
  for (const [label, klen, vlen, q8, q8ttl, q16, q16ttl] of rows) {
    const enc = vlen <= 44 ? ENC_EMBSTR : ENC_RAW;
    it(`stringKeyBytes(A8, ${klen}, ${vlen}) is ${q8} (${label})`, () => {
      expect(stringEncoding(vlen, false, -1, true)).toBe(enc);
      expect(stringKeyBytes(A8, klen, vlen, enc)).toBe(q8);
    });
    it(`stringKeyBytes(A8, ${klen}, ${vlen}) + ttlEntryBytes(A8) is ${q8ttl} (${label}, TTL)`, () => {
      expect(stringKeyBytes(A8, klen, vlen, enc) + ttlEntryBytes(A8)).toBe(q8ttl);
    });
    it(`stringKeyBytes(A16, ${klen}, ${vlen}) is ${q16} (${label})`, () => {
      expect(stringKeyBytes(A16, klen, vlen, enc)).toBe(q16);
    });
    it(`stringKeyBytes(A16, ${klen}, ${vlen}) + ttlEntryBytes(A16) is ${q16ttl} (${label}, TTL)`, () => {
      expect(stringKeyBytes(A16, klen, vlen, enc) + ttlEntryBytes(A16)).toBe(q16ttl);
    });
  }
});

describe("memoryUsage: measured MEMORY USAGE figures of §7.5 (quantum 16, key foo)", () => {
  it("memoryUsage(A16, 3, 3, ENC_EMBSTR) is 64 (foo=bar: 24 + A(5)=8 + A(23)=32)", () => {
    expect(memoryUsage(A16, 3, 3, ENC_EMBSTR)).toBe(64);
  });
  it("memoryUsage(A16, 3, 44, ENC_EMBSTR) is 96 (44-byte value: 24 + 8 + A(64)=64)", () => {
    expect(stringEncoding(44, false, -1, true)).toBe(ENC_EMBSTR);
    expect(memoryUsage(A16, 3, 44, ENC_EMBSTR)).toBe(96);
  });
  it("memoryUsage(A16, 3, 45, ENC_RAW) is 112 (45-byte value: 24 + 8 + A(3+45+1=49)=64 + 16)", () => {
    expect(stringEncoding(45, false, -1, true)).toBe(ENC_RAW);
    expect(memoryUsage(A16, 3, 45, ENC_RAW)).toBe(112);
  });
  it("memoryUsage(A16, 3, 3, ENC_INT) is 48 (INT: 24 + 8 + 16)", () => {
    expect(memoryUsage(A16, 3, 3, ENC_INT)).toBe(48);
  });
  it("memoryUsage(A16, 3, 3, ENC_SHARED) is 48 (INT → 16 even if shared)", () => {
    expect(memoryUsage(A16, 3, 3, ENC_SHARED)).toBe(48);
  });
  it("memoryUsage(A8, 3, 3, ENC_EMBSTR) is 56 (foo=bar, quantum 8: 24 + 8 + A(23)=24)", () => {
    expect(memoryUsage(A8, 3, 3, ENC_EMBSTR)).toBe(56);
  });
});

/*
 * Key "key:000001" (10 chars): key sds = 1 + 10 + 1 = 12 → A(12) = 16 in both builds.
 * dictEntry A(24) = 24 (q8) / 32 (q16); TTL entry likewise 24 / 32.
 * MEMORY USAGE uses 24 unrounded and ignores the TTL.
 *
 * Columns: vlen, encoding, q8 cost, q8 cost+TTL, q8 MEMORY USAGE, q16 cost, q16 cost+TTL, q16 MEMORY USAGE.
 */
type Row = [number, number, number, number, number, number, number, number];
const KEY = "key:000001";
const TABLE: Row[] = [
  // vlen 1, EMBSTR: A(16+3+1+1=21) = 24 (q8) / 32 (q16)
  //   q8:  24 + A(1+10+1)=16 + 24 = 64;  +24 = 88;  MU 24 + 16 + 24 = 64
  //   q16: 32 + 16 + 32 = 80;            +32 = 112; MU 24 + 16 + 32 = 72
  [1, ENC_EMBSTR, 64, 88, 64, 80, 112, 72],
  // vlen 10, EMBSTR: A(16+3+10+1=30) = 32 (both)
  //   q8:  24 + 16 + 32 = 72;  +24 = 96;  MU 24 + 16 + 32 = 72
  //   q16: 32 + 16 + 32 = 80;  +32 = 112; MU 72
  [10, ENC_EMBSTR, 72, 96, 72, 80, 112, 72],
  // vlen 44, EMBSTR: A(16+3+44+1=64) = 64 (both)
  //   q8:  24 + 16 + 64 = 104; +24 = 128; MU 24 + 16 + 64 = 104
  //   q16: 32 + 16 + 64 = 112; +32 = 144; MU 104
  [44, ENC_EMBSTR, 104, 128, 104, 112, 144, 104],
  // vlen 45, RAW: A(16)=16 + A(3+45+1=49) = 56 (q8) / 64 (q16)
  //   q8:  24 + 16 + 16 + 56 = 112; +24 = 136; MU 24 + 16 + 56 + 16 = 112
  //   q16: 32 + 16 + 16 + 64 = 128; +32 = 160; MU 24 + 16 + 64 + 16 = 120
  [45, ENC_RAW, 112, 136, 112, 128, 160, 120],
  // vlen 100, RAW: A(16)=16 + A(3+100+1=104) = 112 (both)
  //   q8:  24 + 16 + 16 + 112 = 168; +24 = 192; MU 24 + 16 + 112 + 16 = 168
  //   q16: 32 + 16 + 16 + 112 = 176; +32 = 208; MU 168
  [100, ENC_RAW, 168, 192, 168, 176, 208, 168],
  // vlen 1000, RAW: A(16)=16 + A(5+1000+1=1006) = 1024 (classes 896, 1024)
  //   q8:  24 + 16 + 16 + 1024 = 1080; +24 = 1104; MU 24 + 16 + 1024 + 16 = 1080
  //   q16: 32 + 16 + 16 + 1024 = 1088; +32 = 1120; MU 1080
  [1000, ENC_RAW, 1080, 1104, 1080, 1088, 1120, 1080],
  // vlen 10000, RAW: A(16)=16 + A(5+10000+1=10006) = 10240 (classes 8192, 10240)
  //   q8:  24 + 16 + 16 + 10240 = 10296; +24 = 10320; MU 24 + 16 + 10240 + 16 = 10296
  //   q16: 32 + 16 + 16 + 10240 = 10304; +32 = 10336; MU 10296
  [10000, ENC_RAW, 10296, 10320, 10296, 10304, 10336, 10296],
];

describe(`string key "${KEY}" with values of 1 … 10000 bytes`, () => {
  const klen = KEY.length;
  it('"key:000001" is 10 characters', () => {
    expect(klen).toBe(10);
  });
  for (const [vlen, enc, q8, q8ttl, q8mu, q16, q16ttl, q16mu] of TABLE) {
    const v = val(vlen);
    it(`stringEncoding(${vlen}, false, -1, true) is ${enc === ENC_EMBSTR ? "ENC_EMBSTR" : "ENC_RAW"}`, () => {
      expect(stringEncoding(v.length, false, -1, true)).toBe(enc);
      expect(stringEncoding(v.length, false, -1, false)).toBe(enc);
    });
    it(`stringKeyBytes(A8, 10, ${vlen}) is ${q8}`, () => {
      expect(stringKeyBytes(A8, klen, v.length, enc)).toBe(q8);
    });
    it(`stringKeyBytes(A8, 10, ${vlen}) + ttlEntryBytes(A8) is ${q8ttl}`, () => {
      expect(stringKeyBytes(A8, klen, v.length, enc) + ttlEntryBytes(A8)).toBe(q8ttl);
    });
    it(`memoryUsage(A8, 10, ${vlen}) is ${q8mu}`, () => {
      expect(memoryUsage(A8, klen, v.length, enc)).toBe(q8mu);
    });
    it(`stringKeyBytes(A16, 10, ${vlen}) is ${q16}`, () => {
      expect(stringKeyBytes(A16, klen, v.length, enc)).toBe(q16);
    });
    it(`stringKeyBytes(A16, 10, ${vlen}) + ttlEntryBytes(A16) is ${q16ttl}`, () => {
      expect(stringKeyBytes(A16, klen, v.length, enc) + ttlEntryBytes(A16)).toBe(q16ttl);
    });
    it(`memoryUsage(A16, 10, ${vlen}) is ${q16mu}`, () => {
      expect(memoryUsage(A16, klen, v.length, enc)).toBe(q16mu);
    });
  }
});
