import { MemoryModel } from "../redis/memory.ts";
import type { RedisConfig } from "../redis/config.ts";
import { CMD_DEL, CMD_GET, CMD_SET } from "../redis/server.ts";
import { MODE_CACHE_ASIDE } from "../workload/config.ts";
import type { Plan } from "./plan.ts";

/** Which of GET, SET and DEL the workload sends (server.ts CMD_* bits): each holds a latency histogram once used. */
export function commandBits(plan: Plan): number {
  if (plan.workload.kind === "trace") return CMD_GET | CMD_SET;
  let get = false, set = false, del = false;
  for (const c of plan.workload.classes) {
    if (c.mode === MODE_CACHE_ASIDE) get = set = true;
    else {
      if (c.opsCum[0] > 0) get = true;
      if (c.opsCum[1] > c.opsCum[0] || c.keys < 0) set = true;
      if (c.opsCum[1] < 1) del = true;
    }
  }
  return (get ? CMD_GET : 0) | (set ? CMD_SET : 0) | (del ? CMD_DEL : 0);
}

/** used_memory a server holds without keys: startup, its clients, the latency histograms of the commands sent. */
export function fixedBytes(cfg: RedisConfig, commands: number): number {
  const mem = new MemoryModel(cfg.allocator, cfg.memoryAccounting);
  const used = (commands & CMD_GET ? 1 : 0) + (commands & CMD_SET ? 1 : 0) + (commands & CMD_DEL ? 1 : 0);
  return mem.startup + cfg.clients * mem.clientBytes + used * mem.histogramBytes;
}
