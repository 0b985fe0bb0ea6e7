import type { ServiceDist } from "../core/distributions.ts";

/* The backing database's settings the model runs on (a scenario's `database` section, compiled). */

export interface DatabaseConfig {
  /** Servers: min(pool total, max-connections). */
  connections: number;
  /** Network round trip app ↔ database, µs (added to the time a connection is held). */
  rttUs: number;
  /** Service time of a query of each kind (index = the `kind` passed to submit). */
  service: ServiceDist[];
  /** The client stops waiting for a connection after this long (HikariCP connectionTimeout); Infinity = never. */
  poolTimeoutUs: number;
  /** The client gives up on a query this long after submitting it; Infinity = never. */
  queryTimeoutUs: number;
  /** On a query timeout, the database stops the query (statement_timeout) and frees the connection. */
  cancelOnTimeout: boolean;
}
