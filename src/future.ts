/**
 * {@linkcode Future}: the result of a task that runs in another thread, and
 * the functions that wait for many: {@linkcode wait} and
 * {@linkcode asCompleted}. Python's `concurrent.futures.Future`.
 *
 * @module
 */
import {
  F_WORDS,
  FUTURE_CANCELLED,
  FUTURE_FINISHED,
  FUTURE_RUNNING,
  K_FUTURE,
} from "./_core/layout.ts";
import { adoption, create, defineKind, track } from "./_core/handles.ts";
import {
  checkOptions,
  checkSignal,
  deadlineOf,
  describeValue,
  lenientTimeout,
  liveSignal,
} from "./_core/validate.ts";
import {
  newStep,
  type Protocol,
  run,
  runAsync,
  type Step,
} from "./_core/wait.ts";
import {
  cancel,
  destroyFuture,
  doneSteps,
  freeWatcher,
  isDone,
  markRunning,
  newWatcher,
  nextDoneSteps,
  outcomeOf,
  settle,
  stateOf,
  unwatch,
  watch,
} from "./_futures/future_state.ts";
import {
  dropMessage,
  loadMessage,
  loadMessageAsync,
  storeMessage,
} from "./_codec/message.ts";
import { callerModules } from "./_core/call_sites.ts";
import { unboxed } from "./_futures/async_iter.ts";
import {
  CancelledError,
  InvalidStateError,
  ThreadError,
  TimeoutError,
} from "./errors.ts";

/** `wait()` returns when any future finishes or is cancelled. */
export const FIRST_COMPLETED = "FIRST_COMPLETED";
/** `wait()` returns when any future finishes by throwing, or all are done. */
export const FIRST_EXCEPTION = "FIRST_EXCEPTION";
/** `wait()` returns when every future is done. */
export const ALL_COMPLETED = "ALL_COMPLETED";

/** When {@linkcode wait} returns. */
export type ReturnWhen =
  | typeof FIRST_COMPLETED
  | typeof FIRST_EXCEPTION
  | typeof ALL_COMPLETED;

/** Options of {@linkcode wait} and {@linkcode waitAsync}. */
export interface WaitOptions {
  /** Milliseconds to wait at most (default: forever). */
  timeout?: number;
  /** When to return (default `ALL_COMPLETED`). */
  returnWhen?: ReturnWhen;
}

/** Options of {@linkcode waitAsync}: {@linkcode WaitOptions} and a signal. */
export interface WaitAsyncOptions extends WaitOptions {
  /** Aborting it rejects the wait with the signal's reason. */
  signal?: AbortSignal;
}

/** What {@linkcode wait} returns: Python's `DoneAndNotDoneFutures`. */
export interface DoneAndNotDone<T> {
  /** The futures that finished or were cancelled. */
  done: Set<Future<T>>;
  /** The others. */
  notDone: Set<Future<T>>;
}

const STATE_NAMES = ["pending", "running", "cancelled", "finished", "running"];

let refOf: <T>(future: Future<T>) => number;
let observed: <T>(future: Future<T>) => void;

/**
 * The eventual result of a task: Python's `concurrent.futures.Future`. An
 * executor's `submit()` returns one; `result()` blocks the calling thread
 * until the task is done, and `await future` waits without blocking. A
 * future can be passed to other threads (it is shared, not copied), and
 * waited on there.
 *
 * `setResult()`, `setException()` and `setRunningOrNotifyCancel()` are for
 * executors and tests, as in Python.
 *
 * @typeParam T The result's type.
 *
 * @example A future set by hand
 * ```ts
 * import { Future } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * const future = new Future<number>();
 * const seen: number[] = [];
 * future.addDoneCallback((f) => seen.push(f.result()));
 * future.setResult(42);
 * assert.equal(future.result(), 42);
 * assert.deepEqual(seen, [42]);
 * assert.equal(await future, 42);
 * ```
 */
export class Future<T = unknown> implements PromiseLike<T> {
  #ref: number;
  /** The decoded outcome, once read in this thread. */
  #outcome: { value: unknown } | undefined;
  #callbacks: ((future: Future<T>) => void)[] | undefined;
  #watching = false;
  #settled: Promise<T> | undefined;

  /** Creates a pending future. */
  constructor() {
    this.#ref = adoption(K_FUTURE) || create(K_FUTURE, F_WORDS * 4);
    track(this, this.#ref);
  }

  static {
    defineKind(K_FUTURE, Future, (f) => f.#ref, { destroy: destroyFuture });
    refOf = (f) => f.#ref;
    observed = (f) => f.#observed();
  }

  #state(): number {
    return stateOf(this.#ref);
  }

  /** Runs this thread's done callbacks once the future is seen done. */
  #observed(): void {
    const callbacks = this.#callbacks;
    if (callbacks === undefined) return;
    this.#callbacks = undefined;
    for (const fn of callbacks) {
      try {
        fn(this);
      } catch (error) {
        console.error(`exception calling callback for ${this}`, error);
      }
    }
  }

  /**
   * Cancels the task if it has not started. The future's done callbacks in
   * this thread run at once.
   *
   * @returns Whether the future is cancelled now (false: it is running or
   * finished).
   */
  cancel(): boolean {
    const cancelled = cancel(this.#ref);
    if (cancelled) this.#observed();
    return cancelled;
  }

  /**
   * Whether the future was cancelled.
   *
   * @returns True once cancelled.
   */
  cancelled(): boolean {
    return this.#state() === FUTURE_CANCELLED;
  }

  /**
   * Whether the task is running now.
   *
   * @returns True while it runs.
   */
  running(): boolean {
    return this.#state() === FUTURE_RUNNING;
  }

  /**
   * Whether the future is done: finished or cancelled.
   *
   * @returns True once done.
   */
  done(): boolean {
    const done = isDone(this.#state());
    if (done) this.#observed();
    return done;
  }

  /** Waits (blocking) until done or `timeout`; whether it is done. */
  #waitDone(timeout: unknown): boolean {
    const t = lenientTimeout(timeout);
    if (isDone(this.#state())) return true;
    if (t === 0) return false;
    return run(doneSteps(this.#ref, deadlineOf(t), newStep()));
  }

  /**
   * After a wait: throws TimeoutError if the future is not done, else runs
   * this thread's callbacks, and throws CancelledError if it was cancelled.
   */
  #checkDone(): void {
    const state = this.#state();
    if (state !== FUTURE_CANCELLED && state !== FUTURE_FINISHED) {
      throw new TimeoutError();
    }
    this.#observed();
    if (state === FUTURE_CANCELLED) throw new CancelledError();
  }

  /** The outcome, decoded once in this thread. */
  #read(): { value: unknown; failed: boolean } {
    const { message, failed } = outcomeOf(this.#ref);
    this.#outcome ??= { value: loadMessage(message, false) };
    return { value: this.#outcome.value, failed };
  }

  async #readAsync(): Promise<{ value: unknown; failed: boolean }> {
    const { message, failed } = outcomeOf(this.#ref);
    this.#outcome ??= { value: await loadMessageAsync(message, false) };
    return { value: this.#outcome.value, failed };
  }

  /**
   * Blocks the calling thread until the task is done, and returns its
   * result: throws the error it threw (an instance of its class, when that
   * is a built-in or exported one).
   *
   * @param timeout Milliseconds to wait at most (default: forever).
   * @returns The result.
   * @throws {CancelledError} The future was cancelled.
   * @throws {TimeoutError} Not done within `timeout`.
   * @throws {TypeError} A bad timeout, or a result of a class this thread
   * has not loaded (`await` the future instead: it imports it). The result
   * stays in the future; the error names the class and its module, and
   * holds the result's data in its `value`.
   */
  result(timeout?: number): T {
    this.#waitDone(timeout);
    this.#checkDone();
    const { value, failed } = this.#read();
    if (failed) throw value;
    return value as T;
  }

  /**
   * {@linkcode Future.result} without blocking the event loop (`await
   * future` is this without a timeout).
   *
   * @param timeout Milliseconds to wait at most (default: forever).
   * @param options An AbortSignal: aborting rejects with its reason.
   * @returns A promise of the result.
   * @throws {CancelledError} (rejects) The future was cancelled.
   * @throws {TimeoutError} (rejects) Not done within `timeout`.
   */
  async resultAsync(
    timeout?: number,
    options?: { signal?: AbortSignal },
  ): Promise<T> {
    const t = lenientTimeout(timeout);
    checkOptions(options);
    const signal = liveSignal(options?.signal);
    if (!isDone(this.#state()) && t > 0) {
      await runAsync(doneSteps(this.#ref, deadlineOf(t), newStep()), signal);
    }
    this.#checkDone();
    const { value, failed } = await this.#readAsync();
    if (failed) throw value;
    return value as T;
  }

  /**
   * Blocks the calling thread until the task is done, and returns the error
   * it threw.
   *
   * @param timeout Milliseconds to wait at most (default: forever).
   * @returns The error, or undefined when the task succeeded.
   * @throws {CancelledError} The future was cancelled.
   * @throws {TimeoutError} Not done within `timeout`.
   */
  exception(timeout?: number): unknown {
    this.#waitDone(timeout);
    this.#checkDone();
    const { message, failed } = outcomeOf(this.#ref);
    if (!failed) return undefined;
    this.#outcome ??= { value: loadMessage(message, false) };
    return this.#outcome.value;
  }

  /**
   * Calls `fn(future)` in this thread when the future is done (at once if
   * it is), after the callbacks added before it. An error it throws is
   * printed and ignored.
   *
   * @param fn The callback.
   * @throws {TypeError} If `fn` is not a function.
   */
  addDoneCallback(fn: (future: Future<T>) => void): void {
    if (typeof fn !== "function") {
      throw new TypeError(
        `Cannot add a done callback: received ${describeValue(fn)}`,
      );
    }
    (this.#callbacks ??= []).push(fn);
    if (isDone(this.#state())) return this.#observed();
    if (this.#watching) return;
    this.#watching = true;
    runAsync(doneSteps(this.#ref, Infinity, newStep())).then(() => {
      this.#watching = false;
      this.#observed();
    });
  }

  /**
   * Makes the future awaitable: resolves with the result, rejects with the
   * task's error, or with a CancelledError.
   *
   * @typeParam R1 What `onFulfilled` returns.
   * @typeParam R2 What `onRejected` returns.
   * @param onFulfilled Called with the result.
   * @param onRejected Called with the error.
   * @returns A promise of what the handler returns.
   */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    this.#settled ??= this.resultAsync();
    return this.#settled.then(onFulfilled, onRejected);
  }

  /**
   * Marks the future running, unless it was cancelled: executors call it
   * before they run the task.
   *
   * @returns False if the future was cancelled (do not run the task), true
   * if it is running now.
   * @throws {ThreadError} The future is running or done already.
   */
  setRunningOrNotifyCancel(): boolean {
    const running = markRunning(this.#ref);
    if (running === undefined) {
      throw new ThreadError(`Future in unexpected state: ${this}`);
    }
    return running;
  }

  #set(value: unknown, failed: boolean): void {
    const state = this.#state();
    if (state === FUTURE_CANCELLED || state === FUTURE_FINISHED) {
      throw new InvalidStateError(`${STATE_NAMES[state]}: ${this}`);
    }
    const message = storeMessage(
      value,
      failed ? "error" : "result",
      callerModules,
    );
    if (!settle(this.#ref, message, failed)) {
      dropMessage(message);
      throw new InvalidStateError(`${STATE_NAMES[this.#state()]}: ${this}`);
    }
    this.#observed();
  }

  /**
   * Finishes the future with a result, waking its waiters in every thread.
   *
   * @param value The result (copied, or shared where it is shared memory).
   * @throws {InvalidStateError} The future is done already.
   * @throws {TypeError} A value that cannot cross threads.
   */
  setResult(value: T): void {
    this.#set(value, false);
  }

  /**
   * Finishes the future with an error, waking its waiters in every thread.
   *
   * @param error What `result()` will throw.
   * @throws {InvalidStateError} The future is done already.
   * @throws {TypeError} A value that cannot cross threads.
   */
  setException(error: unknown): void {
    this.#set(error, true);
  }

  /**
   * Python's repr: `<Future state=pending>`, `<Future state=finished>`...
   *
   * @returns The future's state.
   */
  toString(): string {
    const state = this.#state();
    if (state !== FUTURE_FINISHED) {
      return `<Future state=${STATE_NAMES[state]}>`;
    }
    const { failed } = outcomeOf(this.#ref);
    return `<Future state=finished ${failed ? "raised" : "returned"}>`;
  }
}

/** For the executor: the ref of a future's block. */
export function _futureRef<T>(future: Future<T>): number {
  return refOf(future);
}

function checkFutures<T>(
  futures: Iterable<Future<T>>,
): Map<number, Future<T>[]> {
  if (
    futures === null ||
    typeof futures !== "object" && typeof futures !== "function" ||
    typeof (futures as Iterable<Future<T>>)[Symbol.iterator] !== "function"
  ) {
    throw new TypeError(
      `Cannot wait for futures: received ${describeValue(futures)}`,
    );
  }
  const byRef = new Map<number, Future<T>[]>();
  const seen = new Set<Future<T>>();
  for (const f of futures) {
    if (!(f instanceof Future)) {
      throw new TypeError(
        `Cannot wait for futures: received ${describeValue(f)} among them`,
      );
    }
    if (seen.has(f)) continue;
    seen.add(f);
    const ref = refOf(f);
    const list = byRef.get(ref);
    if (list === undefined) byRef.set(ref, [f]);
    else list.push(f);
  }
  return byRef;
}

function checkReturnWhen(value: unknown): ReturnWhen {
  if (
    value !== FIRST_COMPLETED && value !== FIRST_EXCEPTION &&
    value !== ALL_COMPLETED
  ) {
    throw new TypeError(
      `Cannot wait for futures: returnWhen must be FIRST_COMPLETED, ` +
        `FIRST_EXCEPTION or ALL_COMPLETED, received ${describeValue(value)}`,
    );
  }
  return value;
}

/** Sorts futures into done and not done, until `returnWhen` holds. */
function* waitSteps<T>(
  byRef: Map<number, Future<T>[]>,
  returnWhen: ReturnWhen,
  deadline: number,
  step: Step,
): Protocol<DoneAndNotDone<T>> {
  const doneRefs = new Set<number>();
  const pending = new Set<number>();
  let failed = false;
  const enough = (): boolean =>
    pending.size === 0 ||
    (returnWhen === FIRST_COMPLETED && doneRefs.size > 0) ||
    (returnWhen === FIRST_EXCEPTION && failed);
  const markDone = (ref: number): void => {
    pending.delete(ref);
    doneRefs.add(ref);
    if (stateOf(ref) === FUTURE_FINISHED && outcomeOf(ref).failed) {
      failed = true;
    }
  };
  for (const ref of byRef.keys()) {
    if (isDone(stateOf(ref))) markDone(ref);
    else pending.add(ref);
  }
  if (!enough() && performance.now() < deadline) {
    const watcher = newWatcher();
    const watched: number[] = [];
    try {
      for (const ref of [...pending]) {
        watched.push(ref);
        if (watch(watcher, ref)) markDone(ref);
      }
      while (!enough()) {
        const next = yield* nextDoneSteps(watcher, deadline, step);
        if (next === 0) break;
        if (pending.has(next)) markDone(next);
      }
    } finally {
      for (const ref of watched) unwatch(watcher, ref);
      freeWatcher(watcher);
    }
  }
  const done = new Set<Future<T>>();
  const notDone = new Set<Future<T>>();
  for (const [ref, list] of byRef) {
    for (const f of list) (doneRefs.has(ref) ? done : notDone).add(f);
  }
  for (const f of done) observed(f);
  return { done, notDone };
}

function waitArgs<T>(
  futures: Iterable<Future<T>>,
  options: WaitOptions | undefined,
): {
  byRef: Map<number, Future<T>[]>;
  returnWhen: ReturnWhen;
  deadline: number;
} {
  checkOptions(options);
  const byRef = checkFutures(futures);
  const returnWhen = checkReturnWhen(options?.returnWhen ?? ALL_COMPLETED);
  const deadline = deadlineOf(lenientTimeout(options?.timeout));
  return { byRef, returnWhen, deadline };
}

/**
 * Blocks the calling thread until the futures are done, or as `returnWhen`
 * says, or `timeout` passes. Python's `concurrent.futures.wait`.
 *
 * @typeParam T The futures' result type.
 * @param futures The futures (duplicates count once).
 * @param options The timeout in ms and `returnWhen` (default
 * `ALL_COMPLETED`).
 * @returns The futures that are done, and the others.
 * @throws {TypeError} Something else than futures, bad options.
 *
 * @example
 * ```ts
 * import { Future, FIRST_COMPLETED, wait } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * const a = new Future<number>();
 * const b = new Future<number>();
 * a.setResult(1);
 * const { done, notDone } = wait([a, b], { returnWhen: FIRST_COMPLETED });
 * assert.deepEqual([...done], [a]);
 * assert.deepEqual([...notDone], [b]);
 * ```
 */
export function wait<T>(
  futures: Iterable<Future<T>>,
  options?: WaitOptions,
): DoneAndNotDone<T> {
  const { byRef, returnWhen, deadline } = waitArgs(futures, options);
  return run(waitSteps(byRef, returnWhen, deadline, newStep()));
}

/**
 * {@linkcode wait} without blocking the event loop.
 *
 * @typeParam T The futures' result type.
 * @param futures The futures.
 * @param options As {@linkcode wait}'s, plus an AbortSignal.
 * @returns The futures that are done, and the others.
 * @throws {TypeError} (rejects) Something else than futures, bad options.
 */
export async function waitAsync<T>(
  futures: Iterable<Future<T>>,
  options?: WaitAsyncOptions,
): Promise<DoneAndNotDone<T>> {
  const { byRef, returnWhen, deadline } = waitArgs(futures, options);
  const signal = liveSignal(options?.signal);
  return await runAsync(
    waitSteps(byRef, returnWhen, deadline, newStep()),
    signal,
  );
}

function* completions<T>(
  byRef: Map<number, Future<T>[]>,
  timeout: number,
  step: Step,
  wait: (steps: Protocol<number>) => number,
): Generator<Future<T>, void, undefined> {
  const deadline = deadlineOf(timeout);
  const pending = new Set<number>();
  const finished: number[] = [];
  const watcher = newWatcher();
  const watched: number[] = [];
  try {
    for (const ref of byRef.keys()) {
      if (isDone(stateOf(ref))) finished.push(ref);
      else {
        watched.push(ref);
        if (watch(watcher, ref)) finished.push(ref);
        else pending.add(ref);
      }
    }
    for (const ref of finished) yield* announced(byRef.get(ref)!);
    while (pending.size > 0) {
      const next = wait(nextDoneSteps(watcher, deadline, step));
      if (next === 0) {
        throw new TimeoutError(
          `${pending.size} (of ${byRef.size}) futures unfinished`,
        );
      }
      if (pending.delete(next)) yield* announced(byRef.get(next)!);
    }
  } finally {
    for (const ref of watched) unwatch(watcher, ref);
    freeWatcher(watcher);
  }
}

function* announced<T>(
  futures: Future<T>[],
): Generator<Future<T>, void, undefined> {
  for (const f of futures) {
    observed(f);
    yield f;
  }
}

/**
 * Yields the futures as they complete (finished or cancelled): those done
 * already first, then each as it is done, each once. Waiting for the next
 * blocks the calling thread. Python's `concurrent.futures.as_completed`.
 *
 * @typeParam T The futures' result type.
 * @param futures The futures (duplicates count once).
 * @param timeout Milliseconds from the first `next()` until the last future
 * must be done (default: forever).
 * @returns An iterator of the futures.
 * @throws {TypeError} Something else than futures, a bad timeout.
 * @throws {TimeoutError} (from the iterator) Futures still not done at the
 * timeout.
 *
 * @example
 * ```ts
 * import { asCompleted, Future } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * const a = new Future<string>();
 * const b = new Future<string>();
 * b.setResult("b");
 * a.setResult("a");
 * assert.deepEqual([...asCompleted([a, b])].map((f) => f.result()).sort(), ["a", "b"]);
 * ```
 */
export function asCompleted<T>(
  futures: Iterable<Future<T>>,
  timeout?: number,
): IterableIterator<Future<T>> {
  const byRef = checkFutures(futures);
  const t = lenientTimeout(timeout);
  return completions(byRef, t, newStep(), run);
}

/**
 * {@linkcode asCompleted} without blocking the event loop.
 *
 * @typeParam T The futures' result type.
 * @param futures The futures (duplicates count once).
 * @param timeout Milliseconds from the first `next()` until the last future
 * must be done (default: forever).
 * @param options An AbortSignal: aborting rejects the pending `next()`.
 * @returns An async iterator of the futures.
 * @throws {TypeError} Something else than futures, bad options.
 * @throws {TimeoutError} (from the iterator) Futures still not done at the
 * timeout.
 */
export function asCompletedAsync<T>(
  futures: Iterable<Future<T>>,
  timeout?: number,
  options?: { signal?: AbortSignal },
): AsyncIterableIterator<Future<T>> {
  const byRef = checkFutures(futures);
  const t = lenientTimeout(timeout);
  checkOptions(options);
  const signal = checkSignal(options?.signal);
  return unboxed(completionsAsync(byRef, t, signal));
}

async function* completionsAsync<T>(
  byRef: Map<number, Future<T>[]>,
  timeout: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<[Future<T>], void, undefined> {
  signal?.throwIfAborted();
  const deadline = deadlineOf(timeout);
  const pending = new Set<number>();
  const finished: number[] = [];
  const watcher = newWatcher();
  const watched: number[] = [];
  const step = newStep();
  try {
    for (const ref of byRef.keys()) {
      if (isDone(stateOf(ref))) finished.push(ref);
      else {
        watched.push(ref);
        if (watch(watcher, ref)) finished.push(ref);
        else pending.add(ref);
      }
    }
    for (const ref of finished) {
      for (const f of byRef.get(ref)!) yield [observedNow(f)];
    }
    while (pending.size > 0) {
      const next = await runAsync(
        nextDoneSteps(watcher, deadline, step),
        signal,
      );
      if (next === 0) {
        throw new TimeoutError(
          `${pending.size} (of ${byRef.size}) futures unfinished`,
        );
      }
      if (!pending.delete(next)) continue;
      for (const f of byRef.get(next)!) yield [observedNow(f)];
    }
  } finally {
    for (const ref of watched) unwatch(watcher, ref);
    freeWatcher(watcher);
  }
}

function observedNow<T>(future: Future<T>): Future<T> {
  observed(future);
  return future;
}
