/**
 * Threads: {@linkcode Thread} runs code in parallel in a new Deno Worker, and
 * the module functions (`currentThread()`, `enumerate()`...) answer the same in
 * every thread.
 *
 * @module
 */
import { isMainThread } from "node:worker_threads";
import { ThreadError } from "./errors.ts";
import {
  checkInteger,
  checkNumber,
  checkOptions,
  deadlineOf,
  describeValue,
  lenientTimeout,
  liveSignal,
  TIMEOUT_MAX,
} from "./_core/validate.ts";
import {
  newStep,
  type Protocol,
  run,
  runAsync,
  sleepMs,
  type Step,
  waitStep,
  waitWord,
} from "./_core/wait.ts";
import {
  ALIVE,
  NAME_BYTES,
  S_DAEMON,
  S_DIED,
  S_EXECUTOR,
  S_FAILURE,
  S_HEAP_MB,
  S_IDENT,
  S_NATIVE_ID,
  S_SLEEP,
  S_STARTED,
  S_STATE,
  S_TASK,
  slotState,
  slotWord,
} from "./_core/layout.ts";
import { runtime } from "./_threads/runtime.ts";
import { type CodeRef, describe } from "./_locate/locate.ts";
import { callerModules } from "./_core/call_sites.ts";
import { decode, defineExtension, discard, encode } from "./_codec/codec.ts";
import { bytesAt, free, heap } from "./_core/heap.ts";
import {
  defaultHeapMb,
  freeJob,
  runJob,
  setDefaultHeapMb,
  setPoolLimit,
  writeJob,
} from "./_threads/workers.ts";
import { handleDeathOf } from "./_threads/death.ts";
import { POOL_MAX } from "./_core/layout.ts";
import { startMainServices } from "./_threads/main.ts";
import { clock, observing, traceWait } from "./_observe/observe.ts";
import { WAIT_JOIN } from "./_observe/trace_buffer.ts";

/**
 * Limits on what a thread may use. A thread that reaches one ends with a
 * {@linkcode MemoryError} (its joiners return, the process goes on) instead
 * of ending the whole process.
 */
export interface ResourceLimits {
  /**
   * The largest heap of the thread, in MB: V8's old-space limit of its
   * isolate. Shared memory (SharedArrayBuffers, this library's primitives
   * and containers) does not count. From 16 to 1048576.
   *
   * @default {the main thread's V8 heap limit: 4192 on a 64-bit machine with 16 GiB or more}
   */
  maxHeapMb?: number;
}

/** The smallest heap limit a thread can start with: a thread's isolate loads this library. */
const MIN_HEAP_MB = 16;
/** The largest accepted: 1 TiB. */
const MAX_HEAP_MB = 1 << 20;

/**
 * Checks `limits` (an option of `what`); its maxHeapMb, or undefined.
 *
 * @throws {TypeError} Not an object, or a maxHeapMb that is not an integer.
 * @throws {RangeError} A maxHeapMb out of range.
 */
export function _checkResourceLimits(
  limits: unknown,
  what: string,
): number | undefined {
  if (limits === undefined) return undefined;
  if (limits === null || typeof limits !== "object") {
    throw new TypeError(
      `${what}: resourceLimits must be an object, received ${
        describeValue(limits)
      }`,
    );
  }
  const { maxHeapMb } = limits as ResourceLimits;
  if (maxHeapMb === undefined) return undefined;
  if (typeof maxHeapMb !== "number" || !Number.isInteger(maxHeapMb)) {
    throw new TypeError(
      `${what}: resourceLimits.maxHeapMb must be an integer, received ${
        describeValue(maxHeapMb)
      }`,
    );
  }
  if (maxHeapMb < MIN_HEAP_MB || maxHeapMb > MAX_HEAP_MB) {
    throw new RangeError(
      `${what}: resourceLimits.maxHeapMb must be from ${MIN_HEAP_MB} to ${MAX_HEAP_MB}, received ${maxHeapMb}`,
    );
  }
  return maxHeapMb;
}

/**
 * Options of {@linkcode Thread}: Python's keyword arguments.
 *
 * @typeParam A The target's parameter types.
 */
export interface ThreadOptions<A extends unknown[] = unknown[]> {
  /**
   * What the thread runs (`run()` calls `target(...args)`). It must be
   * exported from an importable module (the caller's, found automatically, or
   * `module`), or be a self-contained function.
   */
  target?: (...args: A) => unknown;
  /** The target's arguments, copied or shared into the thread. */
  args?: A;
  /** The module that exports `target` (default: found from the call stack). */
  module?: string | URL;
  /** The thread's name (default `Thread-N` or `Thread-N (target)`). */
  name?: string;
  /** Whether the process may exit while it runs (default: the creator's flag). */
  daemon?: boolean;
  /**
   * Its limits (default: those of {@linkcode setDefaultResourceLimits} when
   * it starts).
   */
  resourceLimits?: ResourceLimits;
}

const encoder = new TextEncoder();

/** What a worker decodes to run a thread (see _worker.ts). */
export interface Payload {
  /** The class to instantiate when the thread is a subclass. */
  cls?: CodeRef;
  /** The target, for a plain Thread. */
  target?: CodeRef;
  /** The target's arguments. */
  args: unknown[];
  /** The own fields of the thread object. */
  this: Record<string, unknown>;
  /** Extra state of the library's own Thread subclasses. */
  extra: Record<string, unknown>;
}

/** Set while a Thread object is built for a thread that already exists. */
let adopting: { slot: number; gen: number } | undefined;

// Accessors the rest of the library uses on Thread's private state.
let slotOf: (thread: Thread) => number;
let genOf: (thread: Thread) => number;
let setupAdopted: (
  thread: Thread,
  target: ((...args: unknown[]) => unknown) | undefined,
  args: unknown[],
  extra: Record<string, unknown>,
) => void;
let extraOf: (thread: Thread) => Record<string, unknown>;

function checkName(name: unknown): string {
  if (typeof name !== "string") {
    throw new TypeError(`name must be a string, got ${describeValue(name)}`);
  }
  if (encoder.encode(name).length > NAME_BYTES) {
    throw new RangeError(
      `Thread name is too long: at most ${NAME_BYTES} UTF-8 bytes`,
    );
  }
  return name;
}

/**
 * A thread of control: Python's `threading.Thread` on a Deno Worker. Pass a
 * `target` or subclass it and override {@linkcode Thread.run}; `start()` runs
 * it in parallel, `join()` waits for it.
 *
 * The target (or subclass) must be exported from an importable module: the
 * thread loads that module (its imports and top-level setup run there, its
 * `if (import.meta.main)` block does not) and finds it by name. A
 * self-contained function (using only its arguments, globals and this
 * library) also works without being exported.
 *
 * @typeParam A The target's parameter types.
 *
 * @example A thread with a target and arguments
 * ```ts
 * import { Thread } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * const results = new Int32Array(new SharedArrayBuffer(4));
 * const t = new Thread({
 *   target: (out: Int32Array, n: number) => Atomics.store(out, 0, n * 2),
 *   args: [results, 21],
 * });
 * t.start();
 * t.join();
 * assert.equal(results[0], 42);
 * ```
 */
export class Thread<A extends unknown[] = unknown[]> {
  #slot = -1;
  #gen = -1;
  #ident: number | null = null;
  #nativeId: number | null = null;
  #name: string;
  #daemon: boolean;
  // Typed without A, so that every Thread<A> is a Thread.
  #target: ((...args: unknown[]) => unknown) | undefined;
  #args: unknown[];
  #modules: string[];
  #extra: Record<string, unknown> = {};
  #started = false;
  #heapMb: number | undefined;

  /**
   * Creates a thread; nothing runs before {@linkcode Thread.start}.
   *
   * @param options The target, its arguments, a name, the daemon flag and
   * the thread's resource limits.
   * @throws {TypeError} An option of the wrong type.
   * @throws {RangeError} A name longer than 1020 UTF-8 bytes, or a heap
   * limit out of range.
   */
  constructor(options?: ThreadOptions<A>) {
    const adopt = adopting;
    adopting = undefined;
    if (adopt !== undefined) {
      const reg = runtime().registry;
      this.#slot = adopt.slot;
      this.#gen = adopt.gen;
      this.#started = true;
      this.#ident = reg.load(adopt.slot, S_IDENT);
      this.#nativeId = reg.load(adopt.slot, S_NATIVE_ID);
      this.#daemon = reg.load(adopt.slot, S_DAEMON) === 1;
      this.#name = reg.readName(adopt.slot);
      this.#args = [];
      this.#modules = [];
      return;
    }
    const { target, args, module, name, daemon, resourceLimits } =
      checkOptions(options) ?? {};
    this.#heapMb = _checkResourceLimits(
      resourceLimits,
      "Cannot create a thread",
    );
    if (target !== undefined && typeof target !== "function") {
      throw new TypeError(
        `target must be a function, got ${describeValue(target)}`,
      );
    }
    if (args !== undefined && !Array.isArray(args)) {
      throw new TypeError(`args must be an array, got ${describeValue(args)}`);
    }
    if (daemon !== undefined && typeof daemon !== "boolean") {
      throw new TypeError(
        `daemon must be a boolean, got ${describeValue(daemon)}`,
      );
    }
    if (
      module !== undefined && typeof module !== "string" &&
      !(module instanceof URL)
    ) {
      throw new TypeError(
        `module must be a string or URL, got ${describeValue(module)}`,
      );
    }
    const code = new.target !== Thread ? new.target : target;
    if (module !== undefined) {
      const callers = callerModules();
      const url = new URL(module, callers[0] ?? Deno.cwd() + "/").href;
      this.#modules = [url, ...callers];
    } else {
      this.#modules = code === undefined ? [] : modulesOf(code);
    }
    this.#target = target as ((...args: unknown[]) => unknown) | undefined;
    this.#args = args ?? [];
    this.#daemon = daemon ?? currentThread().daemon;
    if (name !== undefined && name !== "") {
      this.#name = checkName(name);
    } else {
      this.#name = _newName();
      if (target !== undefined && !anonymous(target)) {
        this.#name += ` (${target.name})`;
      }
    }
  }

  static {
    slotOf = (t) => t.#slot;
    genOf = (t) => t.#gen;
    extraOf = (t) => t.#extra;
    setupAdopted = (t, target, args, extra) => {
      t.#target = target;
      t.#args = args;
      t.#extra = extra;
    };
    defineExtension(Thread, (t) => {
      if (!t.#started) {
        throw new TypeError(
          "Cannot pass a thread to another thread before start()",
        );
      }
      return [t.#slot, t.#gen];
    }, (state) => threadAt(...(state as [number, number])));
  }

  /**
   * Starts the thread: `run()` is called in a new worker. Returns once the
   * thread is running (Python's semantics), with `ident` and `nativeId` set.
   *
   * @throws {ThreadError} If the thread was already started, or 1024 threads
   * are alive.
   * @throws {TypeError} If an argument or field cannot be passed to a thread.
   */
  start(): void {
    if (this.#started) {
      throw new ThreadError("threads can only be started once");
    }
    const rt = runtime();
    if (isMainThread) startMainServices();
    const { bytes, sabs } = this.#encode();
    const reg = rt.registry;
    const slot = reg.allocate({ name: this.#name, daemon: this.#daemon });
    if (slot < 0) {
      discard(bytes);
      throw new ThreadError("can't start new thread");
    }
    const gen = reg.gen(slot);
    const heapMb = this.#heapMb ?? defaultHeapMb();
    const w = reg.words;
    Atomics.store(w, slotWord(slot, S_HEAP_MB), heapMb);
    for (const field of [S_DIED, S_EXECUTOR, S_TASK]) {
      Atomics.store(w, slotWord(slot, field), 0);
    }
    this.#slot = slot;
    this.#gen = gen;
    this.#started = true;
    this.#ident = reg.load(slot, S_IDENT);
    this.#nativeId = reg.load(slot, S_NATIVE_ID);
    rt.known.set(slot, this);
    let job = 0;
    try {
      job = writeJob(slot, gen, heapMb, bytes, sabs);
      runJob({ ref: job, sabs }, this.#name);
    } catch (error) {
      if (job !== 0) freeJob(job);
      discard(bytes);
      reg.finish(slot, gen);
      rt.known.delete(slot);
      this.#started = false;
      throw error;
    }
    const at = slotWord(slot, S_STARTED);
    while (Atomics.load(w, at) === 0) waitWord(w, at, 0, Infinity);
    const failure = Atomics.load(w, slotWord(slot, S_FAILURE));
    if (failure !== 0) {
      // The worker ended the thread and kept its slot for us to read this.
      const error = takeFailure(failure);
      reg.release(slot, gen);
      throw error;
    }
  }

  /** The thread, encoded for its worker. */
  #encode(): { bytes: Uint8Array; sabs: SharedArrayBuffer[] } {
    const modules = this.#modules;
    const cls = Object.getPrototypeOf(this).constructor;
    const fields: Record<string, unknown> = {};
    for (const key of Object.keys(this)) {
      fields[key] = (this as Record<string, unknown>)[key];
    }
    const payload: Payload = {
      cls: cls !== Thread ? describe(cls, modules) : undefined,
      target: this.#target && describe(this.#target, modules),
      args: this.#args,
      this: fields,
      extra: this.#extra,
    };
    // Classes of instances in the state are looked for from the caller's
    // stack, captured at most once (and only if some instance needs it).
    let callers: string[] | undefined;
    return encode(payload, "", () => callers ??= callerModules());
  }

  /**
   * What the thread does; runs in the new thread. The default calls
   * `target(...args)`. Override it in a subclass (the subclass must be
   * exported from its module). It may be async: the thread is alive until
   * the returned promise settles.
   *
   * @returns The target's result (ignored, as in Python).
   */
  run(): unknown {
    const target = this.#target;
    return target === undefined ? undefined : target(...this.#args);
  }

  #checkJoin(): void {
    if (!this.#started) {
      throw new ThreadError("cannot join thread before it is started");
    }
    const current = currentThread();
    if (current.#slot === this.#slot && current.#gen === this.#gen) {
      throw new ThreadError("cannot join current thread");
    }
  }

  /**
   * Blocks the calling thread until this thread ends, or until `timeout` ms
   * have passed.
   *
   * @param timeout Milliseconds to wait at most (default: forever; negative
   * counts as 0).
   * @returns Whether the thread has ended (Python returns None: check
   * `isAlive()` there).
   * @throws {ThreadError} If the thread was not started, or is the current one.
   * @throws {TypeError} If `timeout` is not a number.
   * @throws {RangeError} If `timeout` exceeds `TIMEOUT_MAX`.
   */
  join(timeout?: number): boolean {
    const deadline = deadlineOf(lenientTimeout(timeout));
    this.#checkJoin();
    return run(this.#joinSteps(deadline, newStep()));
  }

  /** Sleeps until the thread ends or `deadline`; whether it ended. */
  *#joinSteps(deadline: number, step: Step): Protocol<boolean> {
    const words = runtime().registry.words;
    const at = slotWord(this.#slot, S_STATE);
    const alive = slotState(this.#gen, ALIVE);
    if (Atomics.load(words, at) !== alive) return true;
    const since = observing() ? clock() : 0;
    try {
      while (Atomics.load(words, at) === alive) {
        // Its worker may have died: then the joiner ends it (see _death.ts).
        handleDeathOf(this.#slot);
        if (Atomics.load(words, at) !== alive) break;
        if (performance.now() >= deadline) return false;
        yield waitStep(step, words, at, alive, deadline);
      }
      return true;
    } finally {
      if (since !== 0) traceWait(this.#ident ?? 0, WAIT_JOIN, since);
    }
  }

  /**
   * Waits without blocking the event loop until this thread ends, or until
   * `timeout` ms have passed.
   *
   * @param timeout Milliseconds to wait at most (default: forever).
   * @param options An AbortSignal: aborting rejects with its reason.
   * @returns Whether the thread has ended.
   * @throws {ThreadError} (rejects) As {@linkcode Thread.join}.
   */
  async joinAsync(
    timeout?: number,
    options?: { signal?: AbortSignal },
  ): Promise<boolean> {
    const deadline = deadlineOf(lenientTimeout(timeout));
    const signal = liveSignal(checkOptions(options)?.signal);
    this.#checkJoin();
    return await runAsync(this.#joinSteps(deadline, newStep()), signal);
  }

  /**
   * Whether the thread is alive: from `start()` until `run()` has ended.
   *
   * @returns `true` while the thread runs.
   */
  isAlive(): boolean {
    return this.#started && runtime().registry.isAlive(this.#slot, this.#gen);
  }

  /**
   * The thread's name; renaming it is seen by every thread.
   *
   * @throws {TypeError} (set) If the name is not a string.
   */
  get name(): string {
    if (this.#started) {
      const reg = runtime().registry;
      if (reg.isAlive(this.#slot, this.#gen)) {
        const name = reg.readName(this.#slot);
        if (reg.isAlive(this.#slot, this.#gen)) this.#name = name;
      }
    }
    return this.#name;
  }

  set name(name: string) {
    this.#name = checkName(name);
    const reg = runtime().registry;
    if (this.#started && reg.isAlive(this.#slot, this.#gen)) {
      reg.writeName(this.#slot, name);
    }
  }

  /** The thread's identifier, `null` before `start()`. */
  get ident(): number | null {
    return this.#ident;
  }

  /** The thread's native id (distinct among live threads), `null` before `start()`. */
  get nativeId(): number | null {
    return this.#nativeId;
  }

  /**
   * Whether this is a daemon thread: the process does not wait for it.
   *
   * @throws {ThreadError} (set) After `start()`.
   * @throws {TypeError} (set) If the value is not a boolean.
   */
  get daemon(): boolean {
    return this.#daemon;
  }

  set daemon(daemon: boolean) {
    if (typeof daemon !== "boolean") {
      throw new TypeError(
        `daemon must be a boolean, got ${describeValue(daemon)}`,
      );
    }
    if (this.#started) {
      throw new ThreadError("cannot set daemon status of active thread");
    }
    this.#daemon = daemon;
  }

  /**
   * Python's repr: `<Thread(Thread-1, started daemon 42)>`.
   *
   * @returns A description of the thread and its state.
   */
  toString(): string {
    let status = "initial";
    if (this.#started) status = this.isAlive() ? "started" : "stopped";
    if (this.#daemon) status += " daemon";
    if (this.#ident !== null) status += ` ${this.#ident}`;
    return `<${
      Object.getPrototypeOf(this).constructor.name
    }(${this.name}, ${status})>`;
  }
}

/**
 * Where `code` (a target or Thread subclass) may be exported: the modules on
 * the stack of the first thread made with it. Capturing a stack costs more
 * than starting a warm thread, and the answer does not change.
 */
const codeModules = new WeakMap<object, string[]>();
function modulesOf(code: object): string[] {
  let modules = codeModules.get(code);
  if (modules === undefined) codeModules.set(code, modules = callerModules());
  return modules;
}

/**
 * Whether a target has no name of its own: `{ target: () => {} }` gets the
 * name "target" from the options key, which Python would not show.
 */
function anonymous(fn: (...args: never[]) => unknown): boolean {
  if (fn.name === "") return true;
  if (fn.name !== "target") return false;
  const source = Function.prototype.toString.call(fn);
  return !/^(async\s+)?(function\s*\*?\s*target\b|\*?\s*target\s*\()/.test(
    source,
  );
}

/** The error a thread's worker reported instead of starting it. */
function takeFailure(ref: number): unknown {
  const w = heap().i32;
  const error = decode(bytesAt(ref + 1, w[ref]));
  free(ref);
  return error;
}

/** The Thread object for the thread in `slot`, the same object each time. */
function threadAt(slot: number, gen: number): Thread {
  const rt = runtime();
  const known = rt.known.get(slot) as Thread | undefined;
  if (known !== undefined && genOf(known) === gen) return known;
  adopting = { slot, gen };
  const thread = new Thread();
  if (runtime().registry.isAlive(slot, gen)) rt.known.set(slot, thread);
  return thread;
}

/** Internal: the Thread object of the thread alive in `slot`. */
export function _threadIn(slot: number): Thread {
  return threadAt(slot, runtime().registry.gen(slot));
}

runtime().threadIn = _threadIn;

/** Internal: builds the Thread object of the thread this worker runs. */
export function _adoptCurrent(slot: number, gen: number): Thread {
  const thread = threadAt(slot, gen);
  runtime().current = thread;
  return thread;
}

/** Internal: gives the adopted thread its target, arguments and extra state. */
export function _setupThread(
  thread: Thread,
  target: ((...args: unknown[]) => unknown) | undefined,
  args: unknown[],
  extra: Record<string, unknown>,
): void {
  setupAdopted(thread, target, args, extra);
}

/** Internal: a new default name, "Thread-N". */
export function _newName(): string {
  return `Thread-${runtime().registry.nextThreadNumber()}`;
}

/** Internal: state kept by this library's own Thread subclasses. */
export function _threadExtra(thread: Thread): Record<string, unknown> {
  return extraOf(thread);
}

/** Internal: marks the current thread as running (start() returns). */
export function _signalStarted(thread: Thread): void {
  const words = runtime().registry.words;
  const at = slotWord(slotOf(thread), S_STARTED);
  Atomics.store(words, at, 1);
  Atomics.notify(words, at);
}

/**
 * Internal: ends the current thread, which could not start: its start()
 * throws `failure` (the ref of the encoded error), then frees the slot.
 */
export function _failStart(thread: Thread, failure: number): void {
  const reg = runtime().registry;
  Atomics.store(reg.words, slotWord(slotOf(thread), S_FAILURE), failure);
  reg.finish(slotOf(thread), genOf(thread), true);
}

/**
 * The Thread object of the calling thread. In the main thread it is
 * {@linkcode mainThread}; in a thread started by this module it is the object
 * whose `run()` is running (an instance of its subclass).
 *
 * @returns The current thread.
 *
 * @example
 * ```ts
 * import { currentThread, mainThread } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * assert.equal(currentThread(), mainThread());
 * assert.equal(currentThread().name, "MainThread");
 * ```
 */
export function currentThread(): Thread {
  const rt = runtime();
  if (rt.current === undefined) {
    rt.current = threadAt(rt.mainSlot, rt.registry.gen(rt.mainSlot));
  }
  return rt.current as Thread;
}

/**
 * The main thread's Thread object, named `MainThread`, from any thread.
 *
 * @returns The main thread.
 *
 * @example
 * ```ts
 * import { mainThread } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * assert.equal(mainThread().name, "MainThread");
 * ```
 */
export function mainThread(): Thread {
  const rt = runtime();
  return threadAt(rt.mainSlot, rt.registry.gen(rt.mainSlot));
}

/**
 * Every alive thread (started and not yet ended), main included, from any
 * thread. Threads this thread knows come back as the same objects.
 *
 * @returns The alive threads.
 *
 * @example
 * ```ts
 * import { currentThread, enumerate } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * assert.ok(enumerate().includes(currentThread()));
 * ```
 */
export function enumerate(): Thread[] {
  const reg = runtime().registry;
  return reg.aliveSlots().map((slot) => threadAt(slot, reg.gen(slot)));
}

/**
 * How many threads are alive, main included: `enumerate().length`.
 *
 * @returns The number of alive threads.
 *
 * @example
 * ```ts
 * import { activeCount } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * assert.ok(activeCount() >= 1);
 * ```
 */
export function activeCount(): number {
  return runtime().registry.aliveSlots().length;
}

/**
 * The calling thread's identifier (`currentThread().ident`).
 *
 * @returns A number unique among all threads of the process.
 *
 * @example
 * ```ts
 * import { currentThread, getIdent } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * assert.equal(getIdent(), currentThread().ident);
 * ```
 */
export function getIdent(): number {
  return currentThread().ident!;
}

/**
 * The calling thread's native id: the process id in the main thread (its OS
 * thread id on Linux), a distinct number in every other live thread.
 *
 * @returns The native id.
 *
 * @example
 * ```ts
 * import { getNativeId, mainThread } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * assert.equal(getNativeId(), mainThread().nativeId);
 * ```
 */
export function getNativeId(): number {
  return currentThread().nativeId!;
}

/**
 * Blocks the calling thread (only it) for `ms` milliseconds: Python's
 * `time.sleep`, in milliseconds.
 *
 * @param ms How long to sleep, in milliseconds.
 * @throws {TypeError} If `ms` is not a number.
 * @throws {RangeError} If `ms` is negative or above `TIMEOUT_MAX`.
 *
 * @example
 * ```ts
 * import { sleep } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * const start = performance.now();
 * sleep(20);
 * assert.ok(performance.now() - start >= 19);
 * ```
 */
export function sleep(ms: number): void {
  checkNumber(ms, "ms");
  if (ms < 0) {
    throw new RangeError(`sleep length must be non-negative, got ${ms}`);
  }
  if (ms > TIMEOUT_MAX) {
    throw new RangeError(
      `sleep length is too large: at most ${TIMEOUT_MAX} ms`,
    );
  }
  const rt = runtime();
  sleepMs(ms, rt.registry.words, slotWord(rt.slot, S_SLEEP));
}

/**
 * Sets how many finished threads' workers stay parked for reuse by later
 * threads (default 8, at most 64; 0 turns reuse off). A reused worker runs
 * each thread fresh: its own ident, name, ThreadLocal values and no timers of
 * an earlier thread; but a module's top level runs once per worker, so plain
 * module variables keep what earlier threads on that worker left (keep
 * per-thread state in a ThreadLocal, shared state in SharedValue, SharedList
 * or SharedMap). A parked worker runs only threads with its own heap limit
 * (see {@linkcode ResourceLimits}); when the pool is full, a worker of the
 * limit used last takes the place of one of another limit. Idle workers
 * beyond a lower limit are dismissed at once.
 *
 * @param size The number of parked workers kept.
 * @throws {TypeError} If `size` is not a number.
 * @throws {RangeError} If it is not an integer from 0 to 64.
 *
 * @example
 * ```ts
 * import { setThreadPoolSize } from "@weft/threading";
 *
 * setThreadPoolSize(4);
 * ```
 */
export function setThreadPoolSize(size: number): void {
  setPoolLimit(checkInteger(size, "size", 0, POOL_MAX));
}

/**
 * Sets the resource limits of threads started from now on, by any thread,
 * when they have none of their own (an executor's workers included). Every
 * thread has a heap limit: by default the main thread's own V8 heap limit
 * (4192 MB on a 64-bit machine with 16 GiB or more: V8's default; what
 * `--v8-flags=--max-old-space-size` says, if given), so that a thread may
 * grow as large as the program could, and running out of memory is that
 * thread's {@linkcode MemoryError}, not the end of the process. `{}` restores
 * that default. (A process started with `--v8-flags=--max-old-space-size=N`
 * gives every thread V8's limit for N instead, whatever `maxHeapMb` says:
 * V8's flag wins over a thread's own limit, measured on Deno 2.9.6.)
 *
 * @param limits `maxHeapMb`: the heap limit, in MB (16 to 1048576).
 * @throws {TypeError} Limits of the wrong type.
 * @throws {RangeError} A heap limit out of range.
 *
 * @example Threads that may use 256 MB of heap each
 * ```ts
 * import { setDefaultResourceLimits, Thread } from "@weft/threading";
 *
 * setDefaultResourceLimits({ maxHeapMb: 256 });
 * const t = new Thread({ target: () => new Array(1000).fill(0).length });
 * t.start();
 * t.join();
 * setDefaultResourceLimits({});
 * ```
 */
export function setDefaultResourceLimits(limits: ResourceLimits): void {
  if (limits === undefined) {
    throw new TypeError(
      "Cannot set the default resource limits: received undefined",
    );
  }
  setDefaultHeapMb(
    _checkResourceLimits(limits, "Cannot set the default resource limits") ??
      0,
  );
}
