import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";

/** True when a `redis-server` binary is on the PATH. */
export const hasRedisServer = spawnSync("redis-server", ["--version"], { encoding: "utf8" }).status === 0;

/** A loopback port nothing listens on (free now): for a server to start on, or a refused connection. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface RunningRedis {
  port: number;
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts a private redis-server on a free loopback port, without persistence; stop() ends it by its PID. */
export async function startRedis(extra: string[] = []): Promise<RunningRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", "", ...extra],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let log = "";
  child.stdout?.on("data", (d) => (log += d));
  child.stderr?.on("data", (d) => (log += d));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (log.includes("Ready to accept connections")) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}:\n${log}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(child.pid!, "SIGTERM");
        } catch (e) {
          // a test killed it already and its 'exit' event has not arrived yet: it is ending anyway
          if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
        }
      }
      await exited;
    },
  };
}
