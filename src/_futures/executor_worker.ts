// An executor's worker thread: takes the futures its executor queues, runs
// their functions, and settles them (the client side is executor.ts). One
// idle worker at a time spins for the next task; the others sleep on the
// executor's eventcount.
import { markLib } from "../_core/lib_exports.ts";
import {
  EC_REGISTERED,
  EC_SEQ,
  F_ARGS,
  F_FN,
  INDEX_COUNT,
  S_EXECUTOR,
  S_TASK,
  slotWord,
  X_BROKEN,
  X_FLAGS,
  X_FNS,
  X_IDLE,
  X_INIT,
  X_LOCK,
  X_MAX_WORKERS,
  X_SHUTDOWN,
  X_SPINNER,
  X_THREADS,
  X_WAKE,
  X_WORDS,
  X_WORK,
} from "../_core/layout.ts";
import { shareOf } from "../_core/handles.ts";
import { heap, wordsAt } from "../_core/heap.ts";
import { get } from "../_structures/ref_array.ts";
import { ringShift } from "../_structures/ref_ring.ts";
import {
  eventStep,
  lockStep,
  lockWord,
  newStep,
  type Protocol,
  run,
  spinStep,
  type Step,
  unlockWord,
  wakeOne,
} from "../_core/wait.ts";
import {
  dropMessage,
  loadMessage,
  loadMessageAsync,
  messageMissing,
  storeMessage,
} from "../_codec/message.ts";
import { type CodeRef, resolve } from "../_locate/locate.ts";
import { markRunning, settle } from "./future_state.ts";
import { _threadExtra, Thread } from "../thread.ts";
import { BrokenThreadPool } from "../errors.ts";
import { runtime } from "../_threads/runtime.ts";
import { BROKEN, taskEnds } from "./tasks.ts";
import { setImmediate } from "node:timers";

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function";
}

interface Task {
  fn: (...args: unknown[]) => unknown;
  modules: string[];
}

interface Serving {
  w: Int32Array;
  /** The registry, and the word of this thread's slot naming its task (S_TASK). */
  registry: Int32Array;
  taskAt: number;
  tasks: Map<number, Task>;
  step: Step;
  /** When this worker last let its event loop run (finalizers, timers). */
  lastTurn: number;
}

/** How often a busy worker lets its event loop run, at most. */
const TURN_MS = 100;
/** Not a future: the worker should let its event loop run first. */
const TURN = -1;

/** A worker thread of an executor: runs its tasks until it shuts down. */
export class ExecutorThread extends Thread {
  override run(): unknown {
    const executor = _threadExtra(this).executor as object;
    const rt = runtime();
    const w = wordsAt(shareOf(executor)!.ref, X_WORDS);
    // Should this worker die, whoever ends it finds its executor here.
    Atomics.store(
      rt.registry.words,
      slotWord(rt.slot, S_EXECUTOR),
      w.byteOffset >> 2,
    );
    const s: Serving = {
      w,
      registry: rt.registry.words,
      taskAt: slotWord(rt.slot, S_TASK),
      tasks: new Map(),
      step: newStep(),
      lastTurn: performance.now(),
    };
    if (s.w[X_INIT] === 0) return serve(s);
    Atomics.store(s.registry, s.taskAt, INITIALIZING);
    return initialize(s).then((ok) => {
      Atomics.store(s.registry, s.taskAt, 0);
      return ok ? serve(s) : undefined;
    });
  }
}

/** S_TASK while the worker runs the initializer. */
export const INITIALIZING = -1;

markLib(ExecutorThread, "ExecutorThread");

/** Runs the initializer; false (and the pool broken) when it throws. */
async function initialize(s: Serving): Promise<boolean> {
  try {
    const [code, initargs] = await loadMessageAsync(
      s.w[X_INIT],
      false,
    ) as [CodeRef, unknown[]];
    const { fn } = await resolve(code);
    await fn(...initargs);
    return true;
  } catch (error) {
    console.error("Exception in initializer:", error);
    breakPool(s.w);
    return false;
  }
}

/** Python's _initializer_failed: the queued futures fail, and submit() too. */
export function breakPool(w: Int32Array): void {
  const drained: number[] = [];
  lockWord(w, X_LOCK, Infinity);
  Atomics.or(w, X_FLAGS, X_BROKEN);
  while (w[X_WORK + INDEX_COUNT] > 0) drained.push(ringShift(w, X_WORK));
  unlockWord(w, X_LOCK);
  for (const future of drained) {
    if (markRunning(future)) {
      const error = storeMessage(
        new BrokenThreadPool(BROKEN),
        "error",
        () => [],
      );
      if (!settle(future, error, true)) dropMessage(error);
    }
    taskEnds(w, future);
  }
}

/** Takes and runs tasks until the executor shuts down with none left. */
function serve(s: Serving): Promise<void> | undefined {
  for (;;) {
    const future = run(takeSteps(s));
    if (future === 0) return undefined;
    if (future === TURN) {
      return new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
        serve(s)
      );
    }
    const pending = runTask(s, future);
    if (pending !== undefined) return pending.then(() => serve(s));
  }
}

/**
 * The next queued future, sleeping while there is none; 0: shut down. One
 * idle worker at a time spins for the next task before it sleeps: more
 * would only take cores from the threads that submit.
 */
function* takeSteps(s: Serving): Protocol<number> {
  const { w, step } = s;
  yield lockStep(step, w, X_LOCK, Infinity);
  try {
    for (;;) {
      const count = w[X_WORK + INDEX_COUNT];
      if (count > 0) {
        const future = ringShift(w, X_WORK);
        // More work than this worker, and no idle one awake: wake another.
        if (
          count > 1 && w[X_WAKE + EC_REGISTERED] > 0 && w[X_SPINNER] === 0
        ) wakeOne(w, X_WAKE);
        return future;
      }
      if ((w[X_FLAGS] & X_SHUTDOWN) !== 0) return 0;
      if (performance.now() - s.lastTurn > TURN_MS) {
        s.lastTurn = performance.now();
        return TURN;
      }
      const spinner = w[X_SPINNER] === 0;
      if (spinner) {
        w[X_SPINNER] = 1;
        unlockWord(w, X_LOCK);
        const changed = yield spinStep(step, w, X_WORK + INDEX_COUNT, 0);
        yield lockStep(step, w, X_LOCK, Infinity);
        w[X_SPINNER] = 0;
        if (changed || w[X_WORK + INDEX_COUNT] > 0) continue;
        if ((w[X_FLAGS] & X_SHUTDOWN) !== 0) continue;
      }
      w[X_WAKE + EC_REGISTERED]++;
      const seq = Atomics.load(w, X_WAKE + EC_SEQ);
      unlockWord(w, X_LOCK);
      yield eventStep(step, w, X_WAKE, seq, Infinity, spinner);
      yield lockStep(step, w, X_LOCK, Infinity);
      w[X_WAKE + EC_REGISTERED]--;
    }
  } finally {
    unlockWord(w, X_LOCK);
  }
}

/** Runs one task: at once when it can, else (a promise) asynchronously. */
function runTask(s: Serving, future: number): Promise<void> | undefined {
  const i32 = heap().i32;
  // From here, should this worker die, its future fails (see below).
  Atomics.store(s.registry, s.taskAt, future);
  if (markRunning(future) !== true) {
    endTask(s, future);
    return undefined;
  }
  const id = i32[future + F_FN];
  const args = i32[future + F_ARGS];
  i32[future + F_ARGS] = 0;
  const task = s.tasks.get(id);
  if (task === undefined || messageMissing(args) !== undefined) {
    return runSlowly(s, future, id, args);
  }
  let value: unknown;
  try {
    value = task.fn(...(loadMessage(args, true) as unknown[]));
  } catch (error) {
    finish(s, future, error, true, task.modules);
    return undefined;
  }
  if (!isThenable(value)) {
    finish(s, future, value, false, task.modules);
    return undefined;
  }
  return Promise.resolve(value).then(
    (result) => finish(s, future, result, false, task.modules),
    (error) => finish(s, future, error, true, task.modules),
  );
}

/** A task whose function or arguments need modules imported first. */
async function runSlowly(
  s: Serving,
  future: number,
  id: number,
  args: number,
): Promise<void> {
  let modules: string[] = [];
  let value: unknown;
  let failed = false;
  try {
    const task = await taskOf(s, id);
    modules = task.modules;
    value = await task.fn(...(await loadMessageAsync(args, true) as unknown[]));
  } catch (error) {
    value = error;
    failed = true;
  }
  finish(s, future, value, failed, modules);
}

async function taskOf(s: Serving, id: number): Promise<Task> {
  const known = s.tasks.get(id);
  if (known !== undefined) return known;
  const w = s.w;
  lockWord(w, X_LOCK, Infinity);
  const message = get(w, X_FNS, id);
  unlockWord(w, X_LOCK);
  const code = loadMessage(message, false) as CodeRef;
  const { fn } = await resolve(code);
  const task = { fn, modules: code.modules };
  s.tasks.set(id, task);
  return task;
}

/** Stores the task's outcome in its future, and ends the task. */
function finish(
  s: Serving,
  future: number,
  value: unknown,
  failed: boolean,
  modules: string[],
): void {
  let message: number;
  try {
    message = storeMessage(value, failed ? "error" : "result", () => modules);
  } catch (error) {
    message = storeMessage(
      new TypeError(
        `Cannot pass the task's ${failed ? "error" : "result"} back: ${
          (error as Error).message
        }`,
      ),
      "error",
      () => [],
    );
    failed = true;
  }
  if (!settle(future, message, failed)) dropMessage(message);
  endTask(s, future);
}

function endTask(s: Serving, future: number): void {
  // Before the count: a death in between leaves a task counted, never a
  // future released twice.
  Atomics.store(s.registry, s.taskAt, 0);
  taskEnds(s.w, future);
  // Python releases _idle_semaphore after each task, whatever its outcome
  // (it matters only while workers may still be started).
  const w = s.w;
  if (Atomics.load(w, X_THREADS) < w[X_MAX_WORKERS]) Atomics.add(w, X_IDLE, 1);
}
