// A thread whose worker died: V8 ended the worker's isolate when its heap
// reached its limit, so nothing of the thread runs again, and the relay
// marked it (S_DIED, see _relay_worker.ts). The thread is still alive until
// some thread that sees the mark ends it as CPython ends a thread that raised
// MemoryError: its error goes to the excepthook, a task it ran fails with it
// (the executor's part, see executor.ts), and then it ends, so that its
// joiners return. Who sees it first does it: main (from its event loop, or
// woken in any blocking wait), or a thread joining it.
import {
  DEATH_HANDLED,
  DIED,
  MAX_THREADS,
  OBSERVE_TRACE,
  S_DIED,
  S_HEAP_MB,
  slotWord,
} from "../_core/layout.ts";
import { recordLife, TR_THREAD } from "../_observe/trace_buffer.ts";
import { runtime } from "./runtime.ts";
import type { Thread } from "../thread.ts";
import { _reportErrorNow } from "../excepthook.ts";
import { clock, observeFlags, threadEnding } from "../_observe/observe.ts";
import { MemoryError } from "../errors.ts";

/** What the executor does for one of its workers that died. */
type DeathListener = (slot: number, error: MemoryError) => void;
let listener: DeathListener | undefined;

/** Sets what is done for an executor's worker that died (executor.ts). */
export function onExecutorDeath(fn: DeathListener): void {
  listener = fn;
}

/**
 * Reports of deaths still running (a custom excepthook is called
 * asynchronously from a blocking wait): a worker's own thread ends after
 * them.
 */
export const deathReports = new Set<Promise<void>>();

/**
 * Ends the thread in `slot` if its worker died, once, whoever calls. In a
 * blocking wait (`sync`), a custom excepthook is called asynchronously, from
 * a clean stack, and the thread ends at once; otherwise the thread ends once
 * the hook returns (the returned promise).
 */
export function handleDeath(
  slot: number,
  sync: boolean,
): Promise<void> | undefined {
  const reg = runtime().registry;
  const w = reg.words;
  const at = slotWord(slot, S_DIED);
  if (Atomics.compareExchange(w, at, DIED, DEATH_HANDLED) !== DIED) {
    return undefined;
  }
  const gen = reg.gen(slot);
  const thread = runtime().threadIn(slot) as Thread;
  const error = new MemoryError(
    `the thread ran out of memory: its heap limit is ${
      Atomics.load(w, slotWord(slot, S_HEAP_MB))
    } MB (resourceLimits.maxHeapMb)`,
  );
  // Where it ran out is not known here: no stack of the thread that saw it.
  error.stack = `${error.name}: ${error.message}`;
  threadEnding(slot, true);
  if ((observeFlags() & OBSERVE_TRACE) !== 0) {
    recordLife(TR_THREAD, thread.name, 0, clock(), thread.ident!);
  }
  try {
    listener?.(slot, error);
  } catch (failure) {
    // Not the caller's error: it may be in a wait of its own.
    console.error(
      "Exception while failing the task of an executor's worker that died:",
      failure,
    );
  }
  const end = (): void => {
    Atomics.store(w, at, 0);
    reg.finish(slot, gen);
  };
  const report = _reportErrorNow(error, thread);
  if (report === undefined) {
    end();
    return undefined;
  }
  if (!sync) return report.finally(end);
  deathReports.add(report);
  report.finally(() => deathReports.delete(report));
  end();
  return undefined;
}

/** Ends every thread whose worker died (see {@linkcode handleDeath}). */
export function handleDeaths(sync: boolean): void {
  const w = runtime().registry.words;
  for (let slot = 0; slot < MAX_THREADS; slot++) {
    if (Atomics.load(w, slotWord(slot, S_DIED)) === DIED) {
      handleDeath(slot, sync);
    }
  }
}

/** In a join(): ends the joined thread if its worker died. */
export function handleDeathOf(slot: number): void {
  if (Atomics.load(runtime().registry.words, slotWord(slot, S_DIED)) === DIED) {
    handleDeath(slot, true);
  }
}
