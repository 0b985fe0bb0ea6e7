import { z } from "zod";
import { MITIGATION_DEFAULTS, MITIGATION_PARAMS, MITIGATIONS, RETRY_JITTER, SWR_REFRESH } from "../app/config.ts";
import { CRASH_KINDS, EVENT_ACTIONS } from "../parts/plan.ts";
import { MAX_MASTERS, MAX_REPLICAS } from "../cluster/config.ts";
import { CLUSTER_SLOTS } from "../cluster/slots.ts";
import { ALLOCATORS } from "../redis/alloc.ts";
import { DEFAULT_REDIS_CONFIG, INT_CONFIGS, INT_MAX, MAX_DATABASES, MAX_VALUE_BYTES, type IntConfigName } from "../redis/config.ts";
import { ACCOUNTING } from "../redis/memory.ts";
import { APPENDFSYNC, APPENDFSYNC_DEFAULT } from "../redis/persistence/config.ts";
import { POLICY_NAMES } from "../redis/policies.ts";
import { ARRIVALS, MAX_KEYS, MODES, POPULARITIES } from "../workload/config.ts";
import { traceSpec } from "./trace-schema.ts";
import { durationValue, MAX_DURATION_US, MAX_MEMORY_BYTES, memoryValue, parseDuration, parseFraction, parseMemory, show, TOO_BIG } from "../units.ts";
import { savePointsProblem } from "../conf/redis-conf.ts";

/*
 * The scenario schema: the one place that lists every key, its default and what it allows
 * (scenarios/reference.yaml shows the same with comments). The schema validates and fills defaults but
 * keeps values as written (`100mb`, `1h`), so the resolved scenario written next to the results is
 * itself a valid scenario; compile.ts turns it into numbers.
 */

type Ctx = z.RefinementCtx;
const issue = (ctx: Ctx, message: string, path: (string | number)[] = []) =>
  ctx.addIssue({ code: z.ZodIssueCode.custom, message, path });

/** The most points a sweep may have (the product of its lists' lengths). */
export const MAX_SWEEP_POINTS = 10_000;
const TOO_LONG = `is longer than 285 years (2^53 µs): the simulated clock counts µs exactly only up to there`;
/** A duration's problem when it is too long to simulate (or out of range), else null. */
const tooLong = (v: unknown) => {
  const us = durationValue(v);
  return us !== null && us > MAX_DURATION_US ? `${show(v)} ${TOO_LONG}` : null;
};


const memory = (min = 0) =>
  z.union([z.number(), z.string()]).superRefine((v, ctx) => {
    const b = memoryValue(v);
    if (b === null) issue(ctx, `${show(v)} is not a memory size (bytes, or with a unit as in redis.conf: 100mb, 2gb, 512kb)`);
    else if (b < min) issue(ctx, `${show(v)} must be at least ${min} bytes`);
    else if (b > MAX_MEMORY_BYTES) issue(ctx, `${show(v)} ${TOO_BIG}`);
  });

const duration = (positive = true) =>
  z.union([z.number(), z.string()]).superRefine((v, ctx) => {
    const us = durationValue(v);
    if (us === null) issue(ctx, `${show(v)} is not a duration (seconds, or with a unit: 500ms, 10s, 5m, 1h, 1d)`);
    else if (us < 0 || (positive && us === 0)) issue(ctx, `${show(v)} must be ${positive ? "greater than 0" : "0 or more"}`);
    else if (us > MAX_DURATION_US) issue(ctx, `${show(v)} ${TOO_LONG}`);
  });

const fraction = (max = 1) =>
  z.union([z.number(), z.string()]).superRefine((v, ctx) => {
    const f = parseFraction(v);
    if (f === null) issue(ctx, `${show(v)} is not a fraction (0.25 or 25%)`);
    else if (f < 0 || f > max) issue(ctx, `${show(v)} must be between 0 and ${max === 1 ? "1 (100%)" : max}`);
  });

const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.number({ invalid_type_error: "must be a whole number" }).int("must be a whole number").min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

/** An integer setting of the redis section, with its bounds from redis/config.ts's table. */
const intConfig = (name: IntConfigName) => int(INT_CONFIGS[name].min, INT_CONFIGS[name].max);

const oneOf = <T extends string>(values: readonly [T, ...T[]]) =>
  z.enum(values, {
    errorMap: (iss, ctx) => ({
      message:
        iss.code === "invalid_enum_value" ? `${show(iss.received)} is not one of ${values.join(", ")}` : `${show(ctx.data)} is not one of ${values.join(", ")}`,
    }),
  });

// ---- distributions: discriminated unions with the house messages ---------------------------------
//
// Each setting below takes a scalar shorthand or an object whose `dist` (or `kind`) names a variant.
// The tables say which keys each variant takes; each variant is a strict object built from them, and
// the five settings are z.discriminatedUnion's of those objects. Their fields are typed leaves whose
// checks give the messages ("missing (dist lognormal needs median and p99)", "… is not a size in
// bytes"); a leaf never aborts the parse (a problem is an issue, as a refinement's is), so the
// scenario's own checks still run beside them. `variantSetting` puts a setting together: it sends a
// shorthand to its schema and an object to the union, says "unknown key for dist uniform; allowed: min,
// max" for each key the variant's strict object does not take (first, in the order written, where
// zod reports one unrecognized_keys issue after the fields), and keeps the value as written (a zod
// object rebuilds it in its shape's key order, and the resolved scenario and a result's fingerprint
// echo the value as the scenario wrote it). A left-out `dist` needs no filling in: the default
// variant's discriminator is optional (`dist: fixed` would otherwise appear in the resolved scenario).

/** value-size's object forms: the keys each `dist` takes. */
export const SIZE_DISTS = { fixed: ["size"], uniform: ["min", "max"], lognormal: ["median", "p99"], empirical: ["values", "weights"] } as const;
/** ttl's object forms (`dist` left out means fixed). */
export const TTL_DISTS = { fixed: ["ttl", "jitter"], uniform: ["min", "max"] } as const;
/** popularity's object forms; every one also takes `offset`. */
export const POPULARITY_DISTS = { uniform: [], zipf: ["alpha"], "hot-set": ["keys", "share"] } as const satisfies Record<(typeof POPULARITIES)[number], readonly string[]>;
/** A query or fsync time's object forms (`dist` left out means fixed). */
export const TIME_DISTS = { fixed: ["time"], lognormal: ["p50", "p99"], exponential: ["mean"], empirical: ["values", "weights"] } as const;

/** The keys of each variant of a table, as the messages name them. */
const keysOf = (table: Record<string, readonly string[]>, common: readonly string[] = []): Record<string, readonly string[]> =>
  Object.fromEntries(Object.entries(table).map(([k, v]) => [k, [...v, ...common]]));
const POPULARITY_COMMON = ["offset"] as const;

/** The fields `keys` of `fields`, in the order of `keys` (a variant's shape from its table row). */
const pick = <F extends Record<string, z.ZodTypeAny>, const K extends readonly (keyof F & string)[]>(fields: F, keys: K) =>
  Object.fromEntries(keys.map((k) => [k, fields[k]])) as { [P in K[number]]: F[P] };

/** A typed field whose check gives the house messages; a problem is an issue that does not abort the parse. */
const leaf = <T>(check: (v: unknown, ctx: Ctx) => void) => z.custom<T>().superRefine((v, ctx) => check(v, ctx));
type Scalar = number | string;

/** The problem of a value that must be a duration of at least `min` µs (or above 0), else null. */
const durationProblem = (v: unknown, bad: string, min: number, above = false) => {
  const us = parseDuration(v);
  if (tooLong(v)) return tooLong(v)!;
  return us === null || (above ? us <= min : us < min) ? `${show(v)} ${bad}` : null;
};

/** The variants' unknown-key messages and the object/shorthand routing shared by the five settings. */
function variantSetting<S, O extends Record<string, unknown>>(o: {
  key: "dist" | "kind";
  /** The variant when the key is left out (or null). */
  fallback?: string;
  /** Whether a value is the setting's shorthand, and its schema. */
  shorthand: { is: (v: unknown) => boolean; schema: z.ZodType<S> };
  /** The discriminated union of the object forms. */
  variants: z.ZodType<O>;
  /** The keys each variant takes, as the unknown-key message names them. */
  keys: Record<string, readonly string[]>;
  /** The message of a value that is neither the shorthand nor an object. */
  notObject: (v: unknown) => string;
  /**
   * Fields checked wherever they are written, even in a variant that does not take them (popularity,
   * mitigation), their messages in this order.
   */
  anywhere?: Record<string, z.ZodTypeAny>;
}) {
  return z.custom<S | O>().superRefine((v, ctx) => {
    const forward = (issues: readonly z.ZodIssue[], at: (string | number)[] = []) => {
      for (const i of issues) issue(ctx, i.message, [...at, ...i.path]);
    };
    if (o.shorthand.is(v)) {
      const r = o.shorthand.schema.safeParse(v);
      if (!r.success) forward(r.error.issues);
      return;
    }
    if (typeof v !== "object" || v === null || Array.isArray(v)) return issue(ctx, o.notObject(v));
    const r = o.variants.safeParse(v);
    if (r.success) return;
    const obj = v as Record<string, unknown>;
    const variant = `${obj[o.key] ?? o.fallback}`;
    const unknown: z.ZodIssue[] = [];
    let rest: z.ZodIssue[] = [];
    for (const i of r.error.issues) {
      if (i.code !== z.ZodIssueCode.unrecognized_keys || i.path.length > 0) {
        rest.push(i);
        continue;
      }
      for (const k of i.keys) {
        unknown.push({ code: z.ZodIssueCode.custom, message: `unknown key for ${o.key} ${variant}; allowed: ${o.keys[variant].join(", ") || "none"}`, path: [k] });
        const check = o.anywhere && Object.hasOwn(o.anywhere, k) ? o.anywhere[k].safeParse(obj[k]) : null;
        if (check && !check.success) rest.push(...check.error.issues.map((x) => ({ ...x, path: [k, ...x.path] })));
      }
    }
    if (o.anywhere) {
      const order = Object.keys(o.anywhere);
      const rank = (i: z.ZodIssue) => order.indexOf(String(i.path[0]));
      rest = rest.map((i, n) => [i, n] as const).sort(([a, n], [b, m]) => rank(a) - rank(b) || n - m).map(([i]) => i);
    }
    forward([...unknown, ...rest]);
  });
}

/** The discriminated union's message for a variant it does not know. */
const unknownVariant = (key: string, names: readonly string[], missing?: string): z.ZodErrorMap => (iss, ctx) => {
  const d = (ctx.data as Record<string, unknown>)?.[key];
  return { message: iss.code === z.ZodIssueCode.invalid_union_discriminator ? (d === undefined && missing ? missing : `${show(d)} is not one of ${names.join(", ")}`) : ctx.defaultError };
};

// -- value-size

const SIZE_TOO_BIG = `is larger than Redis's proto-max-bulk-len (512mb)`;
/** A size field of `dist`'s object form. */
const sizeField = (dist: keyof typeof SIZE_DISTS) =>
  leaf<Scalar>((v, ctx) => {
    if (v === undefined) return issue(ctx, `missing (dist ${dist} needs ${SIZE_DISTS[dist].join(" and ")})`);
    const b = parseMemory(v);
    if (b === null || b < 0) issue(ctx, `${show(v)} is not a size in bytes`);
    else if (b > MAX_VALUE_BYTES) issue(ctx, `${show(v)} ${SIZE_TOO_BIG}`);
  });
const sizeList = leaf<Scalar[]>((v, ctx) => {
  if (!Array.isArray(v) || v.length === 0) return issue(ctx, `must be a non-empty list of sizes`);
  v.forEach((x: unknown, i: number) => {
    const b = parseMemory(x);
    if (b === null || b < 0 || b > MAX_VALUE_BYTES) issue(ctx, `${show(x)} is not a size in bytes up to 512mb`, [i]);
  });
});
/** weights: checked beside values (their count is values'), by the union's refinement. */
const weightList = leaf<number[]>(() => {});
const sizeFields = (dist: keyof typeof SIZE_DISTS) => ({ size: sizeField(dist), min: sizeField(dist), max: sizeField(dist), median: sizeField(dist), p99: sizeField(dist), values: sizeList, weights: weightList.optional() });

export const sizeDist = z
  .discriminatedUnion(
    "dist",
    [
      z.object({ dist: z.literal("fixed").nullish(), ...pick(sizeFields("fixed"), SIZE_DISTS.fixed) }).strict(),
      z.object({ dist: z.literal("uniform"), ...pick(sizeFields("uniform"), SIZE_DISTS.uniform) }).strict(),
      z.object({ dist: z.literal("lognormal"), ...pick(sizeFields("lognormal"), SIZE_DISTS.lognormal) }).strict(),
      z.object({ dist: z.literal("empirical"), ...pick(sizeFields("empirical"), SIZE_DISTS.empirical) }).strict(),
    ],
    { errorMap: unknownVariant("dist", Object.keys(SIZE_DISTS)) },
  )
  .superRefine((v, ctx) => {
    if (v.dist === "uniform") {
      const lo = parseMemory(v.min), hi = parseMemory(v.max);
      if (lo !== null && hi !== null && lo > hi) issue(ctx, `min ${show(v.min)} is above max ${show(v.max)}`, ["min"]);
    }
    if (v.dist === "lognormal") {
      const m = parseMemory(v.median), p = parseMemory(v.p99);
      if (m !== null && m < 1) issue(ctx, `must be at least 1 byte`, ["median"]);
      if (m !== null && p !== null && p < m) issue(ctx, `p99 ${show(v.p99)} is below the median ${show(v.median)}`, ["p99"]);
    }
    if (v.dist === "empirical" && Array.isArray(v.values) && v.values.length > 0 && v.weights !== undefined) {
      const w: unknown = v.weights;
      if (!Array.isArray(w) || w.length !== v.values.length) issue(ctx, `must be a list of ${v.values.length} non-negative numbers, one per value`, ["weights"]);
      else {
        w.forEach((x: unknown, i: number) => (typeof x === "number" && x >= 0 && Number.isFinite(x) ? 0 : issue(ctx, `${show(x)} is not a non-negative number`, ["weights", i])));
        if (w.every((x: unknown) => typeof x === "number") && !(w.reduce((a: number, x: number) => a + x, 0) > 0))
          issue(ctx, `the weights sum to 0: give at least one a positive weight`, ["weights"]);
      }
    }
  });

/** value-size: 100 | "1kb" | {dist: fixed, size} | {dist: uniform, min, max} | {dist: lognormal, median, p99} | {dist: empirical, values, weights?} */
export const valueSize = variantSetting({
  key: "dist",
  fallback: "fixed",
  shorthand: {
    is: (v) => typeof v === "number" || typeof v === "string",
    schema: leaf<Scalar>((v, ctx) => {
      const b = parseMemory(v);
      if (b === null || b < 0) issue(ctx, `${show(v)} is not a size in bytes (e.g. 100, 1kb, or {dist: lognormal, median: 200, p99: 4kb})`);
      else if (b > MAX_VALUE_BYTES) issue(ctx, `${show(v)} ${SIZE_TOO_BIG}`);
    }),
  },
  variants: sizeDist,
  keys: keysOf(SIZE_DISTS),
  notObject: (v) => `${show(v)} is not a size: give bytes or {dist: ${Object.keys(SIZE_DISTS).join("|")}, …}`,
});
export type SizeSpec = z.output<typeof valueSize>;

// -- ttl

const ttlField = leaf<Scalar>((v, ctx) => {
  if (v === undefined) return issue(ctx, `missing`);
  const p = durationProblem(v, `is not a TTL of at least 1ms`, 1000);
  if (p) issue(ctx, p);
});
const ttlFields = {
  ttl: ttlField,
  jitter: leaf<Scalar>((v, ctx) => {
    const f = parseFraction(v);
    if (f === null || f < 0 || f >= 1) issue(ctx, `${show(v)} is not a jitter fraction in [0, 1) (e.g. 10%)`);
  }).optional(),
  min: ttlField,
  max: ttlField,
};

export const ttlDist = z
  .discriminatedUnion(
    "dist",
    [
      z.object({ dist: z.literal("fixed").nullish(), ...pick(ttlFields, TTL_DISTS.fixed) }).strict(),
      z.object({ dist: z.literal("uniform"), ...pick(ttlFields, TTL_DISTS.uniform) }).strict(),
    ],
    { errorMap: unknownVariant("dist", Object.keys(TTL_DISTS)) },
  )
  .superRefine((v, ctx) => {
    if (v.dist !== "uniform") return;
    const lo = parseDuration(v.min), hi = parseDuration(v.max);
    if (lo !== null && hi !== null && lo > hi) issue(ctx, `min is above max`, ["min"]);
  });

/** ttl: none | 0 | 1h | {dist: fixed, ttl, jitter?} | {dist: uniform, min, max} */
export const ttlSpec = variantSetting({
  key: "dist",
  fallback: "fixed",
  shorthand: {
    is: (v) => v === null || typeof v === "number" || typeof v === "string",
    schema: leaf<"none" | Scalar | null>((v, ctx) => {
      if (v === "none" || v === 0 || v === null) return;
      const us = parseDuration(v);
      if (tooLong(v)) issue(ctx, tooLong(v)!);
      else if (us === null || us < 0) issue(ctx, `${show(v)} is not a TTL (none, or a duration: 30s, 10m, 1h)`);
      else if (us > 0 && us < 1000) issue(ctx, `${show(v)} is below Redis's 1 ms TTL resolution`);
    }),
  },
  variants: ttlDist,
  keys: keysOf(TTL_DISTS),
  notObject: (v) => `${show(v)} is not a TTL`,
});
export type TtlSpec = z.output<typeof ttlSpec>;

// -- popularity

const popFraction = (hotSet: boolean) =>
  leaf<Scalar>((v, ctx) => {
    if (v === undefined) return hotSet ? issue(ctx, `missing (hot-set needs keys and share)`) : undefined;
    const f = parseFraction(v);
    if (f === null || f < 0 || f > 1) issue(ctx, `${show(v)} is not a fraction from 0 to 1 (or 0%–100%)`);
  });
/** popularity's fields, in the order their messages come (each is checked wherever it is written). */
const popFields = {
  alpha: leaf<number>((v, ctx) => {
    if (v !== undefined && !(typeof v === "number" && v >= 0 && v <= 10)) issue(ctx, `${show(v)} must be a number from 0 to 10`);
  }).optional(),
  keys: popFraction(false).optional(),
  share: popFraction(false).optional(),
  offset: popFraction(false).optional(),
};
const hotSetFields = { keys: popFraction(true), share: popFraction(true) };
const popCommon = pick(popFields, POPULARITY_COMMON);

export const popularityDist = z.discriminatedUnion(
  "dist",
  [
    z.object({ dist: z.literal("uniform"), ...pick(popFields, POPULARITY_DISTS.uniform), ...popCommon }).strict(),
    z.object({ dist: z.literal("zipf"), ...pick(popFields, POPULARITY_DISTS.zipf), ...popCommon }).strict(),
    z.object({ dist: z.literal("hot-set"), ...pick(hotSetFields, POPULARITY_DISTS["hot-set"]), ...popCommon }).strict(),
  ],
  { errorMap: unknownVariant("dist", POPULARITIES) },
);

/** popularity: uniform | zipf | {dist: uniform|zipf|hot-set, alpha?, keys?, share?, offset?} */
export const popularity = variantSetting({
  key: "dist",
  shorthand: { is: (v) => v === "uniform" || v === "zipf", schema: z.enum(["uniform", "zipf"]) },
  variants: popularityDist,
  keys: keysOf(POPULARITY_DISTS, POPULARITY_COMMON),
  notObject: (v) => `${show(v)} is not a popularity: uniform, zipf, or {dist: zipf, alpha: 1.0} / {dist: hot-set, keys: 10%, share: 90%}`,
  anywhere: popFields,
});
export type PopularitySpec = z.output<typeof popularity>;

// -- query and fsync times

const DURATION_ABOVE_0 = `is not a duration above 0 (e.g. 5ms)`;
const timeField = (dist: keyof typeof TIME_DISTS) =>
  leaf<Scalar>((v, ctx) => {
    if (v === undefined) return issue(ctx, `missing (dist ${dist} needs ${(TIME_DISTS[dist] as readonly string[]).filter((x) => x !== "weights").join(" and ")})`);
    const p = durationProblem(v, DURATION_ABOVE_0, 0, true);
    if (p) issue(ctx, p);
  });
const timeList = leaf<Scalar[]>((v, ctx) => {
  if (!Array.isArray(v) || v.length === 0) return issue(ctx, `must be a non-empty list of durations`);
  v.forEach((x: unknown, i: number) => {
    const p = durationProblem(x, `is not a duration above 0`, 0, true);
    if (p) issue(ctx, p, [i]);
  });
});
const timeFields = (dist: keyof typeof TIME_DISTS) => ({ time: timeField(dist), p50: timeField(dist), p99: timeField(dist), mean: timeField(dist), values: timeList, weights: weightList.optional() });

export const serviceDist = z
  .discriminatedUnion(
    "dist",
    [
      z.object({ dist: z.literal("fixed").nullish(), ...pick(timeFields("fixed"), TIME_DISTS.fixed) }).strict(),
      z.object({ dist: z.literal("lognormal"), ...pick(timeFields("lognormal"), TIME_DISTS.lognormal) }).strict(),
      z.object({ dist: z.literal("exponential"), ...pick(timeFields("exponential"), TIME_DISTS.exponential) }).strict(),
      z.object({ dist: z.literal("empirical"), ...pick(timeFields("empirical"), TIME_DISTS.empirical) }).strict(),
    ],
    { errorMap: unknownVariant("dist", Object.keys(TIME_DISTS)) },
  )
  .superRefine((v, ctx) => {
    if (v.dist === "lognormal") {
      const a = parseDuration(v.p50), b = parseDuration(v.p99);
      if (a !== null && b !== null && b < a) issue(ctx, `p99 ${show(v.p99)} is below p50 ${show(v.p50)}`, ["p99"]);
    }
    if (v.dist === "empirical" && Array.isArray(v.values) && v.values.length > 0 && v.weights !== undefined) {
      const w: unknown = v.weights;
      if (!Array.isArray(w) || w.length !== v.values.length || !w.every((x: unknown) => typeof x === "number" && x >= 0) || !(w.reduce((a: number, x: number) => a + x, 0) > 0))
        issue(ctx, `must be a list of ${v.values.length} non-negative numbers (one per value, not all 0)`, ["weights"]);
    }
  });

/** A duration distribution for query times: 40ms | {dist: fixed, time} | {dist: lognormal, p50, p99} | {dist: exponential, mean} | {dist: empirical, values, weights?} */
export const timeDist = variantSetting({
  key: "dist",
  fallback: "fixed",
  shorthand: {
    is: (v) => typeof v === "number" || typeof v === "string",
    schema: leaf<Scalar>((v, ctx) => {
      const p = durationProblem(v, `is not a time (a duration such as 40ms, or {dist: lognormal, p50: 1ms, p99: 5ms})`, 0, true);
      if (p) issue(ctx, p);
    }),
  },
  variants: serviceDist,
  keys: keysOf(TIME_DISTS),
  notObject: (v) => `${show(v)} is not a time: give a duration (40ms) or {dist: ${Object.keys(TIME_DISTS).join("|")}, …}`,
});
export type TimeSpec = z.output<typeof timeDist>;

// -- mitigation

const mitDuration = leaf<Scalar>((v, ctx) => {
  const p = durationProblem(v, `is not a duration of at least 1ms`, 1000);
  if (p) issue(ctx, p);
}).optional();
/** The mitigations' parameters, in the order their messages come (each is checked wherever it is written). */
const mitFields = {
  "lock-ttl": mitDuration,
  poll: mitDuration,
  stale: mitDuration,
  "holder-failure": leaf<Scalar>((v, ctx) => {
    const f = parseFraction(v);
    if (f === null || f < 0 || f > 1) issue(ctx, `${show(v)} is not a probability from 0 to 1 (or 0%–100%)`);
  }).optional(),
  jitter: leaf<Scalar>((v, ctx) => {
    const f = parseFraction(v);
    if (f === null || f <= 0 || f >= 1) issue(ctx, `${show(v)} is not a jitter fraction above 0 and below 1 (e.g. 10%)`);
  }).optional(),
  beta: leaf<number>((v, ctx) => {
    if (!(typeof v === "number" && v > 0 && v <= 100)) issue(ctx, `${show(v)} must be a number above 0 (${MITIGATION_DEFAULTS.beta} is the paper's default)`);
  }).optional(),
  refresh: leaf<(typeof SWR_REFRESH)[number]>((v, ctx) => {
    if (!(SWR_REFRESH as readonly unknown[]).includes(v)) issue(ctx, `${show(v)} is not one of ${SWR_REFRESH.join(", ")}`);
  }).optional(),
};

export const mitigationParams = z.discriminatedUnion(
  "kind",
  [
    z.object({ kind: z.literal("none"), ...pick(mitFields, MITIGATION_PARAMS.none) }).strict(),
    z.object({ kind: z.literal("lock"), ...pick(mitFields, MITIGATION_PARAMS.lock) }).strict(),
    z.object({ kind: z.literal("xfetch"), ...pick(mitFields, MITIGATION_PARAMS.xfetch) }).strict(),
    z.object({ kind: z.literal("ttl-jitter"), ...pick(mitFields, MITIGATION_PARAMS["ttl-jitter"]) }).strict(),
    z.object({ kind: z.literal("stale-while-revalidate"), ...pick(mitFields, MITIGATION_PARAMS["stale-while-revalidate"]) }).strict(),
  ],
  { errorMap: unknownVariant("kind", MITIGATIONS, `missing: one of ${MITIGATIONS.join(", ")}`) },
);

/**
 * mitigation: none | lock | xfetch | ttl-jitter | stale-while-revalidate, or {kind: …, parameters}.
 * lock: lock-ttl, poll, holder-failure; xfetch: beta; ttl-jitter: jitter; stale-while-revalidate: stale, refresh.
 */
export const mitigation = variantSetting({
  key: "kind",
  shorthand: { is: (v) => typeof v === "string", schema: oneOf(MITIGATIONS) },
  variants: mitigationParams,
  keys: keysOf(MITIGATION_PARAMS),
  notObject: (v) => `${show(v)} is not a mitigation: one of ${MITIGATIONS.join(", ")}, or {kind: xfetch, beta: 1}`,
  anywhere: mitFields,
});
export type MitigationSpec = z.output<typeof mitigation>;
/** A mitigation with every parameter any kind takes (absent where its kind takes none), as compile.ts reads it. */
export type MitigationParams = { kind: (typeof MITIGATIONS)[number] } & { [K in keyof typeof mitFields]?: z.output<(typeof mitFields)[K]> };

const opsMix = z
  .object({ get: fraction(), set: fraction(), del: fraction() })
  .partial()
  .strict();

/**
 * A class's hash tag (cluster/slots.ts): `none` (names `<prefix>:<index>`), `{keys-per-tag: N}` (names
 * `{<prefix>:<group>}:<index>`, N consecutive keys share a tag and so a slot: a user's keys together),
 * or a string (names `{<tag>}:<prefix>:<index>`: every key of the class in one slot).
 */
const hashTag = z.union([
  z.literal("none"),
  z.object({ "keys-per-tag": int(1, MAX_KEYS) }).strict(),
  z.string().min(1).max(200).regex(/^[^{}]+$/, "cannot contain { or }: give the tag without braces (evictsim adds them)"),
], { errorMap: (_i, ctx) => ({ message: `${show(ctx.data)} is not a hash tag: none, {keys-per-tag: N}, or a tag string without braces` }) });

const keyClass = z
  .object({
    name: z.string().max(100, "must be at most 100 characters").regex(/^[A-Za-z0-9_.-]+$/, "must be letters, digits, '_', '-' or '.'"),
    keys: z.union([int(1, MAX_KEYS), z.literal("unbounded")], {
      errorMap: (_iss, ctx) => ({
        message:
          ctx.data === undefined
            ? `missing: a whole number of keys from 1 to ${MAX_KEYS}, or "unbounded"`
            : `${show(ctx.data)} is not a whole number of keys from 1 to ${MAX_KEYS}, or "unbounded"`,
      }),
    }),
    share: z.number().min(0, "must be 0 or more").finite("must be finite").default(1),
    db: int(0, MAX_DATABASES - 1).default(0),
    "key-prefix": z.string().max(1000, "must be at most 1000 characters").optional(),
    "value-size": valueSize.default(100),
    ttl: ttlSpec.default("none"),
    popularity: popularity.default("uniform"),
    mode: oneOf(MODES).optional(),
    ops: opsMix.optional(),
    "new-keys": fraction().optional(),
    mitigation: mitigation.optional(),
    "query-time": timeDist.optional(),
    "hash-tag": hashTag.optional(),
  })
  .strict();

const phaseClass = z
  .object({
    share: z.number().min(0, "must be 0 or more").finite("must be finite").optional(),
    "value-size": valueSize.optional(),
    ttl: ttlSpec.optional(),
    popularity: popularity.optional(),
    "new-keys": fraction().optional(),
  })
  .strict();

const phase = z
  .object({
    name: z.string().optional(),
    duration: duration(),
    rate: z.number().min(0, "must be 0 or more").finite("must be finite").optional(),
    classes: z.record(phaseClass).optional(),
  })
  .strict();

/** yes | no, as redis.conf writes booleans (YAML true/false accepted too). */
const yesno = (def: "yes" | "no") =>
  z
    .union([z.boolean(), z.string()])
    .superRefine((v, ctx) => {
      if (typeof v === "string" && v !== "yes" && v !== "no") issue(ctx, `${show(v)} is not one of yes, no`);
    })
    .default(def);

/** client-output-buffer-limit's "<hard> <soft> <soft seconds>", as redis.conf writes it (0 = no limit). */
const bufferLimit = z.string({ invalid_type_error: 'must be "<hard limit> <soft limit> <soft seconds>", e.g. "256mb 64mb 60"' }).superRefine((v, ctx) => {
  const parts = v.trim().split(/\s+/);
  if (parts.length !== 3 || memoryValue(parts[0]) === null || memoryValue(parts[1]) === null || !/^\d+$/.test(parts[2]))
    issue(ctx, `${show(v)} is not "<hard limit> <soft limit> <soft seconds>" (e.g. "256mb 64mb 60")`);
});

/** save: "<seconds> <changes> …" as in redis.conf; "" disables snapshots. */
const savePoints = z.string({ invalid_type_error: 'must be a string of "<seconds> <changes>" pairs, e.g. "3600 1 300 100 60 10000", or ""' }).superRefine((v, ctx) => {
  const problem = savePointsProblem(v);
  if (problem) issue(ctx, problem);
});

export const FORK_PRESETS: Record<string, number> = {
  // ms of fork() per GB of memory (latency.md "Fork time in different systems")
  "bare-metal": 10,
  vmware: 12.8,
  kvm: 23.3,
  "ec2-hvm": 10,
  "xen-pv": 239.3,
  "linode-xen": 424,
};

/** The sequential write speed (bytes per second) of a disk given as {fsync} without write-speed. */
export const DISK_WRITE_SPEED_DEFAULT = 200_000_000;

export const DISK_PRESETS: Record<string, { p50: string; p99: string; write: string }> = {
  // fsync p50/p99 and sequential write (docs/persistence-model.md §C presets; p99s are assumptions)
  hdd: { p50: "10ms", p99: "50ms", write: "150mb" },
  ssd: { p50: "1.5ms", p99: "10ms", write: "500mb" },
  nvme: { p50: "50us", p99: "500us", write: "2gb" },
  "ebs-gp3": { p50: "1.5ms", p99: "10ms", write: "125mb" },
};

export const redisSection = z
  .object({
    /** A redis.conf whose modelled directives fill the fields not written here (parse.ts applyConf). */
    conf: z.string().optional(),
    // the model's own settings: bounds from redis/config.ts's INT_CONFIGS, defaults DEFAULT_REDIS_CONFIG's
    maxmemory: memory().default(DEFAULT_REDIS_CONFIG.maxmemory),
    "maxmemory-policy": oneOf(POLICY_NAMES as [string, ...string[]]).default(DEFAULT_REDIS_CONFIG.maxmemoryPolicy),
    "maxmemory-samples": intConfig("maxmemory-samples").default(DEFAULT_REDIS_CONFIG.maxmemorySamples),
    "maxmemory-eviction-tenacity": intConfig("maxmemory-eviction-tenacity").default(DEFAULT_REDIS_CONFIG.maxmemoryEvictionTenacity),
    hz: intConfig("hz").default(DEFAULT_REDIS_CONFIG.hz),
    "lfu-log-factor": intConfig("lfu-log-factor").default(DEFAULT_REDIS_CONFIG.lfuLogFactor),
    "lfu-decay-time": intConfig("lfu-decay-time").default(DEFAULT_REDIS_CONFIG.lfuDecayTime),
    "active-expire-effort": intConfig("active-expire-effort").default(DEFAULT_REDIS_CONFIG.activeExpireEffort),
    databases: intConfig("databases").default(DEFAULT_REDIS_CONFIG.databases),
    allocator: oneOf(ALLOCATORS).default(DEFAULT_REDIS_CONFIG.allocator),
    clients: intConfig("clients").default(DEFAULT_REDIS_CONFIG.clients),
    "memory-accounting": oneOf(ACCOUNTING).default(DEFAULT_REDIS_CONFIG.memoryAccounting),
    // persistence (redis/persistence/config.ts)
    save: savePoints.default(""),
    "stop-writes-on-bgsave-error": yesno("yes"),
    appendonly: yesno("no"),
    appendfsync: oneOf(APPENDFSYNC).default(APPENDFSYNC_DEFAULT),
    "no-appendfsync-on-rewrite": yesno("no"),
    "auto-aof-rewrite-percentage": int(0).default(100),
    "auto-aof-rewrite-min-size": memory().default("64mb"),
    // replication and cluster (redis/config.ts ReplicationConfig; redis.conf's spellings)
    "repl-backlog-size": memory(16 * 1024).default("1mb"),
    "client-output-buffer-limit": z.object({ replica: bufferLimit.default("256mb 64mb 60") }).strict().default({}),
    "min-replicas-to-write": int(0, INT_MAX).default(0),
    "min-replicas-max-lag": int(0, INT_MAX).default(10),
    "cluster-node-timeout": int(1, INT_MAX).default(15_000),
    "repl-diskless-sync": yesno("yes"),
    "repl-diskless-sync-delay": int(0, INT_MAX).default(5),
  })
  .strict();

/** The cost model of persistence (not redis.conf: the machine Redis runs on). */
export const persistenceSection = z
  .object({
    fork: z
      .union([z.number(), z.string()])
      .superRefine((v, ctx) => {
        if (typeof v === "number") {
          if (!(v >= 0 && Number.isFinite(v))) issue(ctx, `${show(v)} must be 0 or more (ms of fork per GB)`);
        } else if (!Object.hasOwn(FORK_PRESETS, v)) issue(ctx, `${show(v)} is not one of ${Object.keys(FORK_PRESETS).join(", ")}, or a number of ms per GB`);
      })
      .default("bare-metal"),
    "transparent-huge-pages": yesno("no"),
    "save-speed": memory(1).default("250mb"),
    disk: z
      // a preset's name or {fsync, write-speed?}, checked below (fsync by timeDist)
      .custom<string | { fsync: TimeSpec; "write-speed"?: Scalar }>()
      .superRefine((v, ctx) => {
        if (typeof v === "string") {
          if (!Object.hasOwn(DISK_PRESETS, v)) issue(ctx, `${show(v)} is not one of ${Object.keys(DISK_PRESETS).join(", ")}, or {fsync: <query-time-like distribution>, write-speed: 200mb}`);
          return;
        }
        if (typeof v !== "object" || v === null || Array.isArray(v)) return issue(ctx, `${show(v)} is not a disk: one of ${Object.keys(DISK_PRESETS).join(", ")}, or {fsync, write-speed}`);
        for (const k of Object.keys(v)) if (k !== "fsync" && k !== "write-speed") issue(ctx, `unknown key; allowed: fsync, write-speed`, [k]);
        if (v.fsync === undefined) issue(ctx, `missing: the fsync time (e.g. {dist: lognormal, p50: 2ms, p99: 20ms})`, ["fsync"]);
        else {
          const r = timeDist.safeParse(v.fsync);
          if (!r.success) for (const i of r.error.issues) issue(ctx, i.message, ["fsync", ...i.path]);
        }
        if (v["write-speed"] !== undefined) {
          const b = parseMemory(v["write-speed"]);
          if (b === null || b < 1) issue(ctx, `${show(v["write-speed"])} is not a speed in bytes per second (e.g. 200mb)`, ["write-speed"]);
        }
      })
      .default("ssd"),
  })
  .strict();

/** The persistence cost model a scenario without a persistence section runs with. */
export const PERSISTENCE_DEFAULTS = persistenceSection.parse({});

/** The host Redis runs on. */
export const hostSection = z
  .object({
    memory: memory().default(0),
    "fragmentation-ratio": z.number().min(1, "must be at least 1 (used_memory_rss / used_memory)").max(10, "must be at most 10").default(1),
  })
  .strict();

const retry = z
  .object({
    max: int(0, 100).default(0),
    base: duration().default("50ms"),
    cap: duration().default("1s"),
    jitter: oneOf(RETRY_JITTER).default("full"),
  })
  .strict();

export const HOST_DEFAULTS = hostSection.parse({});

/** The cache-aside clients (application instances). */
export const appSection = z
  .object({
    instances: int(1, 100_000).default(1),
    "redis-rtt": duration(false).default("200us"),
    "redis-command-time": duration(false).default("8us"),
    retry: retry.default({}),
  })
  .strict();

/** The clients a scenario with a database section but no app section has. */
export const APP_DEFAULTS = appSection.parse({});

/** The backing database: a queue with a connection pool (docs/persistence-model.md §E). */
export const databaseSection = z
  .object({
    pool: int(1, 1_000_000).default(10),
    "max-connections": int(1, 1_000_000).default(100),
    rtt: duration(false).default("500us"),
    "query-time": timeDist.default({ dist: "lognormal", p50: "1ms", p99: "5ms" }),
    "query-timeout": z.union([z.literal("none"), duration()]).default("none"),
    "pool-timeout": z.union([z.literal("none"), duration()]).default("30s"),
    "cancel-on-timeout": z.boolean({ invalid_type_error: "must be true or false" }).default(false),
  })
  .strict();

/**
 * Hash slots as redis-cli and CLUSTER ADDSLOTSRANGE write them: "0-5460", "0-100,200,300-400", a single
 * slot number, or a list of those.
 */
export const slotRanges = leaf<string | number | (string | number)[]>((v, ctx) => {
  if (parseSlotRanges(v) === null)
    issue(ctx, `${show(v)} is not a list of hash slots 0–${CLUSTER_SLOTS - 1} (e.g. "0-5460" or "0-100,200" or [0, "10-20"])`);
});

/** The slots of a slotRanges value, ascending and distinct, or null when it is not one. */
export function parseSlotRanges(v: unknown): number[] | null {
  const items = Array.isArray(v) ? v : [v];
  const out = new Set<number>();
  for (const item of items) {
    const parts = typeof item === "number" ? [String(item)] : typeof item === "string" ? item.split(",") : null;
    if (parts === null) return null;
    for (const part of parts) {
      const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
      if (!m) return null;
      const a = Number(m[1]), b = m[2] === undefined ? a : Number(m[2]);
      if (a > b || b >= CLUSTER_SLOTS) return null;
      for (let x = a; x <= b; x++) out.add(x);
    }
  }
  return out.size > 0 ? [...out].sort((a, b) => a - b) : null;
}

/** One master's override of the `redis:` section (cluster.nodes). */
const nodeOverride = z.lazy(() => redisSection.omit({ conf: true }).partial().extend({ node: int(0, MAX_MASTERS - 1) }).strict());

/** A Redis Cluster: masters (each a full server), replicas, the slot map and per-node overrides. */
export const clusterSection = z
  .object({
    masters: int(1, MAX_MASTERS),
    "replicas-per-master": int(0, MAX_REPLICAS).default(0),
    /** `even` (as redis-cli --cluster create splits them) or [{node, ranges}] covering every slot once. */
    slots: z.union([z.literal("even"), z.array(z.object({ node: int(0, MAX_MASTERS - 1), ranges: slotRanges }).strict())], {
      errorMap: (_i, ctx) => ({ message: `${show(ctx.data)} is not even or a list of {node, ranges}` }),
    }).default("even"),
    nodes: z.array(nodeOverride).optional(),
    /** The delay from a write on a master to its replicas (asynchronous replication). */
    "replication-lag": timeDist.default("1ms"),
    /** sim plan --cluster: the most commands per second one node serves. */
    "node-max-ops": z.number().positive("must be greater than 0").finite("must be finite").default(100_000),
  })
  .strict();

/** A scheduled event: {at: 10m, action: flushall | restart | prewarm, …}. */
const event = z
  .object({
    at: duration(false),
    action: oneOf(EVENT_ACTIONS),
    downtime: duration(false).optional(),
    keys: fraction().optional(),
    kind: oneOf(CRASH_KINDS).optional(),
    // cluster events (reshard, add-node, remove-node, failover, replica-resync)
    node: int(0, MAX_MASTERS).optional(),
    to: int(0, MAX_MASTERS).optional(),
    /** reshard: how many slots (a number), or which (ranges: "0-99,200"). */
    slots: leaf<string | number | (string | number)[]>((v, ctx) => {
      if (typeof v === "number") {
        if (!Number.isInteger(v) || v < 1 || v > CLUSTER_SLOTS) issue(ctx, `${show(v)} is not a number of slots from 1 to ${CLUSTER_SLOTS} (or give ranges: "0-99,200")`);
      } else if (parseSlotRanges(v) === null) issue(ctx, `${show(v)} is not a number of slots or a list of hash slots 0–${CLUSTER_SLOTS - 1} (e.g. 1000, or "0-99,200")`);
    }).optional(),
    rate: z.number().positive("must be greater than 0").finite("must be finite").optional(),
    rebalance: yesno("yes").optional(),
  })
  .strict();

const workload = z
  .object({
    rate: z.number().positive("must be greater than 0").finite("must be finite").optional(),
    arrivals: oneOf(ARRIVALS).default("poisson"),
    mode: oneOf(MODES).default("cache-aside"),
    ops: opsMix.default({ get: 0.9, set: 0.1, del: 0 }),
    classes: z.array(keyClass).min(1, "needs at least one key class").optional(),
    phases: z.array(phase).min(1).optional(),
    trace: traceSpec.optional(),
    sampling: fraction().default(1),
  })
  .strict();

const scenarioBase = z
  .object({
    /** Names the result directory results/<name>/: one path component. */
    name: z
      .string()
      .max(200, "must be at most 200 characters (it names the result directory)")
      .superRefine((v, ctx) => {
        if (v.trim() === "" || v === "." || v === ".." || /[/\\\u0000-\u001f\u007f]/.test(v))
          issue(ctx, `${show(v)} cannot name a directory: give a name without /, \\ or control characters (it names results/<name>/)`);
      })
      .optional(),
    description: z.string().optional(),
    seed: int(0, 2 ** 32 - 1).default(1),
    duration: duration().optional(),
    redis: redisSection.default({}),
    persistence: persistenceSection.optional(),
    host: hostSection.optional(),
    app: appSection.optional(),
    database: databaseSection.optional(),
    events: z.array(event).optional(),
    cluster: clusterSection.optional(),
    workload,
    output: z
      .object({
        interval: duration().default("1s"),
        // the end of the warm-up: `auto` finds it from the run's series (MSER-5, metrics/steady.ts)
        warmup: z.union([z.literal("auto"), duration(false)]).default("auto"),
      })
      .strict()
      .default({}),
    // independent seeds to run (sim run): steady figures with intervals across them
    replications: int(1, 1000).default(1),
    /** `sim sweep`: scenario paths (as for --set) and the values to run each at; the product is run. */
    sweep: z
      .record(
        z
          .array(z.union([z.string(), z.number(), z.boolean()]), { invalid_type_error: "must be a list of values, e.g. [16mb, 32mb, 64mb]" })
          .min(1, "needs at least one value"),
      )
      .superRefine((v, ctx) => {
        if (Object.keys(v).length === 0) issue(ctx, `names no key: give e.g. redis.maxmemory: [16mb, 32mb]`);
        for (const k of Object.keys(v)) {
          if (k.startsWith("sweep")) issue(ctx, `a sweep cannot sweep itself`, [k]);
          else if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(k) || k.length > 200)
            issue(ctx, `${show(k)} is not a scenario path (as for --set: redis.maxmemory, workload.classes.0.keys)`, [k]);
        }
        const points = Object.values(v).reduce((n, l) => n * (Array.isArray(l) ? l.length : 1), 1);
        if (points > MAX_SWEEP_POINTS)
          issue(ctx, `the sweep has ${points < 1e15 ? points : points.toPrecision(2)} points (the product of the lists' lengths); at most ${MAX_SWEEP_POINTS}: sweep fewer values, or split it into several scenarios`);
      })
      .optional(),
  })
  .strict();

export const scenarioSchema = scenarioBase.superRefine((sc, ctx) => {
    const w = sc.workload;
    if (w.trace && w.classes) issue(ctx, `give either classes or trace, not both`, ["workload", "trace"]);
    if (parseFraction(w.sampling) === 0) issue(ctx, `0 keeps no key: give a sampling rate above 0 (e.g. 10%)`, ["workload", "sampling"]);
    if (!w.trace && !w.classes) issue(ctx, `missing: a generated workload needs classes (or give a trace)`, ["workload", "classes"]);
    if (w.trace && w.phases) issue(ctx, `phases apply to generated workloads, not to a trace`, ["workload", "phases"]);
    if (!w.trace) {
      if (w.rate === undefined && (!w.phases || w.phases.some((p) => p.rate === undefined)))
        issue(ctx, `missing: requests per second for the generated workload`, ["workload", "rate"]);
      if (sc.duration === undefined && !w.phases) issue(ctx, `missing: how long to simulate (e.g. 10m)`, ["duration"]);
    }
    const names = new Set<string>();
    const bounded = (w.classes ?? []).reduce((a, c) => a + (c.keys === "unbounded" ? 0 : c.keys), 0);
    if (bounded > MAX_KEYS && (w.classes ?? []).every((c) => c.keys === "unbounded" || c.keys <= MAX_KEYS)) issue(ctx, `the classes have ${bounded} keys together; at most ${MAX_KEYS}`, ["workload", "classes"]);
    (w.classes ?? []).forEach((c, i) => {
      if (names.has(c.name)) issue(ctx, `${show(c.name)} is used by two classes`, ["workload", "classes", i, "name"]);
      names.add(c.name);
      if (c.db >= sc.redis.databases) issue(ctx, `${c.db} is not below databases (${sc.redis.databases})`, ["workload", "classes", i, "db"]);
      if (c["new-keys"] !== undefined && c.keys !== "unbounded") issue(ctx, `only unbounded classes create new keys`, ["workload", "classes", i, "new-keys"]);
    });
    (w.classes ?? []).forEach((c, i) => {
      for (const k of ["mitigation", "query-time"] as const)
        if (c[k] !== undefined && !sc.database) issue(ctx, `needs a database section (the modelled database that cache-aside misses query)`, ["workload", "classes", i, k]);
      if (c.mitigation !== undefined && (c.mode ?? w.mode) === "explicit") issue(ctx, `applies to cache-aside classes, not explicit ones`, ["workload", "classes", i, "mitigation"]);
      const kind = typeof c.mitigation === "string" ? c.mitigation : c.mitigation?.kind;
      if ((kind === "xfetch" || kind === "ttl-jitter" || kind === "stale-while-revalidate") && (c.ttl === "none" || c.ttl === 0 || c.ttl === null))
        issue(ctx, `${kind} needs the class to have a ttl`, ["workload", "classes", i, "mitigation"]);
    });
    if (sc.app && !sc.database) issue(ctx, `needs a database section: the app settings model cache-aside clients in front of a database`, ["app"]);
    if (sc.database && w.trace) issue(ctx, `the database model applies to generated cache-aside workloads, not to trace replay`, ["database"]);
    (sc.events ?? []).forEach((e, i) => {
      if (e.action !== "restart" && e.action !== "crash" && e.downtime !== undefined) issue(ctx, `only restart and crash have a downtime`, ["events", i, "downtime"]);
      if (e.action !== "restart" && e.action !== "crash" && e.action !== "prewarm" && e.keys !== undefined) issue(ctx, `${e.action} takes no keys (prewarm, restart and crash do)`, ["events", i, "keys"]);
      if (e.action !== "crash" && e.kind !== undefined) issue(ctx, `only crash has a kind`, ["events", i, "kind"]);
      if ((e.action === "prewarm" || e.keys !== undefined) && w.trace) issue(ctx, `prewarm needs a generated workload (it loads each class's hottest keys)`, ["events", i, "action"]);
      if (e.action === "prewarm" && e.keys === undefined) issue(ctx, `missing: the fraction of each class's hottest keys to load (e.g. 20%)`, ["events", i, "keys"]);
      if (sc.duration !== undefined && (parseDuration(e.at) ?? 0) >= (parseDuration(sc.duration) ?? Infinity)) issue(ctx, `${show(e.at)} is not before the end of the run (${show(sc.duration)})`, ["events", i, "at"]);
    });
    if (sc.cluster) clusterChecks(sc, ctx);
    else
      (sc.events ?? []).forEach((e, i) => {
        if (CLUSTER_EVENTS.includes(e.action)) issue(ctx, `${e.action} needs a cluster section (cluster: {masters: 3})`, ["events", i, "action"]);
      });
    (sc.events ?? []).forEach((e, i) => {
      const takes = CLUSTER_EVENT_FIELDS[e.action];
      for (const k of ["node", "to", "slots", "rate", "rebalance"] as const)
        if (e[k] !== undefined && !(takes ?? []).includes(k)) issue(ctx, `${e.action} takes no ${k}${takes ? ` (it takes ${takes.join(", ")})` : ""}`, ["events", i, k]);
    });
    if (w.classes && w.classes.every((c) => c.share === 0) && !w.phases) issue(ctx, `every class has share 0: no traffic`, ["workload", "classes"]);
    (w.phases ?? []).forEach((p, i) => {
      for (const name of Object.keys(p.classes ?? {}))
        if (!names.has(name)) issue(ctx, `${show(name)} is not a class name; classes: ${[...names].join(", ")}`, ["workload", "phases", i, "classes", name]);
    });
  });

/** The events of a cluster, and the fields each takes. */
const CLUSTER_EVENT_FIELDS: Partial<Record<string, readonly string[]>> = {
  reshard: ["node", "to", "slots", "rate"],
  "add-node": ["rebalance", "rate"],
  "remove-node": ["node", "rate"],
  failover: ["node"],
  "replica-resync": ["node"],
};
const CLUSTER_EVENTS: readonly string[] = Object.keys(CLUSTER_EVENT_FIELDS);

/** The checks of a scenario with a cluster section. */
function clusterChecks(sc: z.output<typeof scenarioBase>, ctx: Ctx): void {
  const c = sc.cluster!;
  const n = c.masters;
  (sc.workload.classes ?? []).forEach((k, i) => {
    if (k.db !== 0) issue(ctx, `${k.db}: a cluster has DB 0 only (Redis Cluster refuses SELECT)`, ["workload", "classes", i, "db"]);
  });
  if (sc.database) issue(ctx, `cache-aside clients and a database in front of a cluster are not modelled yet; drop database (cache-aside classes then GET and SET on a miss themselves)`, ["database"]);
  if (sc.persistence || sc.host) issue(ctx, `persistence costs on a cluster's nodes are not modelled yet`, [sc.persistence ? "persistence" : "host"]);
  if (c.slots !== "even") {
    const owner = new Int32Array(CLUSTER_SLOTS).fill(-1);
    c.slots.forEach((a, i) => {
      if (a.node >= n) issue(ctx, `${a.node} is not a master (masters: ${n}, numbered 0–${n - 1})`, ["cluster", "slots", i, "node"]);
      for (const slot of parseSlotRanges(a.ranges) ?? []) {
        if (owner[slot] >= 0 && owner[slot] !== i) issue(ctx, `slot ${slot} is given twice (also in entry ${owner[slot]})`, ["cluster", "slots", i, "ranges"]);
        owner[slot] = i;
      }
    });
    const missing = owner.indexOf(-1);
    if (missing >= 0) issue(ctx, `slot ${missing} is served by no master: every slot 0–${CLUSTER_SLOTS - 1} needs one (as redis-cli --cluster check wants)`, ["cluster", "slots"]);
  }
  const seen = new Set<number>();
  (c.nodes ?? []).forEach((o, i) => {
    if (o.node >= n) issue(ctx, `${o.node} is not a master (masters: ${n}, numbered 0–${n - 1})`, ["cluster", "nodes", i, "node"]);
    if (seen.has(o.node)) issue(ctx, `node ${o.node} has two overrides`, ["cluster", "nodes", i, "node"]);
    seen.add(o.node);
    if (o.databases !== undefined) issue(ctx, `a cluster node has DB 0 only`, ["cluster", "nodes", i, "databases"]);
  });
  // the masters an event may name: those of the scenario, and those add-node adds before it
  let masters = n;
  [...(sc.events ?? [])]
    .map((e, i) => [e, i] as const)
    .sort(([a], [b]) => (parseDuration(a.at) ?? 0) - (parseDuration(b.at) ?? 0))
    .forEach(([e, i]) => {
      const at = ["events", i];
      const need = (k: "node" | "to") => {
        if (e[k] === undefined) issue(ctx, `missing: the master ${k === "node" ? (e.action === "reshard" ? "the slots move from" : "it acts on") : "the slots move to"} (0–${masters - 1})`, [...at, k]);
        else if (e[k]! >= masters) issue(ctx, `${e[k]} is not a master at ${show(e.at)} (masters then: ${masters}, numbered 0–${masters - 1})`, [...at, k]);
      };
      if (e.action === "reshard") {
        need("node");
        need("to");
        if (e.node !== undefined && e.node === e.to) issue(ctx, `the slots would move from node ${e.node} to itself`, [...at, "to"]);
        if (e.slots === undefined) issue(ctx, `missing: how many slots to move (e.g. 1000) or which ("0-999")`, [...at, "slots"]);
      } else if (e.action === "add-node") masters++;
      else if (e.action === "remove-node") {
        need("node");
        if (masters === 1) issue(ctx, `the cluster's only master cannot be removed`, at);
        masters--;
      } else if (e.action === "failover" || e.action === "replica-resync") {
        need("node");
        if (c["replicas-per-master"] === 0) issue(ctx, `${e.action} needs replicas (cluster.replicas-per-master is 0)`, [...at, "action"]);
      }
    });
}

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type KeyClassSpec = z.output<typeof keyClass>;
export type PhaseSpec = z.output<typeof phase>;

/** Every key name the schema knows, for "did you mean" suggestions. */
export function knownKeys(): string[] {
  const out = new Set<string>();
  const walk = (s: z.ZodTypeAny): void => {
    const d = s._def;
    if (s instanceof z.ZodObject) {
      for (const [k, v] of Object.entries(s.shape as Record<string, z.ZodTypeAny>)) {
        out.add(k);
        walk(v);
      }
    } else if (d?.innerType) walk(d.innerType);
    else if (d?.schema) walk(d.schema);
    else if (s instanceof z.ZodArray) walk(s.element);
    else if (s instanceof z.ZodRecord) walk(s.valueSchema);
  };
  walk(scenarioSchema);
  // the keys of the distributions' and mitigations' object forms (checked by hand, not shapes)
  out.add("dist");
  for (const table of [SIZE_DISTS, TTL_DISTS, POPULARITY_DISTS, { all: POPULARITY_COMMON }, TIME_DISTS, MITIGATION_PARAMS])
    for (const keys of Object.values(table) as (readonly string[])[]) for (const k of keys) out.add(k);
  return [...out];
}
