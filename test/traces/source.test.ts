import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.ts";
import { compressionOf, openBytes, stripCompression } from "../../src/io/traces/source.ts";
import { haveCommand, rejection, tmp, write } from "../support/traces.ts";

async function readAll(file: string): Promise<{ bytes: Buffer; chunks: number }> {
  const parts: Uint8Array[] = [];
  for await (const c of openBytes(file)) parts.push(c);
  return { bytes: Buffer.concat(parts), chunks: parts.length };
}

/** 3 MB of compressible but not trivial bytes. */
function payload(): Buffer {
  const b = Buffer.alloc(3_000_000);
  let x = 12345;
  for (let i = 0; i < b.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = 97 + ((x >>> 16) % 7);
  }
  return b;
}

describe("openBytes(file)", () => {
  it("compressionOf / stripCompression('a.oracleGeneral.bin.zst') → zst / 'a.oracleGeneral.bin'", () => {
    expect(compressionOf("a.oracleGeneral.bin.zst")).toBe("zst");
    expect(compressionOf("x/web12.trace.XZ")).toBe("xz");
    expect(compressionOf("t.csv.gz")).toBe("gz");
    expect(compressionOf("t.csv")).toBe(null);
    expect(stripCompression("a.oracleGeneral.bin.zst")).toBe("a.oracleGeneral.bin");
    expect(stripCompression("t.csv")).toBe("t.csv");
  });

  it("openBytes(f | f.gz | f.zst | f.xz) → the same 3 MB, in several chunks", async () => {
    const dir = tmp();
    const data = payload();
    const plain = write(dir, "p.bin", data);
    const files = [plain, write(dir, "p.bin.gz", gzipSync(data))];
    if (haveCommand("zstd")) files.push(write(dir, "p.bin.zst", execFileSync("zstd", ["-q", "-c", plain], { maxBuffer: 1 << 26 })));
    if (haveCommand("xz")) files.push(write(dir, "p.bin.xz", execFileSync("xz", ["-c", "-1", plain], { maxBuffer: 1 << 26 })));
    for (const f of files) {
      const { bytes, chunks } = await readAll(f);
      expect(bytes.equals(data), f).toBe(true);
      expect(chunks, f).toBeGreaterThan(1);
    }
  });

  it.skipIf(!haveCommand("zstd"))("openBytes(two zstd frames back to back) → both frames' bytes", async () => {
    const dir = tmp();
    const a = write(dir, "a", "first frame\n");
    const b = write(dir, "b", "second frame\n");
    const z = Buffer.concat([execFileSync("zstd", ["-q", "-c", a]), execFileSync("zstd", ["-q", "-c", b])]);
    expect((await readAll(write(dir, "ab.zst", z))).bytes.toString()).toBe("first frame\nsecond frame\n");
  });

  it("openBytes(missing file) → InputError: cannot read the trace: ENOENT", async () => {
    const f = `${tmp()}/nope.csv.gz`;
    const e = await rejection(readAll(f));
    expect(e).toBeInstanceOf(InputError);
    expect(e.message).toBe(`${f}: cannot read the trace: ENOENT`);
  });

  it("openBytes(truncated .gz | .zst, garbage .xz) → InputError: not valid … data", async () => {
    const dir = tmp();
    const data = payload();
    const gz = gzipSync(data);
    const cases: [string, RegExp][] = [[write(dir, "t.gz", gz.subarray(0, gz.length >> 1)), /: not valid gzip data \(corrupt or truncated\?\): unexpected end of file$/]];
    if (haveCommand("zstd")) {
      const plain = write(dir, "p", data);
      const z = execFileSync("zstd", ["-q", "-c", plain], { maxBuffer: 1 << 26 });
      cases.push([write(dir, "t.zst", z.subarray(0, z.length >> 1)), /: not valid zstd data \(corrupt or truncated\?\)/]);
    }
    cases.push([write(dir, "g.xz", "this is not xz"), /: not valid xz data \(corrupt or truncated\?\)$/]);
    for (const [f, re] of cases) {
      const e = await rejection(readAll(f));
      expect(e, f).toBeInstanceOf(InputError);
      expect(e.message, f).toMatch(re);
      expect(e.message.startsWith(f)).toBe(true);
    }
    // the xz decoder is free again after the error
    if (haveCommand("xz")) {
      const xz = write(dir, "ok.xz", execFileSync("xz", ["-c"], { input: readFileSync(write(dir, "s", "small")) }));
      expect((await readAll(xz)).bytes.toString()).toBe("small");
    }
  });
});
