import type { Streams } from "../core/random.ts";
import type { GeneratorPlan } from "./config.ts";
import { Generator } from "./generator.ts";
import { OP_CACHE_GET, Request, type KeyRegistry } from "./request.ts";
import { TraceBatch } from "./trace.ts";

/**
 * Generates a workload in full, with each request's next-access index, for the `opt` reference policy
 * (Belady needs the future). This is the one place a workload is materialised: ~41 bytes per request
 * (10 M requests ≈ 410 MB), so it is only done for `opt`. Values and TTLs of cache-aside fills are
 * computed for every read up front (they are functions of the key and time, so nothing else changes).
 */
export function materialize(plan: GeneratorPlan, streams: Streams, reg: KeyRegistry): TraceBatch {
  const gen = new Generator(plan, streams, reg);
  const req = new Request();
  let cap = 1 << 16;
  let t = new Float64Array(cap), key = new Int32Array(cap), vlen = new Float64Array(cap), ttl = new Float64Array(cap);
  let op = new Uint8Array(cap);
  let n = 0;
  while (gen.next(req)) {
    if (n === cap) {
      cap *= 2;
      const g = <T extends Float64Array | Int32Array | Uint8Array>(a: T, make: new (n: number) => T) => {
        const b = new make(cap);
        b.set(a);
        return b;
      };
      t = g(t, Float64Array);
      key = g(key, Int32Array);
      vlen = g(vlen, Float64Array);
      ttl = g(ttl, Float64Array);
      op = g(op, Uint8Array);
    }
    if (req.op === OP_CACHE_GET) gen.fill(req);
    t[n] = req.t;
    op[n] = req.op;
    key[n] = req.key;
    vlen[n] = req.vlen;
    ttl[n] = req.ttlMs;
    n++;
  }
  const b = new TraceBatch(n);
  b.n = n;
  b.t.set(t.subarray(0, n));
  b.op.set(op.subarray(0, n));
  b.key.set(key.subarray(0, n));
  b.vlen.set(vlen.subarray(0, n));
  b.ttlMs.set(ttl.subarray(0, n));
  // next access: one backward pass with the last index seen per key
  let maxKey = 0;
  for (let i = 0; i < n; i++) if (key[i] > maxKey) maxKey = key[i];
  const last = new Float64Array(maxKey + 1).fill(-1);
  for (let i = n - 1; i >= 0; i--) {
    b.nextAccess[i] = last[key[i]];
    last[key[i]] = i;
  }
  return b;
}
