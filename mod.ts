/**
 * Python's `threading` module, made Deno-native: real parallel threads (Deno
 * Workers), with every synchronization primitive in shared memory
 * (SharedArrayBuffer + Atomics), so that it works across threads.
 *
 * ```ts
 * import { Lock, Thread } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * const counter = new Int32Array(new SharedArrayBuffer(4));
 * const lock = new Lock();
 * const threads = [1, 2, 3].map(() =>
 *   new Thread({
 *     target: (c: Int32Array, l: Lock) => {
 *       for (let i = 0; i < 1000; i++) {
 *         using _ = l.hold();
 *         c[0]++;
 *       }
 *     },
 *     args: [counter, lock],
 *   })
 * );
 * for (const t of threads) t.start();
 * for (const t of threads) t.join();
 * assert.equal(counter[0], 3000);
 * ```
 *
 * A thread's target (or Thread subclass) should be exported from its module:
 * the thread loads that module, like Python, and runs its top level but not
 * its `if (import.meta.main)` block. A primitive constructed at a module's
 * top level is the same object in every thread that loads the module, as in
 * Python; plain module variables stay per thread (keep shared data in
 * {@linkcode SharedValue}, {@linkcode SharedList} or {@linkcode SharedMap}).
 * Timeouts are milliseconds.
 *
 * @module
 */
// The module every thread's worker starts from, in main's module graph: a
// worker then finds it cached (see src/_threads/worker.ts).
import "./src/_threads/worker.ts";

export {
  activeCount,
  currentThread,
  enumerate,
  getIdent,
  getNativeId,
  mainThread,
  type ResourceLimits,
  setDefaultResourceLimits,
  setThreadPoolSize,
  sleep,
  Thread,
  type ThreadOptions,
} from "./src/thread.ts";
export {
  type AcquireOptions,
  type AsyncAcquireOptions,
  type HoldAsyncOptions,
  Lock,
  RLock,
} from "./src/lock.ts";
export { Event } from "./src/event.ts";
export { Condition } from "./src/condition.ts";
export { BoundedSemaphore, Semaphore } from "./src/semaphore.ts";
export { Barrier, type BarrierOptions } from "./src/barrier.ts";
export { Timer } from "./src/timer.ts";
export { ThreadLocal } from "./src/local.ts";
export { setModuleSharing, shared } from "./src/shared.ts";
export { SharedValue, type SharedValueOptions } from "./src/shared_value.ts";
export { SharedList, type SharedListOptions } from "./src/shared_list.ts";
export {
  type SharedKey,
  SharedMap,
  type SharedMapOptions,
} from "./src/shared_map.ts";
export {
  BrokenBarrierError,
  DeadlockError,
  MemoryError,
  ThreadError,
} from "./src/errors.ts";
export {
  type DeadlockCycle,
  type DeadlockDetection,
  findDeadlocks,
  setDeadlockDetection,
} from "./src/deadlock.ts";
export {
  startTrace,
  stopTrace,
  timelineHtml,
  type Trace,
  type TraceEvent,
} from "./src/trace.ts";
export * from "./src/futures.ts";
export {
  type ExceptHook,
  excepthook,
  type ExceptHookArgs,
  setExcepthook,
} from "./src/excepthook.ts";
export { TIMEOUT_MAX } from "./src/timeout.ts";
export {
  LifoQueue,
  PriorityQueue,
  type PriorityQueueOptions,
  Queue,
  QueueEmpty,
  QueueFull,
  type QueueOptions,
  QueueShutDown,
  SimpleQueue,
} from "./src/queue.ts";
export {
  type LogFormatter,
  logFormatter,
  type LogRecordLike,
} from "./src/log.ts";
