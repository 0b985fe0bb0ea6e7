import type { ServiceDist } from "../../core/distributions.ts";

/*
 * The persistence configuration the model runs on (redis.conf's save, appendonly, appendfsync,
 * no-appendfsync-on-rewrite, auto-aof-rewrite-*, stop-writes-on-bgsave-error; and the host: fork cost,
 * page size, save speed, disk). scenario/ compiles into PersistencePlan; the schema and the redis.conf
 * reader take the appendfsync names from here.
 */

/** appendfsync's values, as redis.conf spells them (config.c's aof_fsync_enum), in the order of their codes. */
export const APPENDFSYNC = ["always", "everysec", "no"] as const;
export type AppendFsync = (typeof APPENDFSYNC)[number];
/** Redis's default (config.c: appendfsync everysec). */
export const APPENDFSYNC_DEFAULT: AppendFsync = "everysec";

/** The codes the model compares against, an appendfsync name's index in APPENDFSYNC (server.h's AOF_FSYNC_* number them NO 0, ALWAYS 1, EVERYSEC 2). */
export const FSYNC_ALWAYS = 0;
export const FSYNC_EVERYSEC = 1;
export const FSYNC_NO = 2;

/** The code of each appendfsync name. */
export const FSYNC_CODE: Readonly<Record<AppendFsync, number>> = { always: FSYNC_ALWAYS, everysec: FSYNC_EVERYSEC, no: FSYNC_NO };

export interface PersistencePlan {
  /** save points: after `seconds` if at least `changes` writes. Empty = RDB snapshots off. */
  savePoints: { seconds: number; changes: number }[];
  stopWritesOnBgsaveError: boolean;
  appendonly: boolean;
  /** FSYNC_ALWAYS, FSYNC_EVERYSEC or FSYNC_NO (FSYNC_CODE of the appendfsync name). */
  appendfsync: number;
  noAppendfsyncOnRewrite: boolean;
  autoAofRewritePercentage: number;
  autoAofRewriteMinSize: number;
  /** fork stall per GiB of used memory, µs. */
  forkUsPerGb: number;
  pageSize: number;
  /** The child's serialisation speed, bytes of used_memory per second. */
  saveBytesPerSec: number;
  /** Disk: fsync time distribution (µs) and sequential write speed (bytes/s). */
  fsync: ServiceDist;
  diskWriteBytesPerSec: number;
  /** Host RAM, bytes (0 = not modelled). */
  hostMemory: number;
  fragmentationRatio: number;
  /** Redis's own time per command (µs), added to write latencies. */
  commandUs: number;
}
