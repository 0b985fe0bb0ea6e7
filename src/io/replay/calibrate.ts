import { Streams } from "../../core/random.ts";
import { Sim } from "../../core/sim.ts";
import { InputError } from "../../errors.ts";
import { ALLOCATORS, type Allocator } from "../../redis/alloc.ts";
import { DEFAULT_REDIS_CONFIG } from "../../redis/config.ts";
import { RedisServer } from "../../redis/server.ts";
import { Interrupted, interruptedBy, interruptSignal, throwIfInterrupted } from "../interrupt.ts";
import { checkEmpty, ConfigGuard, describeRedisError, isReplyError, parseRedisUrl, RedisLink, sleepUnless, unlessInterrupted, withTimeout } from "./connect.ts";
import { num, parseInfo } from "./info.ts";
import { detectAllocator, type AllocatorDetection } from "./allocator.ts";

/*
 * Memory calibration: load N string keys of each value size into a real server and into the model, and
 * compare the growth of used_memory per key (bucket arrays included, as both grow them the same way)
 * and MEMORY USAGE of one key. Names are `key:000000` … (10 bytes); values are runs of 'x' (never
 * integers, so always EMBSTR or RAW).
 *
 * Which size-class table to model is found first (src/io/replay/allocator.ts: MEMORY USAGE of probe keys)
 * and used unless one is given; the measurement then says how close each of the simulator's tables
 * comes, so the table scenarios need for this server is checked twice.
 */

export interface CalibrationRow {
  value_size: number;
  ttl: 0 | 1;
  keys: number;
  real_bytes_per_key: number;
  model_bytes_per_key: number;
  diff_bytes_per_key: number;
  real_memory_usage: number;
  model_memory_usage: number;
}

export const DEFAULT_SIZES = [1, 10, 44, 45, 100, 1000, 10000];

/** Time given to both servers after loading, so cron completes incremental rehashes before measuring. */
const SETTLE_MS = 1000;

const keyName = (i: number) => `key:${String(i).padStart(6, "0")}`;

function modelGrowth(allocator: Allocator, n: number, vlen: number, ttl: boolean): { perKey: number; usage: number } {
  const sim = new Sim();
  const s = new RedisServer({ ...DEFAULT_REDIS_CONFIG, allocator }, sim, new Streams(1));
  for (let i = 0; i <= n; i++) s.defineKey(i, 0, 10);
  s.set(n, 1, -1, 0); // warm-up: first SET and DEL allocate their histograms and a 4-slot table
  s.del(n);
  const u0 = s.used;
  for (let i = 0; i < n; i++) s.set(i, vlen, -1, ttl ? 3_600_000 : 0);
  sim.advanceTo(sim.now + SETTLE_MS * 1000); // cron finishes any incremental rehash, as on the real server
  return { perKey: (s.used - u0) / n, usage: s.memoryUsage(1) };
}

export interface CalibrateOptions {
  /** What is about to happen to the server (--flush: the keys it deletes). */
  notice?: (msg: string) => void;
  warn?: (msg: string) => void;
}

/** How close one size-class table's model comes to the measurement. */
export interface TableFit {
  allocator: Allocator;
  /** The largest |model − real| used_memory per key over the rows, in bytes. */
  maxAbsDiff: number;
  /** Rows where the model's MEMORY USAGE equals the server's. */
  usageExact: number;
  rows: number;
}

export interface CalibrationResult {
  /** The table modelled in `rows`. */
  allocator: Allocator;
  /** Why that table: given (--allocator), detected on the server, or the scenarios' default (detection failed). */
  chosenBy: "given" | "detected" | "default";
  detection: AllocatorDetection;
  rows: CalibrationRow[];
  /** Every table of the simulator against the same measurement, best first. */
  fits: TableFit[];
}

/** The calibration rows only (with the given table, or the detected one when `allocator` is undefined). */
export async function calibrate(url: string, allocator: Allocator | undefined, n: number, sizes: number[], flush: boolean, opts: CalibrateOptions = {}): Promise<CalibrationRow[]> {
  return (await calibrateServer(url, allocator, n, sizes, flush, opts)).rows;
}

/**
 * Calibration FLUSHALLs before each size, so it needs --flush; it says what it deletes first, sets
 * maxmemory 0 (no eviction while loading) and puts the server's maxmemory back at the end, on an error
 * and on Ctrl-C; the keys it loaded are deleted on the way out.
 */
export async function calibrateServer(
  url: string,
  given: Allocator | undefined,
  n: number,
  sizes: number[],
  flush: boolean,
  opts: CalibrateOptions = {},
): Promise<CalibrationResult> {
  const target = parseRedisUrl(url);
  if (!flush) throw new InputError("calibration loads and deletes keys: it needs --flush (FLUSHALL before each size)");
  const link = new RedisLink(target);
  let guard: ConfigGuard | undefined;
  let loaded = false;
  try {
    const r = await link.connect(0);
    await checkEmpty(r, target, flush, "sim calibrate", opts.notice ?? (() => {}));
    // --flush is given (checked above), so the server may be written to: probe its size classes.
    const detection = await detectAllocator(r, { probeAllowed: true });
    const allocator: Allocator = given ?? (detection.allocator === "unknown" ? DEFAULT_REDIS_CONFIG.allocator : detection.allocator);
    const chosenBy = given ? "given" : detection.allocator === "unknown" ? "default" : "detected";
    const models = new Map<Allocator, { perKey: number; usage: number }[]>(ALLOCATORS.map((a) => [a, []]));
    const reals: number[] = [];
    guard = await ConfigGuard.save(link, ["maxmemory"]);
    await r.config("SET", "maxmemory", "0");
    const used = async () => num(parseInfo(await r.info("memory")), "used_memory");
    const rows: CalibrationRow[] = [];
    for (const vlen of sizes) {
      for (const ttl of [false, true]) {
        loaded = true;
        await r.flushall();
        await r.set("warmup", "x");
        await r.del("warmup");
        await r.info("memory"); // the first INFO allocates its own histogram
        const u0 = await used();
        const value = "x".repeat(vlen);
        for (let i = 0; i < n; i += 1000) {
          throwIfInterrupted();
          const p = r.pipeline();
          for (let j = i; j < Math.min(n, i + 1000); j++) {
            if (ttl) p.set(keyName(j), value, "PX", 3_600_000);
            else p.set(keyName(j), value);
          }
          for (const [err] of (await unlessInterrupted(p.exec())) ?? []) if (err) throw err;
        }
        await sleepUnless(SETTLE_MS, interruptSignal());
        throwIfInterrupted();
        const u1 = await used();
        const usage = Number(await r.call("MEMORY", "USAGE", keyName(1)));
        for (const a of ALLOCATORS) models.get(a)!.push(modelGrowth(a, n, vlen, ttl));
        const m = models.get(allocator)!.at(-1)!;
        throwIfInterrupted();
        const real = (u1 - u0) / n;
        reals.push(real);
        rows.push({
          value_size: vlen,
          ttl: ttl ? 1 : 0,
          keys: n,
          real_bytes_per_key: Math.round(real * 100) / 100,
          model_bytes_per_key: Math.round(m.perKey * 100) / 100,
          diff_bytes_per_key: Math.round((m.perKey - real) * 100) / 100,
          real_memory_usage: usage,
          model_memory_usage: m.usage,
        });
      }
    }
    await r.flushall();
    loaded = false;
    const fits = ALLOCATORS.map((a): TableFit => {
      const ms = models.get(a)!;
      return {
        allocator: a,
        maxAbsDiff: Math.round(Math.max(...rows.map((_, i) => Math.abs(ms[i].perKey - reals[i]))) * 100) / 100,
        usageExact: rows.filter((row, i) => ms[i].usage === row.real_memory_usage).length,
        rows: rows.length,
      };
    }).sort((x, y) => x.maxAbsDiff - y.maxAbsDiff || y.usageExact - x.usageExact);
    return { allocator, chosenBy, detection, rows, fits };
  } catch (e) {
    if (e instanceof Interrupted || e instanceof InputError) throw e;
    if (link.lost(e)) throw new InputError(`${target.shown}: connection lost during calibration (${link.lostReason()})`);
    if (isReplyError(e)) throw new InputError(`${target.shown}: the server answered "${describeRedisError(e)}"`);
    throw e;
  } finally {
    // Stopped part-way (Ctrl-C, an error): the calibration keys go too, as --flush allowed.
    if (loaded && !link.lost()) await withTimeout(link.get(0).flushall(), 2000).catch(() => {});
    const failed = await guard?.restore(interruptedBy() ? 500 : 2000);
    if (failed) opts.warn?.(`the server did not confirm that its CONFIG was put back (${failed}); check, and set by hand if needed: CONFIG SET ${guard!.describe()}`);
    link.disconnect();
  }
}
