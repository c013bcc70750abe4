/**
 * Python's `concurrent.futures` across threads: {@linkcode ThreadPoolExecutor}
 * runs functions on a pool of worker threads, {@linkcode Future} holds each
 * result, and {@linkcode wait} and {@linkcode asCompleted} wait for many.
 *
 * ```ts
 * import { asCompleted, ThreadPoolExecutor } from "@weft/threading/futures";
 * import assert from "node:assert/strict";
 *
 * using executor = new ThreadPoolExecutor({ maxWorkers: 2 });
 * const futures = [1, 2, 3].map((n) => executor.submit((x: number) => x * 10, n));
 * const results = [...asCompleted(futures)].map((f) => f.result());
 * assert.deepEqual(results.sort((a, b) => a - b), [10, 20, 30]);
 * ```
 *
 * @module
 */
// The module every thread's worker starts from, in main's module graph (see
// _threads/worker.ts): an executor starts threads.
import "./_threads/worker.ts";

export {
  ALL_COMPLETED,
  asCompleted,
  asCompletedAsync,
  type DoneAndNotDone,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  Future,
  type ReturnWhen,
  wait,
  waitAsync,
  type WaitAsyncOptions,
  type WaitOptions,
} from "./future.ts";
export {
  type MapAsyncOptions,
  type MapOptions,
  type ShutdownOptions,
  ThreadPoolExecutor,
  type ThreadPoolExecutorOptions,
} from "./executor.ts";
export {
  BrokenExecutor,
  BrokenThreadPool,
  CancelledError,
  InvalidStateError,
  TimeoutError,
} from "./errors.ts";
