import type { ServiceDist } from "../core/distributions.ts";
import type { RedisConfig } from "../redis/config.ts";
export { REPLICATION_DEFAULTS, type ReplicationConfig, type BufferLimit } from "../redis/config.ts";

/*
 * A cluster scenario compiled (scenario/compile.ts): how many masters and replicas, which master serves
 * which hash slot, each master's server settings (the `redis:` section with its node's override), and
 * what the model of replication needs beyond redis.conf (the replication lag). The redis.conf directives
 * of replication (repl-backlog-size, client-output-buffer-limit replica, min-replicas-*, cluster-node-
 * timeout) are RedisConfig fields, like every other server setting.
 */

/** The most masters a scenario may have (a Redis Cluster is advised to stay below ~1000 nodes). */
export const MAX_MASTERS = 1000;
/** The most replicas per master a scenario may have. */
export const MAX_REPLICAS = 10;

/** How a key class's names carry a hash tag (workload/keys.ts names them). */
export const TAG_NONE = 0;
/** `{<prefix>:<group>}:<index>`: `keysPerTag` consecutive keys share a tag (a user's keys together). */
export const TAG_GROUP = 1;
/** `{<tag>}:<prefix>:<index>`: one tag for every key of the class (all of it in one slot). */
export const TAG_FIXED = 2;

export interface HashTag {
  kind: number;
  keysPerTag: number;
  tag: string;
}

export const NO_HASH_TAG: HashTag = { kind: TAG_NONE, keysPerTag: 1, tag: "" };

export interface ClusterPlan {
  masters: number;
  replicasPerMaster: number;
  /** Slot → master index (16 384 entries). */
  slotOwner: Uint16Array;
  /** Each master's settings: the scenario's `redis:` with the node's override, cluster-enabled. */
  nodes: RedisConfig[];
  /** The settings of a node added by an `add-node` event (the `redis:` section's). */
  addedNode: RedisConfig;
  /** The one-way delay from a write on a master to its replicas (µs), drawn per write. */
  replicationLag: ServiceDist;
  /** `sim plan --cluster`: the most commands per second one node serves (its CPU ceiling). */
  nodeMaxOps: number;
}
