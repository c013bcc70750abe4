// A module whose top level makes a Lock directly and a SharedValue through a
// function (one per thread: worth a warning).
import { Lock, SharedValue } from "../mod.ts";
import { shareOf } from "../src/_core/handles.ts";

function make<T>(build: () => T): T {
  return build();
}

export const lock = new Lock();
export const counter = make(() => new SharedValue(0));

/** Reports the block of this thread's module-level lock. */
export function reportLock(out: Int32Array): void {
  Atomics.store(out, 0, shareOf(lock)!.ref);
}
