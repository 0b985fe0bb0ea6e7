import { fmtCount, fmtDuration, fmtFigure, fmtFigureCi, fmtMiB, fmtPercent, fmtPercentCi } from "../charts/format.ts";
import type { Row } from "../charts/series.ts";
import { hasMaxmemoryAndPolicy, keyAxis, type SweepTable } from "../charts/sweep-charts.ts";

/*
 * Key findings in words, computed from a run's or a sweep's CSVs: what happened (OOM, evictions, herds,
 * copy-on-write, writes lost) with the figures and when. Pure: tables in, sentences out. Numbers are
 * written as the README writes them: thousands grouped by spaces (72 817), sizes in MiB, times as
 * fmtDuration says them (6 h 53 min).
 */

export type Tone = "bad" | "warn" | "info";

export interface Finding {
  text: string;
  /** bad: requests or writes failed or were lost; warn: worth a look; info: a figure */
  tone: Tone;
}

/** The files of a run directory the findings read (cells as text; the timeseries as numbers). */
export interface RunTables {
  summary: Readonly<Record<string, string>>;
  rows: readonly Row[];
  classes?: readonly Readonly<Record<string, string>>[];
  herds?: readonly Readonly<Record<string, string>>[];
  /** crash events in the scenario (for "lost in the crash" against "in the 2 crashes") */
  crashes?: number;
}

/* ------------------------------------------------------------------------------------------------ */
/* Formatting (the figures themselves: charts/format.ts)                                            */
/* ------------------------------------------------------------------------------------------------ */

/** Two ratios in %, with as many decimals as it takes to tell them apart (up to 3). */
function percentPair(a: number, b: number): [string, string] {
  let d = 1;
  while (d < 3 && (a * 100).toFixed(d) === (b * 100).toFixed(d)) d++;
  return [`${(a * 100).toFixed(d)} %`, `${(b * 100).toFixed(d)} %`];
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${+(ms / 1000).toPrecision(3)} s` : `${+ms.toPrecision(3)} ms`;
}

/** bytes → "27.9 MiB (29.2 MB)", "48 KiB (49.2 kB)": both, where people quote either. */
function fmtBytesBoth(b: number): string {
  if (b < 2 ** 20) return `${+(b / 1024).toPrecision(3)} KiB (${+(b / 1e3).toPrecision(3)} kB)`;
  return `${fmtMiB(b)} (${+(b / 1e6).toPrecision(3)} MB)`;
}

function num(v: string | undefined): number {
  return v === undefined || v.trim() === "" ? NaN : Number(v);
}

const plural = (n: number, one: string, many = `${one}s`) => (n === 1 ? one : many);

/** The row with the largest finite value of a column (the first of equals), or undefined. */
function peakRow(rows: readonly Row[], column: string): Row | undefined {
  let best: Row | undefined;
  for (const r of rows) {
    const v = r[column];
    if (v !== undefined && Number.isFinite(v) && (best === undefined || v > best[column])) best = r;
  }
  return best;
}

/* ------------------------------------------------------------------------------------------------ */
/* A run                                                                                              */
/* ------------------------------------------------------------------------------------------------ */

export function runFindings(t: RunTables): Finding[] {
  const s = (c: string) => num(t.summary[c]);
  const out: Finding[] = [];
  const add = (text: string, tone: Tone = "info") => out.push({ text, tone });
  const policy = t.summary.maxmemory_policy ?? "";
  const maxmemory = s("maxmemory");

  // writes rejected with OOM
  const oom = s("oom_rejected_writes");
  if (oom > 0) {
    const first = s("first_oom_s");
    const when = Number.isFinite(first) ? `from ${fmtDuration(first)} ` : "";
    const why = policy.startsWith("volatile-") ? ` (${policy} evicts only keys with a TTL; none was left to evict)` : "";
    add(`writes failed ${when}(OOM) under ${policy}: ${fmtCount(oom)} ${plural(oom, "write")} rejected${why}`, "bad");
  }

  // hit ratio: the steady state's, with its interval, where the run reached one
  const hr = s("hit_ratio");
  const steady = t.summary.steady_state;
  const shr = s("steady_hit_ratio");
  if (steady === "reached" && Number.isFinite(shr)) {
    const warm = s("warmup_s");
    add(
      `hit ratio ${fmtPercentCi(shr, s("steady_hit_ratio_ci95"))} (95 % CI) in the steady state` +
        (warm > 0 ? ` after a ${fmtDuration(warm)} warm-up (whole run ${fmtPercent(hr)}, warm-up included)` : ` (no warm-up found; whole run ${fmtPercent(hr)})`),
    );
  } else if (steady === "not reached") {
    add(`no steady state: ${t.summary.steady_note}; the whole-run hit ratio${Number.isFinite(hr) ? ` ${fmtPercent(hr)}` : ""} is not a steady figure`, "warn");
  } else if (Number.isFinite(hr))
    add(`hit ratio ${hr.toFixed(hr >= 0.995 || hr < 0.1 ? 3 : 2)} (${fmtPercent(hr)}): ${fmtCount(s("keyspace_hits"))} hits, ${fmtCount(s("keyspace_misses"))} misses`);

  // memory
  const peak = s("used_memory_peak");
  if (Number.isFinite(peak)) {
    if (maxmemory > 0) add(`used_memory peaked at ${fmtMiB(peak)}, ${Math.round((peak / maxmemory) * 100)} % of maxmemory (${fmtMiB(maxmemory)})`);
    else add(`used_memory peaked at ${fmtMiB(peak)} (no maxmemory set)`);
  }

  // evictions
  const evicted = s("evicted_keys");
  if (evicted > 0) {
    const p = peakRow(t.rows, "evicted_per_sec");
    const at = p && p.evicted_per_sec > 0 ? `; evictions peaked at ${fmtFigure(p.evicted_per_sec)} keys/s at ${fmtDuration(p.time_s)}` : "";
    const rate = s("steady_evicted_per_s");
    const steadyRate = steady === "reached" && Number.isFinite(rate) ? `; ${fmtFigureCi(rate, s("steady_evicted_per_s_ci95"))} keys/s in the steady state` : "";
    add(`${fmtCount(evicted)} ${plural(evicted, "key")} evicted under ${policy}${steadyRate}${at}`, "warn");
  } else if (maxmemory > 0 && policy !== "noeviction" && !(oom > 0)) add(`no key was evicted: the data fit in maxmemory`);
  const expired = s("expired_keys");
  if (expired > 0) add(`${fmtCount(expired)} ${plural(expired, "key")} expired (TTL)`);

  // the application and the database
  const errors = s("app_errors");
  if (errors > 0) add(`${fmtCount(errors)} application ${plural(errors, "request")} failed (timeouts with no retry left)`, "bad");
  const timeouts = s("db_timeouts");
  if (timeouts > 0) add(`${fmtCount(timeouts)} database ${plural(timeouts, "query", "queries")} timed out`, "warn");
  if (Number.isFinite(s("latency_p99_ms")))
    add(`latency p50 ${fmtMs(s("latency_p50_ms"))}, p99 ${fmtMs(s("latency_p99_ms"))}, max ${fmtMs(s("latency_max_ms"))} (end to end)`);
  const herd = largestHerd(t.herds);
  if (herd) add(`the database saw a herd of ${fmtCount(herd.size)} queries for one key at ${fmtDuration(herd.start)} (class ${herd.cls}, ${herd.cause})`, "warn");
  else if (s("herd_max") >= 2) add(`the largest herd was ${fmtCount(s("herd_max"))} database queries for one key`, "warn");
  const inFlight = peakRow(t.rows, "db_in_flight_peak");
  if (inFlight && inFlight.db_in_flight_peak > 0)
    add(`at most ${fmtCount(inFlight.db_in_flight_peak)} ${plural(inFlight.db_in_flight_peak, "query", "queries")} were at the database at once, at ${fmtDuration(inFlight.time_s)}${s("db_connections") > 0 ? ` (${fmtCount(s("db_connections"))} connections)` : ""}`);
  const queue = peakRow(t.rows, "db_queue_peak");
  if (queue && queue.db_queue_peak > 0) add(`the wait queue for a database connection reached ${fmtCount(queue.db_queue_peak)} queries at ${fmtDuration(queue.time_s)}`, "warn");
  const classes = t.classes ?? [];
  if (classes.length > 1 && classes.some((c) => c.herd_max !== undefined))
    add(`largest herd per class: ${classes.map((c) => `${c.class} ${fmtCount(num(c.herd_max))}`).join(", ")}`);

  // persistence
  const cow = s("cow_peak");
  if (cow > 0) {
    const what = s("rdb_saves") > 0 || s("rdb_bgsave_failed") > 0 ? "BGSAVE" : s("aof_rewrites") > 0 ? "AOF rewrite" : "fork";
    add(`${what} copy-on-write peaked at ${fmtBytesBoth(cow)}`, "warn");
  }
  const fork = s("latest_fork_usec");
  if (fork > 0) add(`fork stalled the server for ${fmtMs(fork / 1000)}`);
  const kills = s("oom_kills");
  if (kills > 0) add(`the host's OOM killer killed ${fmtCount(kills)} fork ${plural(kills, "child", "children")}`, "bad");
  const misconf = s("misconf_rejected_writes");
  if (misconf > 0) add(`${fmtCount(misconf)} ${plural(misconf, "write")} refused with MISCONF after a failed BGSAVE`, "bad");
  const lost = s("writes_lost");
  if (lost > 0) {
    const crashes = t.crashes ?? 1;
    add(`writes lost in the ${crashes > 1 ? `${crashes} crashes` : "crash"}: ${fmtCount(lost)}`, "bad");
  }
  const loading = s("loading_rejected");
  if (loading > 0) add(`${fmtCount(loading)} ${plural(loading, "request")} refused while the server was down or loading${s("load_time_s") > 0 ? ` (load time ${fmtDuration(s("load_time_s"))})` : ""}`, "bad");
  const wp99 = s("write_latency_p99_ms");
  if (Number.isFinite(wp99) && (cow > 0 || fork > 0 || s("fsync_p99_ms") > 0 || lost > 0))
    add(`server-side write latency p99 ${fmtMs(wp99)}, max ${fmtMs(s("write_latency_max_ms"))}`);
  return out;
}

function largestHerd(herds: RunTables["herds"]): { size: number; start: number; cls: string; cause: string } | undefined {
  let best: { size: number; start: number; cls: string; cause: string } | undefined;
  for (const h of herds ?? []) {
    const size = num(h.size);
    if (!(size >= 2)) continue;
    if (best === undefined || size > best.size) best = { size, start: num(h.start_s), cls: h.class ?? "", cause: h.cause ?? "" };
  }
  return best;
}

/* ------------------------------------------------------------------------------------------------ */
/* A sweep                                                                                            */
/* ------------------------------------------------------------------------------------------------ */

export interface SweepFindingOptions {
  /** the hit ratio whose smallest maxmemory per policy is reported (default 0.9) */
  target?: number;
}

export function sweepFindings(table: SweepTable, options: SweepFindingOptions = {}): Finding[] {
  const target = options.target ?? 0.9;
  const out: Finding[] = [];
  const add = (text: string, tone: Tone = "info") => out.push({ text, tone });
  const rows = table.rows;
  if (rows.length === 0) return [{ text: "no point of the sweep has finished yet", tone: "warn" }];
  // each point's steady-state hit ratio (after its warm-up) where it reached one, else its whole run's
  const steady = (r: Readonly<Record<string, string>>) => r.steady_state === "reached" && (r.steady_hit_ratio ?? "") !== "";
  const hr = (r: Readonly<Record<string, string>>) => (steady(r) ? num(r.steady_hit_ratio) : num(r.hit_ratio));
  const where = (r: Readonly<Record<string, string>>) => table.keys.map((k) => `${k}=${r[k]}`).join(", ");
  if (rows.some((r) => r.steady_state !== undefined)) {
    const unsteady = rows.filter((r) => !steady(r)).length;
    add(
      unsteady === 0
        ? "hit ratios below are steady-state figures (after each point's warm-up)"
        : `hit ratios below are steady-state figures where a point reached one; ${unsteady} of ${rows.length} points did not and are judged on their whole run (cold start included)`,
      unsteady === 0 ? "info" : "warn",
    );
  }

  if (hasMaxmemoryAndPolicy(table)) {
    const size = keyAxis(table, "redis.maxmemory");
    const mib = (r: Readonly<Record<string, string>>) => size.value(r);
    const others = table.keys.filter((k) => k !== "redis.maxmemory" && k !== "redis.maxmemory-policy");
    // with further swept keys, each combination of them is its own "policy" line
    const policyOf = (r: Readonly<Record<string, string>>) => [r["redis.maxmemory-policy"], ...others.map((k) => `${k.split(".").pop()}=${r[k]}`)].join(" · ");
    const sizes = [...new Set(rows.map(mib).filter(Number.isFinite))].sort((a, b) => a - b);
    const policies = [...new Set(rows.map(policyOf))];

    // the best policy at each size
    for (const m of sizes) {
      const at = rows.filter((r) => mib(r) === m && Number.isFinite(hr(r))).sort((a, b) => hr(b) - hr(a));
      if (at.length === 0) continue;
      const best = at[0];
      const top = at.filter((r) => hr(r) === hr(best));
      if (top.length === at.length && at.length > 1) {
        const calm = at.every((r) => !(num(r.evicted_keys) > 0) && !(num(r.oom_rejected_writes) > 0));
        add(`at ${size.format(m)} MiB every policy has the same hit ratio, ${fmtPercent(hr(best))}${calm ? " (no key evicted, no write rejected)" : ""}`);
        continue;
      }
      const next = at.find((r) => hr(r) < hr(best));
      const [b, n] = next ? percentPair(hr(best), hr(next)) : [fmtPercent(hr(best)), ""];
      const oomFree = at.filter((r) => !(num(r.oom_rejected_writes) > 0));
      const note =
        num(best.oom_rejected_writes) > 0
          ? `, but it rejected ${fmtCount(num(best.oom_rejected_writes))} writes with OOM` +
            (oomFree.length > 0 ? ` (best without OOM: ${policyOf(oomFree[0])}, ${fmtPercent(hr(oomFree[0]))})` : "")
          : "";
      // a runner-up that keeps its hit ratio by refusing writes says so
      const nextOom = next && num(next.oom_rejected_writes) > 0 ? `, rejecting ${fmtCount(num(next.oom_rejected_writes))} writes with OOM` : "";
      add(`best policy at ${size.format(m)} MiB: ${top.map(policyOf).join(", ")} with a hit ratio of ${b}` + (next ? ` (next: ${policyOf(next)}, ${n}${nextOom})` : "") + note);
    }

    // the smallest size reaching the target, per policy
    const reach: string[] = [];
    const never: { p: string; best: Readonly<Record<string, string>> }[] = [];
    for (const p of policies) {
      const mine = rows.filter((r) => policyOf(r) === p && Number.isFinite(hr(r)) && Number.isFinite(mib(r))).sort((a, b) => mib(a) - mib(b));
      const hit = mine.find((r) => hr(r) >= target);
      if (hit) reach.push(`${p} ${size.format(mib(hit))} MiB`);
      else if (mine.length > 0) never.push({ p, best: [...mine].sort((a, b) => hr(b) - hr(a) || mib(a) - mib(b))[0] });
    }
    const goal = `a ${fmtPercent(target)} hit ratio`;
    if (reach.length === 0) {
      const bests = never.map((n) => n.best).sort((a, b) => hr(b) - hr(a) || mib(a) - mib(b));
      const top = bests.filter((r) => hr(r) === hr(bests[0]));
      const who = top.length === policies.length && policies.length > 1 ? "every policy" : top.map(policyOf).join(", ");
      const sizesOf = [...new Set(top.map((r) => size.format(mib(r))))].join(", ");
      add(`no policy reaches ${goal} at any size swept; the highest is ${fmtPercent(hr(bests[0]))} (${who} at ${sizesOf} MiB)`, "warn");
    } else {
      add(`smallest maxmemory reaching ${goal}: ${reach.join(", ")}`);
      if (never.length > 0) add(`never reaching ${goal}: ${never.map((n) => `${n.p} (best ${fmtPercent(hr(n.best))} at ${size.format(mib(n.best))} MiB)`).join(", ")}`, "warn");
    }

    // OOM per policy
    const oomBy = policies
      .map((p) => ({ p, at: rows.filter((r) => policyOf(r) === p && num(r.oom_rejected_writes) > 0).sort((a, b) => mib(a) - mib(b)) }))
      .filter((x) => x.at.length > 0);
    if (oomBy.length > 0)
      add(`writes rejected with OOM under ${oomBy.map((x) => `${x.p} (at ${x.at.map((r) => size.format(mib(r))).join(", ")} MiB; up to ${fmtCount(Math.max(...x.at.map((r) => num(r.oom_rejected_writes))))})`).join(", ")}`, "bad");
    else add(`no point rejected a write with OOM`);
  } else {
    const finite = rows.filter((r) => Number.isFinite(hr(r))).sort((a, b) => hr(b) - hr(a) || num(a.point) - num(b.point));
    if (finite.length > 0) {
      const best = finite[0];
      const worst = finite[finite.length - 1];
      add(`highest hit ratio: ${fmtPercent(hr(best))} at ${where(best)}`);
      if (finite.length > 1) add(`lowest hit ratio: ${fmtPercent(hr(worst))} at ${where(worst)}`);
    }
    const oom = rows.filter((r) => num(r.oom_rejected_writes) > 0);
    if (oom.length > 0) {
      const most = [...oom].sort((a, b) => num(b.oom_rejected_writes) - num(a.oom_rejected_writes))[0];
      add(`${oom.length} of ${rows.length} points rejected writes with OOM; the most: ${fmtCount(num(most.oom_rejected_writes))} at ${where(most)}`, "bad");
    } else add(`no point rejected a write with OOM`);
  }

  // figures present only with a database or persistence
  const extreme = (column: string, say: (v: number, r: Readonly<Record<string, string>>) => string, tone: Tone = "info") => {
    const with_ = rows.filter((r) => Number.isFinite(num(r[column])));
    if (with_.length === 0) return;
    const top = [...with_].sort((a, b) => num(b[column]) - num(a[column]) || num(a.point) - num(b.point))[0];
    if (num(top[column]) > 0) add(say(num(top[column]), top), tone);
  };
  extreme("latency_p99_ms", (v, r) => `highest latency p99: ${fmtMs(v)} at ${where(r)}`);
  extreme("db_in_flight_peak", (v, r) => `most queries at the database at once: ${fmtCount(v)} at ${where(r)}`, "warn");
  extreme("cow_peak", (v, r) => `largest copy-on-write: ${fmtBytesBoth(v)} at ${where(r)}`, "warn");
  extreme("writes_lost", (v, r) => `most writes lost in a crash: ${fmtCount(v)} at ${where(r)}`, "bad");
  extreme("app_errors", (v, r) => `most failed application requests: ${fmtCount(v)} at ${where(r)}`, "bad");
  return out;
}
