/**
 * Simulated time is an integer number of microseconds since the start of the run.
 * Redis itself keeps milliseconds (mstime) and seconds (unixtime); we convert at the edges of the model.
 */
export type Micros = number;

export const US_PER_MS = 1_000;
export const US_PER_S = 1_000_000;

/**
 * The wall-clock instant that simulated time 0 stands for, in Unix milliseconds (2024-01-01T00:00:00Z).
 * Redis's LFU minute clock is aligned to the Unix epoch (evict.c LFUGetTimeInMinutes), so where a run
 * starts within a minute changes when decay periods elapse; a fixed, minute-aligned origin keeps runs
 * reproducible. The clocks then wrap inside long runs as Redis's do: the LRU clock (Unix seconds mod
 * 2^24) 83.4 days after this origin, the LFU minute clock (minutes mod 2^16) 28.8 days after it; the model
 * handles both wraps with Redis's own arithmetic (lru.ts, lfu.ts).
 */
export const SIM_EPOCH_MS = 1_704_067_200_000;
