// Task functions and classes for executor_test.ts: exported, so the
// executor's worker threads find them by loading this module.
import {
  currentThread,
  type Event,
  type Future,
  getIdent,
  type Lock,
  type Queue,
  type Semaphore,
  sleep,
  type ThreadPoolExecutor,
} from "../mod.ts";

/** How long a fixture waits for a marker at most: a bug fails, never hangs. */
export const PATIENCE = 10_000;

export function mul(x: number, y: number): number {
  return x * y;
}

export function identity<T>(value: T): T {
  return value;
}

export function divide(a: number, b: number): number {
  if (b === 0) throw new RangeError("division by zero");
  return Math.trunc(a / b);
}

/** Where the task ran. */
export function whereAmI(): { ident: number; name: string; daemon: boolean } {
  const t = currentThread();
  return { ident: getIdent(), name: t.name, daemon: t.daemon };
}

/** Sets `started`, then holds its worker until `release` is set. */
export function hold(started: Event | null, release: Event): string {
  started?.set();
  if (!release.wait(PATIENCE)) throw new Error("hold(): never released");
  return "released";
}

/** Holds its worker until it gets a permit of `sem`. */
export function acquirePermit(sem: Semaphore): void {
  if (!sem.acquire({ timeout: PATIENCE })) {
    throw new Error("acquirePermit(): no permit came");
  }
}

/** Counts a run in `counter[0]`, returns `i`. */
export function countRun(counter: Int32Array, i: number): number {
  Atomics.add(counter, 0, 1);
  Atomics.notify(counter, 0);
  return i;
}

/** Takes a little time, then counts a run in `counter[0]`. */
export function slowCount(counter: Int32Array, ms: number): number {
  sleep(ms);
  return Atomics.add(counter, 0, 1) + 1;
}

/** What the receiving thread sees of values copied or shared into it. */
export function inspect(value: {
  sab: Int32Array;
  lock: Lock;
  event: Event;
  queue: Queue<string>;
  point: Point;
  map: Map<string, Point>;
}): Record<string, unknown> {
  value.sab[0] = 99;
  value.lock.acquire();
  value.event.set();
  value.queue.put("from the task");
  return {
    point: value.point instanceof Point ? value.point.norm2() : -1,
    mapPoint: value.map.get("p") instanceof Point,
    samePoint: value.map.get("p") === value.point,
  };
}

export async function asyncDouble(x: number, gate: Event): Promise<number> {
  if (!await gate.waitAsync(PATIENCE)) throw new Error("gate never opened");
  await new Promise((r) => setTimeout(r, 1));
  return x * 2;
}

export async function asyncFail(message: string): Promise<never> {
  await new Promise((r) => setTimeout(r, 1));
  throw new TaskError(message, 7);
}

/** An error class exported from this module: crosses threads as itself. */
export class TaskError extends Error {
  constructor(message: string, public code: number) {
    super(message);
    this.name = "TaskError";
  }
}

export function throwTaskError(message: string, code: number): never {
  throw new TaskError(message, code);
}

export function throwRangeError(message: string): never {
  throw new RangeError(message);
}

export function throwString(): never {
  throw "a plain string";
}

export function returnFunction(): () => number {
  return () => 1;
}

export class Point {
  constructor(public x: number, public y: number) {}
  norm2(): number {
    return this.x * this.x + this.y * this.y;
  }
}

export function makePoint(x: number, y: number): Point {
  return new Point(x, y);
}

// Initializers. -------------------------------------------------------------

// Per thread, like any module-level variable: the initializer sets it in its
// worker, and tasks in that worker read it.
let initStatus = "uninitialized";

export function init(calls: Int32Array, status: string): void {
  Atomics.add(calls, 0, 1);
  initStatus = status;
}

export function getInitStatus(): string {
  return initStatus;
}

/** A task that returns its worker's status after holding it until `release`. */
export function initStatusAfter(started: Event, release: Event): string {
  hold(started, release);
  return initStatus;
}

// map() items. --------------------------------------------------------------

export interface Step {
  i: number;
  /** [0]: runs; [1 + i]: 1 once item i ran. */
  log: Int32Array;
  started?: Event;
  release?: Event;
}

/** Logs that item `i` ran; holds its worker when it has a `release`. */
export function logStep(step: Step): number {
  Atomics.add(step.log, 0, 1);
  Atomics.store(step.log, 1 + step.i, 1);
  if (step.release !== undefined) hold(step.started ?? null, step.release);
  return step.i * 10;
}

/**
 * Item 0 finishes last: it waits until the `n - 1` others have counted
 * themselves in `done[0]`.
 */
export function lastFirst(item: { i: number; n: number; done: Int32Array }) {
  if (item.i === 0) {
    const deadline = performance.now() + PATIENCE;
    for (let v = Atomics.load(item.done, 0); v < item.n - 1;) {
      if (performance.now() > deadline) throw new Error("others never ran");
      Atomics.wait(item.done, 0, v, 100);
      v = Atomics.load(item.done, 0);
    }
  } else {
    Atomics.add(item.done, 0, 1);
    Atomics.notify(item.done, 0);
  }
  return item.i * item.i;
}

// Executors and futures in other threads. -----------------------------------

/** Submits `n` tasks from this thread and sums their results into `out`. */
export function submitAndSum(
  executor: ThreadPoolExecutor,
  n: number,
  out: Int32Array,
  slot: number,
): void {
  const futures: Future<number>[] = [];
  for (let i = 0; i < n; i++) futures.push(executor.submit(identity, i));
  let sum = 0;
  for (const f of futures) sum += f.result(PATIENCE);
  Atomics.store(out, slot, sum);
}

/** Waits in this thread for `future`, writes its result to `out[0]`. */
export function awaitFuture(future: Future<number>, out: Int32Array): void {
  out[0] = future.result(PATIENCE);
  out[1] = future.done() ? 1 : 0;
  Atomics.store(out, 2, 1);
  Atomics.notify(out, 2);
}

/** A task that submits to its own executor and waits for that inner task. */
export function submitInner(executor: ThreadPoolExecutor, x: number): number {
  return executor.submit(mul, x, 2).result(PATIENCE) + 1;
}

/** Submits from this thread to an executor that is shut down. */
export function submitAfterShutdown(
  executor: ThreadPoolExecutor,
): string {
  try {
    executor.submit(mul, 1, 1);
    return "accepted";
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
}
