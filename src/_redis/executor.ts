// The Executor on Redis: Python's concurrent.futures.Executor whose workers
// are other processes (each running serve(), src/_redis/serve.ts). submit()
// returns a real Future of this library at once; the connection's I/O
// thread settles it when the result is published (src/_redis/io_executor.ts).
import type { RedisConnection } from "./connection.ts";
import { Future, wait } from "../future.ts";
import { unboxed } from "../_futures/async_iter.ts";
import { callerModules } from "../_core/call_sites.ts";
import {
  checkOptions,
  checkSignal,
  deadlineOf,
  describeValue,
  lenientTimeout,
} from "../_core/validate.ts";
import {
  type MapAsyncOptions,
  type MapOptions,
  type ShutdownOptions,
  shutdownOptions,
} from "../executor.ts";
import { results, resultsAsync } from "../_futures/map_results.ts";
import { ThreadError } from "../errors.ts";
import { post } from "./hub.ts";
import {
  baseKey,
  checkMs,
  linkOf,
  optionsObject,
  ownerOfObject,
  RedisObject,
} from "./base.ts";
import { toRedis } from "./codec.ts";

export type { MapAsyncOptions, MapOptions, ShutdownOptions };

/** Options of a Redis Executor. */
export interface ExecutorOptions {
  /**
   * How long a task's result stays in Redis after it finished, in ms.
   *
   * @default {3_600_000}
   */
  resultTtl?: number;
  /**
   * How long a task whose worker stopped renewing it (it died, or lost its
   * connection) stays with that worker before it runs again elsewhere, in
   * ms.
   *
   * @default {30_000}
   */
  taskLease?: number;
}

/** What a task carries: where its function is, and its arguments. */
export interface Task {
  /** The function's export name. */
  name: string;
  /** The modules on the submitter's stack (for messages and ties). */
  modules: string[];
  /** A hash of the function's source, to tell same-named exports apart. */
  source: string;
  /** How long the worker keeps the result, in ms. */
  resultTtl: number;
  /** The arguments, encoded. */
  args: Uint8Array;
}

/** A short hash of a function's source (FNV-1a, hex). */
export function sourceHash(fn: (...args: never[]) => unknown): string {
  const text = Function.prototype.toString.call(fn);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  }
  return (h >>> 0).toString(16);
}

/**
 * Python's `concurrent.futures.Executor` whose workers are processes (on
 * any machine) that called `serve(name, { modules })`. A task runs at least
 * once: a worker that dies mid-task stops renewing it, and after
 * `taskLease` ms it runs again on another worker. Its result stays in
 * Redis for `resultTtl` ms.
 *
 * The function submitted must be exported by a module in the worker's
 * `modules` (found there by its export name); the worker never imports
 * anything a task names. Its arguments and result travel as values stored
 * in Redis do. Futures are the library's own: `wait()`, `asCompleted()`,
 * `result()` and `await` work on them. `cancel()` succeeds while the task
 * waits for a worker; a worker that takes it in that very moment runs it,
 * and its result is dropped.
 *
 * @example
 * ```ts ignore
 * import { connect } from "@weft/threading/redis";
 * import { crunch } from "./tasks.ts";
 *
 * await using redis = await connect("redis://127.0.0.1:6379");
 * const pool = new redis.Executor("crunch");
 * console.log(await pool.submit(crunch, 42));
 * ```
 */
export class RedisExecutor extends RedisObject {
  readonly #resultTtl: number;
  readonly #taskLease: number;
  #shutdown = false;
  #submitted = 0;
  readonly #futures = new Set<Future<unknown>>();
  readonly #described = new WeakMap<
    object,
    { source: string; modules: string[] }
  >();

  /**
   * Names an executor.
   *
   * @param owner The connection.
   * @param name Its name (workers serve it by this name).
   * @param options resultTtl and taskLease.
   */
  constructor(owner: RedisConnection, name: string, options?: ExecutorOptions) {
    const opts = optionsObject(options);
    const resultTtl = opts.resultTtl === undefined
      ? 3_600_000
      : checkMs(opts.resultTtl, "resultTtl");
    const taskLease = opts.taskLease === undefined
      ? 30_000
      : checkMs(opts.taskLease, "taskLease");
    super(owner, "executor", name, { resultTtl, taskLease });
    this.#resultTtl = resultTtl;
    this.#taskLease = taskLease;
  }

  /**
   * Schedules `fn(...args)` on a worker.
   *
   * @typeParam A The function's parameter types.
   * @typeParam R What it returns.
   * @param fn An exported function of a module the workers serve.
   * @param args Its arguments.
   * @returns The future of its result.
   * @throws {ThreadError} The executor is shut down.
   * @throws {TypeError} `fn` is not a named function, or an argument
   * cannot be stored.
   * @throws {ConnectionError} The connection is closed.
   */
  submit<A extends unknown[], R>(
    fn: (...args: A) => R,
    ...args: A
  ): Future<Awaited<R>> {
    if (typeof fn !== "function" || fn.name === "") {
      throw new TypeError(
        `Cannot submit a task: fn must be a named function exported by a ` +
          `module the workers serve, received ${
            typeof fn === "function"
              ? "an anonymous function"
              : describeValue(fn)
          }`,
      );
    }
    if (this.#shutdown) {
      throw new ThreadError("cannot schedule new futures after shutdown");
    }
    // Described once per function (a stack is costly to read).
    let where = this.#described.get(fn);
    if (where === undefined) {
      where = { source: sourceHash(fn), modules: callerModules() };
      this.#described.set(fn, where);
    }
    const task: Task = {
      name: fn.name,
      modules: where.modules,
      source: where.source,
      resultTtl: this.#resultTtl,
      args: toRedis(args, "args"),
    };
    const future = new Future<Awaited<R>>();
    post(linkOf(ownerOfObject(this)), {
      op: "exec.submit",
      key: baseKey(this),
      ct: linkOf(ownerOfObject(this)).connectTimeout,
      task: toRedis(task, "task"),
      future,
      taskLease: this.#taskLease,
    });
    this.#track(future as Future<unknown>);
    return future;
  }

  #track(future: Future<unknown>): void {
    // Forget the done ones every 1,024 submits, so the set stays small.
    if ((++this.#submitted & 1023) === 0) {
      for (const f of this.#futures) if (f.done()) this.#futures.delete(f);
    }
    this.#futures.add(future);
  }

  /**
   * Runs `fn` over `items` on the workers: every item is submitted at
   * once, and the results come in the items' order.
   *
   * @typeParam T The items' type.
   * @typeParam R What `fn` returns.
   * @param fn An exported function of a module the workers serve.
   * @param items The items.
   * @param options A timeout (ms) for all the results, from this call.
   * @returns An iterator of the results.
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
   * {@linkcode map} without blocking the event loop.
   *
   * @typeParam T The items' type.
   * @typeParam R What `fn` returns.
   * @param fn The function.
   * @param items The items.
   * @param options A timeout (ms) and an AbortSignal.
   * @returns An async iterator of the results.
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

  /**
   * Stops taking tasks from this object. With `cancelFutures`, its tasks
   * not started are withdrawn; with `wait` (default), blocks until its
   * other tasks are done.
   *
   * @param options `wait` (default true) and `cancelFutures`.
   */
  shutdown(options?: ShutdownOptions): void {
    const { wait: waiting, cancelFutures } = shutdownOptions(options);
    this.#shutdownNow(cancelFutures);
    if (waiting) wait(this.#futures);
  }

  /**
   * {@linkcode shutdown} with `wait`, without blocking the event loop.
   *
   * @param options `cancelFutures` (default false).
   * @returns When its tasks are done.
   */
  async shutdownAsync(
    options?: Omit<ShutdownOptions, "wait">,
  ): Promise<void> {
    const { cancelFutures } = shutdownOptions(options);
    this.#shutdownNow(cancelFutures);
    for (const f of this.#futures) {
      try {
        await f.resultAsync();
      } catch {
        // Its error is its future's.
      }
    }
  }

  #shutdownNow(cancelFutures: boolean): void {
    this.#shutdown = true;
    if (cancelFutures) { for (const f of this.#futures) f.cancel(); }
  }

  /** `using pool = new redis.Executor(name)`: shuts down, waiting. */
  [Symbol.dispose](): void {
    this.shutdown();
  }

  /**
   * `await using pool = ...`: shuts down, waiting without blocking.
   *
   * @returns When its tasks are done.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdownAsync();
  }
}
