// What an executor's tasks count in the process: Python's exit waits for the
// tasks submitted and not done (the executor's client counts a task in when
// it is submitted, its worker counts it out), and a task's future is kept by
// the queue until then.
import { H_PENDING_TASKS, X_PENDING } from "../_core/layout.ts";
import { release } from "../_core/handles.ts";
import { runtime } from "../_threads/runtime.ts";

/** Why a pool whose initializer failed refuses tasks (Python's words). */
export const BROKEN =
  "A thread initializer failed, the thread pool is not usable anymore";

/**
 * A task is submitted to the executor `w`. Python's exit waits for the
 * tasks submitted and not done: the process counts the executors that have
 * some (one shared word changed per executor that becomes busy or idle, not
 * per task).
 */
export function taskBegins(w: Int32Array): void {
  if (Atomics.add(w, X_PENDING, 1) === 0) {
    Atomics.add(runtime().registry.words, H_PENDING_TASKS, 1);
  }
}

/** A task of the executor `w` is done or dropped: drops its future's reference. */
export function taskEnds(w: Int32Array, future: number): void {
  release(future);
  if (Atomics.sub(w, X_PENDING, 1) !== 1) return;
  const words = runtime().registry.words;
  if (Atomics.sub(words, H_PENDING_TASKS, 1) === 1) {
    Atomics.notify(words, H_PENDING_TASKS);
  }
}
