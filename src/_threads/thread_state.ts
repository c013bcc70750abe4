// Per-thread state of a reused worker: the one owner of what a thread must not
// see of the thread that ran before it in the same worker. A new thread bumps
// the epoch (ThreadLocals keep their values per epoch, see local.ts), drops
// the timers the previous thread left, and runs the library's own resets.
// No code of the user's runs here, so starting a thread never fails or
// blocks on it: what would (a ThreadLocal subclass's constructor) runs
// lazily in the new thread, the first time it touches the local.

import { runtime } from "./runtime.ts";
import { S_IDENT } from "../_core/layout.ts";

let epoch = 0;
const resets: (() => void)[] = [];

/** Which thread of this isolate runs now: it changes with every thread. */
export function threadEpoch(): number {
  return epoch;
}

/** Registers a reset of this library's per-thread caches. */
export function onNewThread(reset: () => void): void {
  resets.push(reset);
}

type TimerId = ReturnType<typeof setTimeout>;
const timers = new Set<TimerId>();

// The calling thread's ident, cached until the worker runs another thread.
let ident = 0;

/** The calling thread's ident (currentThread().ident), cached. */
export function ownIdent(): number {
  if (ident !== 0) return ident;
  const rt = runtime();
  return ident = rt.registry.load(rt.slot, S_IDENT);
}

/** Begins a new thread in this isolate: nothing of the previous one remains. */
export function beginThread(): void {
  epoch++;
  ident = 0;
  for (const id of timers) clearTimeout(id);
  timers.clear();
  for (const reset of resets) {
    try {
      reset();
    } catch (error) {
      console.error(
        "@weft/threading: resetting per-thread state failed:",
        error,
      );
    }
  }
}

/** In a worker: tracks timers, so that a thread's timers end with it. */
export function trackTimers(): void {
  const { setTimeout, setInterval, clearTimeout, clearInterval } = globalThis;
  type Callback = (...args: unknown[]) => void;
  Object.assign(globalThis, {
    setTimeout: (fn: Callback, delay?: number, ...args: unknown[]) => {
      const id = setTimeout(
        (...a: unknown[]) => {
          timers.delete(id);
          fn(...a);
        },
        delay,
        ...args,
      );
      timers.add(id);
      return id;
    },
    setInterval: (...args: Parameters<typeof setInterval>) => {
      const id = setInterval(...args);
      timers.add(id);
      return id;
    },
    clearTimeout: (id?: TimerId) => {
      if (id !== undefined) timers.delete(id);
      clearTimeout(id);
    },
    clearInterval: (id?: TimerId) => {
      if (id !== undefined) timers.delete(id);
      clearInterval(id);
    },
  });
}
