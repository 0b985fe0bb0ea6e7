import { Redis } from "ioredis";
import { InputError } from "../../errors.ts";
import { interruptedBy, interruptSignal, onInterrupt } from "../interrupt.ts";

/*
 * The edge between `sim replay` / `sim calibrate` and a real server that may hold someone else's data.
 * Everything here exists so that the commands never surprise its owner:
 *
 * - the URL is checked before any connection, and its password never reaches a message or a file
 *   (`redactUrl`);
 * - a connection that fails (refused, unknown host, NOAUTH, WRONGPASS) is one line, not ioredis's
 *   "[ioredis] Unhandled error event" stack: every client has an 'error' listener, no reconnection
 *   (`retryStrategy: () => null`) and no offline queue, so a dead connection fails the next command at
 *   once instead of queueing it forever;
 * - the keys already on the server are counted (INFO keyspace) before anything is written;
 * - every CONFIG parameter a command changes is read first (CONFIG GET) and put back at the end, on an
 *   error and on Ctrl-C (`ConfigGuard`).
 */

/** The URL with its password replaced by `***` (`redis://:s3cret@h:6379` → `redis://:***@h:6379`). */
export function redactUrl(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#:@]*):[^/?#]*@/i, "$1:***@") // user:password@ or :password@ (up to the last @)
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/?#@:]+)@/i, "$1***@") // redis://password@host: ioredis reads a lone user part as the password
    .replace(/([?&]password=)[^&#]*/gi, "$1***");
}

export interface RedisTarget {
  /** The URL as given, password included: only ever handed to ioredis. */
  url: string;
  /** The URL with the password replaced, for messages and files. */
  shown: string;
  /** host:port, for messages. */
  hostPort: string;
}

const URL_FORM = "redis://[[USER]:PASSWORD@]HOST[:PORT]";

/** Checks a --redis URL the way ioredis will read it; one line naming the problem otherwise. */
export function parseRedisUrl(url: string, flag = "--redis"): RedisTarget {
  const shown = redactUrl(url);
  const bad = (why: string) => new InputError(`${flag} ${JSON.stringify(shown)}: ${why} (expected ${URL_FORM})`);
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) throw bad("not a Redis URL");
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    // the WHATWG parser says only "Invalid URL"; the usual culprits are a port out of range or a stray character
    const port = /^[^/]*\/\/(?:[^@/]*@)?(?:\[[^\]]*\]|[^:/]*):(\d+)/.exec(url)?.[1];
    throw bad(port !== undefined && Number(port) > 65535 ? `port ${port} is out of range (1–65535)` : "not a valid URL");
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") throw bad(`the scheme is "${u.protocol.slice(0, -1)}", not redis or rediss`);
  if (!u.hostname) throw bad("no host");
  if (u.port === "0") throw bad("port 0 is out of range (1–65535)");
  // ioredis lets the URL's /DB and ?options override the options given in code (no reconnection, no
  // offline queue, the db of each client), so neither is accepted: the databases are the scenario's.
  const db = u.pathname.replace(/^\//, "");
  if (db !== "" && db !== "0") throw bad(`"/${db}": the databases are the scenario's (workload.classes[].db), not the URL's; remove it`);
  if (u.search !== "") throw bad(`"${redactUrl(u.search)}": no URL options (give a password as redis://:PASSWORD@HOST)`);
  return { url, shown, hostPort: `${u.hostname}:${u.port || "6379"}` };
}

/** What went wrong with a connection or a command, as the end of one line. */
export function describeRedisError(e: unknown): string {
  const err = e as Error & { code?: string; hostname?: string };
  const msg = String(err?.message ?? e);
  if (/^NOAUTH\b/.test(msg)) return "the server needs a password (NOAUTH): give it in the URL, redis://:PASSWORD@host:port";
  if (/^WRONGPASS\b/.test(msg)) return "wrong password (WRONGPASS)";
  if (/^ERR AUTH <password> called without any password configured/i.test(msg) || /^ERR.*no password is set/i.test(msg))
    return "the URL has a password but the server has none (remove it from the URL)";
  switch (err?.code) {
    case "ECONNREFUSED":
      return "connection refused (is redis-server running there?)";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `unknown host${err.hostname ? ` "${err.hostname}"` : ""}`;
    case "ETIMEDOUT":
      return "connection timed out";
    case "ECONNRESET":
      return "connection reset by the server";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "host unreachable";
  }
  return msg.replace(/\.$/, "");
}

/** A Redis error reply (OOM, READONLY, MISCONF, ERR …), as opposed to a broken connection. */
export const isReplyError = (e: unknown): boolean => e instanceof Error && e.name === "ReplyError";

const CONNECTION_CODES = new Set(["ECONNRESET", "EPIPE", "ECONNREFUSED", "ETIMEDOUT", "ECONNABORTED", "EHOSTUNREACH", "ENETUNREACH"]);

/**
 * The clients of one command on one server, one per database (each SELECTs its db once at connect).
 * Remembers the last error any of them reported, so "Connection is closed." can say why it closed.
 */
export class RedisLink {
  readonly target: RedisTarget;
  private readonly clients = new Map<number, Redis>();
  private lastError: (Error & { code?: string }) | undefined;
  private closed = false;

  constructor(target: RedisTarget) {
    this.target = target;
  }

  private make(db: number, onError: (e: Error) => void): Redis {
    const c = new Redis(this.target.url, {
      db,
      lazyConnect: true,
      enableOfflineQueue: false, // a command on a dead connection fails now, it is not queued
      maxRetriesPerRequest: 0,
      retryStrategy: () => null, // never reconnect: a replay on a restarted (empty) server would be meaningless
      connectTimeout: 5000,
    });
    // Without a listener ioredis prints "[ioredis] Unhandled error event" with a stack trace; the error is
    // kept and reported by the command that fails because of it.
    c.on("error", (e: Error) => {
      this.lastError = e;
      onError(e);
    });
    c.on("close", () => (this.closed = true));
    return c;
  }

  /** Connects db 0 (or `db`) and checks the password with PING; one line on any failure. */
  async connect(db = 0): Promise<Redis> {
    let c = this.clients.get(db);
    if (c) return c;
    let failure: Error | undefined;
    c = this.make(db, (e) => (failure ??= e));
    this.clients.set(db, c);
    try {
      await c.connect();
      await c.ping();
    } catch (e) {
      // connect() rejects with "Connection is closed."; the reason came first, through the 'error' event
      throw new InputError(`${this.target.shown}: ${describeRedisError(failure ?? e)}`);
    }
    return c;
  }

  /** A connected client (connect() must have been called for this db). */
  get(db: number): Redis {
    const c = this.clients.get(db);
    if (!c) throw new Error(`no client for db ${db}`);
    return c;
  }

  /** True when a connection closed, or a command failed because the connection broke. */
  lost(e?: unknown): boolean {
    if (this.closed) return true;
    const err = e as (Error & { code?: string }) | undefined;
    if (err?.code && CONNECTION_CODES.has(err.code)) return true;
    return err instanceof Error && /Connection is closed|Stream isn't writeable|connect ETIMEDOUT/.test(err.message);
  }

  /** Why the connection was lost (the socket error if there was one, e.g. ECONNRESET). */
  lostReason(): string {
    const e = this.lastError;
    if (e?.code) return e.code;
    return e ? describeRedisError(e) : "closed by the server";
  }

  disconnect(): void {
    for (const c of this.clients.values()) hangUp(c);
    this.clients.clear();
  }
}

/**
 * Closes a client's socket at once. disconnect() only half-closes it and waits for the server's FIN,
 * which a paused or unreachable server never sends, so the process would not end until the watchdog.
 */
function hangUp(c: Redis): void {
  c.disconnect();
  (c as unknown as { stream?: { destroy(): void } }).stream?.destroy();
}

/** Keys per database from INFO keyspace (only databases that hold keys are listed there). */
export async function keyspace(c: Redis): Promise<Map<number, number>> {
  const m = new Map<number, number>();
  for (const line of (await c.info("keyspace")).split("\n")) {
    const hit = /^db(\d+):keys=(\d+)/.exec(line.trim());
    if (hit && Number(hit[2]) > 0) m.set(Number(hit[1]), Number(hit[2]));
  }
  return m;
}

/** 1234567 → "1 234 567" (the project's way of writing counts in messages). */
export const groupDigits = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, " ");

/** "1 234 keys in db0, db3" */
export function describeKeyspace(keys: Map<number, number>): { total: number; text: string } {
  const total = [...keys.values()].reduce((a, b) => a + b, 0);
  const dbs = [...keys.keys()].sort((a, b) => a - b);
  return { total, text: `${groupDigits(total)} key${total === 1 ? "" : "s"} in ${dbs.map((d) => `db${d}`).join(", ")}` };
}

/**
 * Refuses a server that holds keys unless --flush was given (exit 2, nothing written); with --flush,
 * says what FLUSHALL is about to delete. Call it before any write or CONFIG SET.
 */
export async function checkEmpty(c: Redis, target: RedisTarget, flush: boolean, command: string, notice: (msg: string) => void): Promise<number> {
  const keys = await keyspace(c);
  const { total, text } = describeKeyspace(keys);
  if (total === 0) return 0;
  if (!flush)
    throw new InputError(
      `${target.shown}: the server holds ${text}; ${command} needs an empty server and would change them: --flush would delete them (FLUSHALL), or point --redis at a scratch server`,
    );
  notice(`--flush: deleting ${text} of ${target.hostPort}`);
  return total;
}

/**
 * CONFIG parameters read before a command changes them and written back afterwards: at the end, on an
 * error, and on Ctrl-C (registered with onInterrupt, so the watchdog restores them even when the
 * command is stuck in an await). Restoring twice is harmless; the second call does nothing.
 */
export class ConfigGuard {
  private readonly saved: [string, string][];
  private readonly link: RedisLink;
  private restoring: Promise<string | null> | null = null;
  private readonly unregister: () => void;

  private constructor(link: RedisLink, saved: [string, string][]) {
    this.link = link;
    this.saved = saved;
    this.unregister = onInterrupt(async () => {
      await this.restore();
    });
  }

  /**
   * CONFIG GET each name (read only). A server that refuses CONFIG (a managed Redis renames it) or lacks
   * a parameter (an older version) is refused here, before anything was changed.
   */
  static async save(link: RedisLink, names: string[]): Promise<ConfigGuard> {
    const c = link.get(0);
    const saved: [string, string][] = [];
    for (const name of names) {
      let reply: unknown;
      try {
        reply = await c.config("GET", name);
      } catch (e) {
        if (!isReplyError(e)) throw e;
        throw new InputError(`${link.target.shown}: CONFIG GET ${name} failed (${describeRedisError(e)}); the command needs CONFIG to set the scenario's values and put the server's back`);
      }
      const arr = Array.isArray(reply) ? (reply as string[]) : Object.entries(reply as Record<string, string>).flat();
      const i = arr.indexOf(name);
      if (i < 0 || i + 1 >= arr.length) throw new InputError(`${link.target.shown}: the server has no CONFIG parameter ${name} (the model follows Redis 7.0)`);
      saved.push([name, String(arr[i + 1])]);
    }
    // maxmemory goes back last: lowering it makes Redis evict at once, and it should do so under the
    // server's own policy and samples, not the scenario's.
    saved.sort((a, b) => Number(a[0] === "maxmemory") - Number(b[0] === "maxmemory"));
    return new ConfigGuard(link, saved);
  }

  /** The saved values, as `name value` pairs (for a message when they cannot be written back). */
  describe(): string {
    return this.saved.map(([k, v]) => `${k} ${v}`).join(", ");
  }

  /**
   * Writes the saved values back. Returns null when done (or when the server is gone: a restarted
   * server reads its own configuration), otherwise a one-line reason. Never throws, never waits more
   * than `timeoutMs` (on Ctrl-C the watchdog waits for it before ending the process).
   */
  restore(timeoutMs = 2000): Promise<string | null> {
    if (!this.restoring) {
      this.unregister();
      this.restoring = this.restoreOnce(timeoutMs);
    }
    return this.restoring;
  }

  private async restoreOnce(timeoutMs: number): Promise<string | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((r) => {
      timer = setTimeout(() => r(`no answer within ${timeoutMs} ms`), timeoutMs);
    });
    let fresh: Redis | undefined;
    const work = async (): Promise<string | null> => {
      let c: Redis | undefined;
      try {
        c = this.link.get(0);
      } catch {
        c = undefined;
      }
      if (!c || c.status !== "ready") {
        // The command's connection broke (reset, or the server was restarted): try a new one.
        fresh = new Redis(this.link.target.url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs });
        let err: (Error & { code?: string }) | undefined;
        fresh.on("error", (e: Error) => (err = e));
        try {
          await fresh.connect();
        } catch (e) {
          const why = err ?? (e as Error & { code?: string });
          return why.code === "ECONNREFUSED" ? null : describeRedisError(why); // nobody listening: the server is gone
        }
        c = fresh;
      }
      // one pipeline, one round trip: a far server is restored as fast as a near one
      const res = (await c.pipeline(this.saved.map(([k, v]) => ["config", "set", k, v])).exec()) ?? [];
      const err = res.find(([e]) => e)?.[0];
      return err ? describeRedisError(err) : null;
    };
    try {
      return await Promise.race([work().catch((e) => describeRedisError(e)), timeout]);
    } finally {
      clearTimeout(timer);
      if (fresh) hangUp(fresh);
    }
  }
}

/** A setTimeout that ends early (resolving) when `signal` aborts, so a wait never delays Ctrl-C. */
export function sleepUnless(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * `p`, or Interrupted as soon as Ctrl-C arrives: a command waiting on a server that stopped answering
 * (paused, swapping, a dropped network without a reset) does not hold up the interrupt.
 */
export function unlessInterrupted<T>(p: Promise<T>): Promise<T> {
  const signal = interruptSignal();
  if (signal.aborted) return Promise.reject(signal.reason);
  let onAbort: () => void = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason ?? new Error(`interrupted by ${interruptedBy()}`));
    signal.addEventListener("abort", onAbort, { once: true });
  });
  return Promise.race([p, aborted]).finally(() => signal.removeEventListener("abort", onAbort));
}

/** `p`, or a rejection after `ms` (for best-effort cleanup on the way out). */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
