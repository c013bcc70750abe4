/**
 * {@linkcode ThreadPoolExecutor}: runs tasks on a pool of worker threads and
 * gives a {@linkcode Future} for each. Python's
 * `concurrent.futures.ThreadPoolExecutor`.
 *
 * @module
 */
import {
  EC_REGISTERED,
  F_ARGS,
  F_FN,
  H_EXECUTOR_COUNTER,
  INDEX_COUNT,
  K_EXECUTOR,
  S_EXECUTOR,
  S_TASK,
  slotWord,
  X_BROKEN,
  X_FLAGS,
  X_FNS,
  X_HEAP_MB,
  X_IDLE,
  X_INIT,
  X_LOCK,
  X_MAX_WORKERS,
  X_PREFIX,
  X_SHUTDOWN,
  X_SPINNER,
  X_THREADS,
  X_WAKE,
  X_WORDS,
  X_WORK,
  X_WORKERS,
} from "./_core/layout.ts";
import {
  adopt,
  adoption,
  create,
  defineKind,
  release,
  retain,
  track,
} from "./_core/handles.ts";
import { heap, wordsAt } from "./_core/heap.ts";
import { get, release as releaseRefs } from "./_structures/ref_array.ts";
import { ringPush, ringShift } from "./_structures/ref_ring.ts";
import { stackPush } from "./_structures/stack.ts";
import {
  checkInteger,
  checkOptions,
  checkSignal,
  deadlineOf,
  describeValue,
  lenientTimeout,
} from "./_core/validate.ts";
import { lockWord, unlockWord, wakeAll, wakeOne } from "./_core/wait.ts";
import { dropMessage, loadMessage, storeMessage } from "./_codec/message.ts";
import { describe } from "./_locate/locate.ts";
import { callerModules } from "./_core/call_sites.ts";
import { cancel, settle } from "./_futures/future_state.ts";
import { _futureRef, Future } from "./future.ts";
import {
  _checkResourceLimits,
  _threadExtra,
  type ResourceLimits,
  type Thread,
} from "./thread.ts";
import { BrokenThreadPool, type MemoryError, ThreadError } from "./errors.ts";
import { onExecutorDeath } from "./_threads/death.ts";
import { runtime } from "./_threads/runtime.ts";
import { unboxed } from "./_futures/async_iter.ts";
import { BROKEN, taskBegins, taskEnds } from "./_futures/tasks.ts";
import { results, resultsAsync } from "./_futures/map_results.ts";
import {
  breakPool,
  ExecutorThread,
  INITIALIZING,
} from "./_futures/executor_worker.ts";

/** Options of {@linkcode ThreadPoolExecutor}: Python's keyword arguments. */
export interface ThreadPoolExecutorOptions {
  /**
   * Worker threads at most (default `Math.min(32, cores + 4)`). They start
   * as tasks come, when no worker is idle.
   */
  maxWorkers?: number;
  /** Workers are named `<prefix>_<i>` (default `ThreadPoolExecutor-N`). */
  threadNamePrefix?: string;
  /**
   * Runs first in each worker, with `initargs`. It follows the rules of a
   * thread target (exported, or self-contained). When it throws, the pool
   * is broken: its pending futures and later `submit()` calls fail with a
   * BrokenThreadPool error.
   */
  // deno-lint-ignore no-explicit-any
  initializer?: (...args: any[]) => unknown;
  /** The initializer's arguments (copied, or shared where they are shared). */
  initargs?: unknown[];
  /**
   * The limits of its workers (default: those of `setDefaultResourceLimits()`
   * when each starts). A worker that runs out of memory fails its task's
   * future with a MemoryError, and is replaced.
   */
  resourceLimits?: ResourceLimits;
}

/** Options of {@linkcode ThreadPoolExecutor.shutdown}. */
export interface ShutdownOptions {
  /** Wait until the workers have run every queued task and ended (default true). */
  wait?: boolean;
  /** Cancel the tasks that have not started (default false). */
  cancelFutures?: boolean;
}

/** Options of {@linkcode ThreadPoolExecutor.map}. */
export interface MapOptions {
  /**
   * Milliseconds from the call within which every result must be ready: a
   * result that is not throws TimeoutError from the iterator.
   */
  timeout?: number;
}

/** Options of {@linkcode ThreadPoolExecutor.mapAsync}. */
export interface MapAsyncOptions extends MapOptions {
  /** Aborting it cancels the tasks not started and rejects the iterator. */
  signal?: AbortSignal;
}

const CORES = navigator.hardwareConcurrency || 1;

let replaceWorker: (executor: ThreadPoolExecutor) => void;

/**
 * A pool of worker threads that run submitted functions: Python's
 * `concurrent.futures.ThreadPoolExecutor`. `submit()` returns a
 * {@linkcode Future}; `map()` runs a function over items in parallel and
 * yields the results in order. `using` stands for Python's `with`: the
 * executor is shut down (waiting for its tasks) at the end of the block.
 *
 * A submitted function follows the rules of a thread target: exported from
 * an importable module, or self-contained. Its arguments and result cross
 * threads by the rules of what can be passed (copied, or shared for shared
 * memory and this module's primitives). It may be async: its future is done
 * when the promise settles. Tasks go to idle workers through shared memory:
 * no thread is started and no message posted per task.
 *
 * An executor can be passed to other threads, which can submit to it too.
 * At process exit, submitted tasks still run, as in Python.
 *
 * @example
 * ```ts
 * import { ThreadPoolExecutor } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * using executor = new ThreadPoolExecutor({ maxWorkers: 2 });
 * const future = executor.submit((a: number, b: number) => a + b, 20, 22);
 * assert.equal(future.result(), 42);
 * assert.deepEqual([...executor.map((x: number) => x * x, [1, 2, 3])], [1, 4, 9]);
 * ```
 */
export class ThreadPoolExecutor {
  #ref: number;
  #w: Int32Array;
  /** Ids of the functions this thread submitted, in this executor. */
  #ids = new WeakMap<object, number>();
  #prefix: string | undefined;

  /**
   * Creates an executor; its workers start as tasks are submitted.
   *
   * @param options The most workers, their names' prefix, an initializer,
   * the workers' resource limits.
   * @throws {TypeError} An option of the wrong type.
   * @throws {RangeError} `maxWorkers` is not a positive integer, or a heap
   * limit is out of range.
   */
  constructor(options?: ThreadPoolExecutorOptions) {
    const adopted = adoption(K_EXECUTOR);
    if (adopted !== 0) {
      this.#ref = adopted;
      this.#w = wordsAt(adopted, X_WORDS);
      track(this, adopted);
      return;
    }
    const {
      maxWorkers,
      threadNamePrefix,
      initializer,
      initargs,
      resourceLimits,
    } = checkOptions(options) ?? {};
    const heapMb = _checkResourceLimits(
      resourceLimits,
      "Cannot create a ThreadPoolExecutor",
    );
    const max = maxWorkers === undefined
      ? Math.min(32, CORES + 4)
      : checkInteger(maxWorkers, "maxWorkers", 1);
    if (
      threadNamePrefix !== undefined && typeof threadNamePrefix !== "string"
    ) {
      throw new TypeError(
        `Cannot create a ThreadPoolExecutor: threadNamePrefix must be a ` +
          `string, received ${describeValue(threadNamePrefix)}`,
      );
    }
    if (initializer !== undefined && typeof initializer !== "function") {
      throw new TypeError(
        `Cannot create a ThreadPoolExecutor: initializer must be a ` +
          `function, received ${describeValue(initializer)}`,
      );
    }
    if (initargs !== undefined && !Array.isArray(initargs)) {
      throw new TypeError(
        `Cannot create a ThreadPoolExecutor: initargs must be an array, ` +
          `received ${describeValue(initargs)}`,
      );
    }
    const prefix = threadNamePrefix ||
      `ThreadPoolExecutor-${
        Atomics.add(runtime().registry.words, H_EXECUTOR_COUNTER, 1)
      }`;
    const ref = create(K_EXECUTOR, X_WORDS * 4);
    const w = wordsAt(ref, X_WORDS);
    w[X_MAX_WORKERS] = max;
    w[X_HEAP_MB] = heapMb ?? 0;
    try {
      w[X_PREFIX] = storeMessage(prefix, "threadNamePrefix", () => []);
      if (initializer !== undefined) {
        const callers = callerModules();
        w[X_INIT] = storeMessage(
          [describe(initializer, callers), initargs ?? []],
          "initargs",
          () => callers,
        );
      }
    } catch (error) {
      destroyExecutor(ref);
      release(ref);
      throw error;
    }
    this.#ref = ref;
    this.#w = w;
    this.#prefix = prefix;
    track(this, ref);
  }

  static {
    defineKind(K_EXECUTOR, ThreadPoolExecutor, (e) => e.#ref, {
      destroy: destroyExecutor,
    });
    replaceWorker = (e) => e.#replaceWorker();
  }

  /** The id of `fn` in this executor, registered on its first submit. */
  #idOf(fn: (...args: never[]) => unknown): number {
    const known = this.#ids.get(fn);
    if (known !== undefined) return known;
    const message = storeMessage(
      describe(fn, callerModules()),
      "fn",
      () => [],
    );
    const w = this.#w;
    lockWord(w, X_LOCK, Infinity);
    let id: number;
    try {
      id = w[X_FNS + INDEX_COUNT];
      stackPush(w, X_FNS, message);
    } catch (error) {
      dropMessage(message);
      throw error;
    } finally {
      unlockWord(w, X_LOCK);
    }
    this.#ids.set(fn, id);
    return id;
  }

  /**
   * Schedules `fn(...args)` to run in a worker thread.
   *
   * @typeParam A The function's parameter types.
   * @typeParam R What it returns.
   * @param fn The function (exported, or self-contained).
   * @param args Its arguments.
   * @returns The future of its result.
   * @throws {ThreadError} The executor is shut down.
   * @throws {BrokenThreadPool} An initializer failed.
   * @throws {TypeError} `fn` is not a function, or an argument cannot
   * cross threads.
   */
  submit<A extends unknown[], R>(
    fn: (...args: A) => R,
    ...args: A
  ): Future<Awaited<R>> {
    if (typeof fn !== "function") {
      throw new TypeError(
        `Cannot submit a task: fn must be a function, received ${
          describeValue(fn)
        }`,
      );
    }
    const w = this.#w;
    this.#checkOpen();
    const id = this.#idOf(fn);
    let modules: string[] | undefined;
    const message = storeMessage(
      args,
      "args",
      () => modules ??= callerModules(),
    );
    const future = new Future<Awaited<R>>();
    const ref = _futureRef(future);
    const i32 = heap().i32;
    i32[ref + F_FN] = id;
    i32[ref + F_ARGS] = message;
    // The queue's reference: the worker that takes the task drops it.
    retain(ref);
    let wake = false;
    lockWord(w, X_LOCK, Infinity);
    try {
      this.#checkOpen();
      ringPush(w, X_WORK, ref);
      // An idle worker spinning for work takes it: no need to wake another.
      wake = w[X_WAKE + EC_REGISTERED] > 0 && w[X_SPINNER] === 0;
    } catch (error) {
      release(ref);
      throw error;
    } finally {
      unlockWord(w, X_LOCK);
    }
    taskBegins(w);
    if (wake) wakeOne(w, X_WAKE);
    this.#adjustThreadCount();
    return future;
  }

  #checkOpen(): void {
    const flags = Atomics.load(this.#w, X_FLAGS);
    if ((flags & X_BROKEN) !== 0) throw new BrokenThreadPool(BROKEN);
    if ((flags & X_SHUTDOWN) !== 0) {
      throw new ThreadError("cannot schedule new futures after shutdown");
    }
  }

  /** Python's _adjust_thread_count: an idle worker, or a new one. */
  #adjustThreadCount(): void {
    const w = this.#w;
    // All started: the idle count is never looked at again.
    if (Atomics.load(w, X_THREADS) >= w[X_MAX_WORKERS]) return;
    for (let idle = Atomics.load(w, X_IDLE); idle > 0;) {
      const seen = Atomics.compareExchange(w, X_IDLE, idle, idle - 1);
      if (seen === idle) return;
      idle = seen;
    }
    lockWord(w, X_LOCK, Infinity);
    const n = w[X_THREADS];
    const more = n < w[X_MAX_WORKERS] && (w[X_FLAGS] & X_SHUTDOWN) === 0;
    if (more) w[X_THREADS] = n + 1;
    unlockWord(w, X_LOCK);
    if (more) this.#startWorker(n);
  }

  /**
   * Replaces a worker that died (it ran out of memory), if tasks wait: even
   * after shutdown, queued tasks still run, as in Python.
   */
  #replaceWorker(): void {
    const w = this.#w;
    lockWord(w, X_LOCK, Infinity);
    w[X_THREADS]--;
    const n = w[X_THREADS];
    const more = w[X_WORK + INDEX_COUNT] > 0;
    if (more) w[X_THREADS] = n + 1;
    unlockWord(w, X_LOCK);
    if (more) this.#startWorker(n);
  }

  /** Starts worker number `n` (counted in X_THREADS already). */
  #startWorker(n: number): void {
    const w = this.#w;
    this.#prefix ??= loadMessage(w[X_PREFIX], false) as string;
    const heapMb = w[X_HEAP_MB];
    const thread = new ExecutorThread({
      name: `${this.#prefix}_${n}`,
      daemon: true,
      resourceLimits: heapMb === 0 ? undefined : { maxHeapMb: heapMb },
    });
    _threadExtra(thread).executor = this;
    try {
      thread.start();
    } catch (error) {
      lockWord(w, X_LOCK, Infinity);
      w[X_THREADS]--;
      unlockWord(w, X_LOCK);
      throw error;
    }
    const message = storeMessage(thread, "thread", () => []);
    lockWord(w, X_LOCK, Infinity);
    try {
      stackPush(w, X_WORKERS, message);
    } finally {
      unlockWord(w, X_LOCK);
    }
  }

  /**
   * Runs `fn` over `items` in parallel: every item is submitted at once,
   * and the iterator yields the results in the items' order, throwing a
   * task's error when its result is reached. Closing the iterator early
   * cancels the tasks not started.
   *
   * @typeParam T The items' type.
   * @typeParam R What `fn` returns.
   * @param fn The function (exported, or self-contained).
   * @param items The items.
   * @param options A timeout (ms) for all the results, from this call.
   * @returns An iterator of the results.
   * @throws {ThreadError} The executor is shut down.
   * @throws {TimeoutError} (from the iterator) A result not ready in time.
   */
  map<T, R>(
    fn: (item: T) => R,
    items: Iterable<T>,
    options?: MapOptions,
  ): IterableIterator<Awaited<R>> {
    checkOptions(options);
    const deadline = deadlineOf(lenientTimeout(options?.timeout));
    return results(this.#submitEach(fn, items), deadline);
  }

  /**
   * {@linkcode ThreadPoolExecutor.map} without blocking the event loop.
   *
   * @typeParam T The items' type.
   * @typeParam R What `fn` returns.
   * @param fn The function (exported, or self-contained).
   * @param items The items.
   * @param options A timeout (ms) for all the results, and an AbortSignal.
   * @returns An async iterator of the results.
   * @throws {ThreadError} The executor is shut down.
   * @throws {TimeoutError} (from the iterator) A result not ready in time.
   */
  mapAsync<T, R>(
    fn: (item: T) => R,
    items: Iterable<T>,
    options?: MapAsyncOptions,
  ): AsyncIterableIterator<Awaited<R>> {
    checkOptions(options);
    const signal = checkSignal(options?.signal);
    const deadline = deadlineOf(lenientTimeout(options?.timeout));
    signal?.throwIfAborted();
    return unboxed(
      resultsAsync(this.#submitEach(fn, items), deadline, signal),
    );
  }

  /** map()'s submissions: every item at once, as Python's map. */
  #submitEach<T, R>(
    fn: (item: T) => R,
    items: Iterable<T>,
  ): Future<Awaited<R>>[] {
    if (
      items === null ||
      typeof items !== "object" && typeof items !== "string" ||
      typeof (items as Iterable<T>)[Symbol.iterator] !== "function"
    ) {
      throw new TypeError(
        `Cannot map: items must be iterable, received ${describeValue(items)}`,
      );
    }
    const futures: Future<Awaited<R>>[] = [];
    for (const item of items) futures.push(this.submit(fn, item));
    return futures;
  }

  /** Marks the executor shut down; cancels the queued tasks if asked. */
  #shutdownNow(cancelFutures: boolean): void {
    const w = this.#w;
    const drained: number[] = [];
    lockWord(w, X_LOCK, Infinity);
    Atomics.or(w, X_FLAGS, X_SHUTDOWN);
    if (cancelFutures) {
      while (w[X_WORK + INDEX_COUNT] > 0) drained.push(ringShift(w, X_WORK));
    }
    unlockWord(w, X_LOCK);
    wakeAll(w, X_WAKE);
    for (const future of drained) {
      cancel(future);
      taskEnds(w, future);
    }
  }

  /** The executor's worker threads. */
  #workers(): Thread[] {
    const w = this.#w;
    const messages: number[] = [];
    lockWord(w, X_LOCK, Infinity);
    for (let i = 0; i < w[X_WORKERS + INDEX_COUNT]; i++) {
      messages.push(get(w, X_WORKERS, i));
    }
    unlockWord(w, X_LOCK);
    return messages.map((m) => loadMessage(m, false) as Thread);
  }

  /**
   * Stops taking tasks. The queued ones still run, unless `cancelFutures`;
   * with `wait` (the default), blocks until every worker has ended. Calling
   * it again is harmless.
   *
   * @param options `wait` (default true) and `cancelFutures` (default
   * false).
   * @throws {TypeError} Options of the wrong type.
   */
  shutdown(options?: ShutdownOptions): void {
    const { wait, cancelFutures } = shutdownOptions(options);
    this.#shutdownNow(cancelFutures);
    if (wait) { for (const t of this.#workers()) t.join(); }
  }

  /**
   * {@linkcode ThreadPoolExecutor.shutdown} with `wait`, without blocking
   * the event loop.
   *
   * @param options `cancelFutures` (default false).
   * @returns A promise that resolves when every worker has ended.
   * @throws {TypeError} (rejects) Options of the wrong type.
   */
  async shutdownAsync(
    options?: Omit<ShutdownOptions, "wait">,
  ): Promise<void> {
    const { cancelFutures } = shutdownOptions(options);
    this.#shutdownNow(cancelFutures);
    for (const t of this.#workers()) await t.joinAsync();
  }

  /** `using executor = ...`: shuts down at the end of the block, waiting. */
  [Symbol.dispose](): void {
    this.shutdown();
  }

  /**
   * `await using executor = ...`: shuts down at the end of the block,
   * waiting without blocking the event loop.
   *
   * @returns A promise that resolves when every worker has ended.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdownAsync();
  }
}

export function shutdownOptions(
  options: ShutdownOptions | undefined,
): { wait: boolean; cancelFutures: boolean } {
  checkOptions(options);
  const wait = options?.wait ?? true;
  const cancelFutures = options?.cancelFutures ?? false;
  for (
    const [name, value] of [["wait", wait], ["cancelFutures", cancelFutures]]
  ) {
    if (typeof value !== "boolean") {
      throw new TypeError(
        `Cannot shut down: ${name} must be a boolean, received ${
          describeValue(value)
        }`,
      );
    }
  }
  return { wait, cancelFutures } as { wait: boolean; cancelFutures: boolean };
}

function destroyExecutor(ref: number): void {
  const i32 = heap().i32;
  for (const at of [X_FNS, X_WORKERS]) {
    for (let i = 0; i < i32[ref + at + INDEX_COUNT]; i++) {
      dropMessage(get(i32, ref + at, i));
    }
    releaseRefs(i32, ref + at);
  }
  // Tasks no worker will take (none could start): they are not pending.
  const w = wordsAt(ref, X_WORDS);
  while (w[X_WORK + INDEX_COUNT] > 0) {
    const future = ringShift(w, X_WORK);
    cancel(future);
    taskEnds(w, future);
  }
  releaseRefs(i32, ref + X_WORK);
  if (i32[ref + X_PREFIX] !== 0) dropMessage(i32[ref + X_PREFIX]);
  if (i32[ref + X_INIT] !== 0) dropMessage(i32[ref + X_INIT]);
}

// A worker that died (it ran out of memory) while it ran a task: the task's
// future fails with the error, and the worker is replaced. One that died in
// the initializer breaks the pool, as an initializer that throws does.
onExecutorDeath((slot: number, error: MemoryError) => {
  const registry = runtime().registry.words;
  const ref = Atomics.load(registry, slotWord(slot, S_EXECUTOR));
  if (ref === 0) return;
  const w = wordsAt(ref, X_WORDS);
  const future = Atomics.load(registry, slotWord(slot, S_TASK));
  if (future === INITIALIZING) {
    breakPool(w);
    return;
  }
  if (future !== 0) {
    const message = storeMessage(error, "error", () => []);
    if (!settle(future, message, true)) dropMessage(message);
    taskEnds(w, future);
  }
  replaceWorker(adopt(K_EXECUTOR, ref) as ThreadPoolExecutor);
});
