// A module with plain state, for the rule on module state in reused workers:
// its top level runs once per worker that loads it.
import { threadId } from "node:worker_threads";

let runs = 0;

/** Counts a run in this module's copy; records the count and the worker. */
export function countRun(out: Int32Array, i: number): void {
  runs++;
  Atomics.store(out, 2 * i, runs);
  Atomics.store(out, 2 * i + 1, threadId);
}
