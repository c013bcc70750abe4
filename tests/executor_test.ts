// ThreadPoolExecutor, after CPython's Lib/test/test_concurrent_futures
// (test_thread_pool.py, test_shutdown.py, test_init.py, executor.py).
import assert from "node:assert/strict";
import {
  CancelledError,
  currentThread,
  enumerate,
  Event,
  Future,
  getIdent,
  Lock,
  Queue,
  Semaphore,
  sleep,
  Thread,
  ThreadError,
  ThreadPoolExecutor,
  TimeoutError,
} from "../mod.ts";
import {
  cells,
  runChild,
  sharedWord,
  test,
  until,
  waitFor,
} from "./_helpers.ts";
import { X_IDLE } from "../src/_core/layout.ts";
import {
  acquirePermit,
  asyncDouble,
  asyncFail,
  awaitFuture,
  countRun,
  getInitStatus,
  hold,
  identity,
  init,
  initStatusAfter,
  inspect,
  lastFirst,
  logStep,
  makePoint,
  mul,
  PATIENCE,
  Point,
  returnFunction,
  slowCount,
  type Step,
  submitAfterShutdown,
  submitAndSum,
  submitInner,
  TaskError,
  throwRangeError,
  throwString,
  throwTaskError,
  whereAmI,
} from "./_executor_fixtures.ts";
import { failTask, TaskFailure } from "./_task_failure.ts";
import { makeHidden } from "./_fixtures.ts";
import { whichModule as whichA } from "./_same_name_a.ts";
import { whichModule as whichB } from "./_same_name_b.ts";

/** The live worker threads named `<prefix>_<i>`. */
function workersOf(prefix: string): Thread[] {
  return enumerate().filter((t) => t.name.startsWith(`${prefix}_`));
}

/** `n` map() items that log themselves in one shared log. */
function steps(n: number, log = cells(n + 1)): Step[] {
  return Array.from({ length: n }, (_, i) => ({ i, log }));
}

/** Which items of `steps()` ran. */
function ran(log: Int32Array, n: number): number[] {
  return Array.from({ length: n }, (_, i) => i).filter((i) => log[1 + i]);
}

// Construction. --------------------------------------------------------------

test("ThreadPoolExecutor rejects a maxWorkers that is not a positive integer with RangeError", () => {
  for (const maxWorkers of [0, -1, 1.5, Infinity]) {
    assert.throws(
      () => new ThreadPoolExecutor({ maxWorkers }),
      RangeError,
      `maxWorkers ${maxWorkers}`,
    );
  }
});

test("ThreadPoolExecutor rejects options of the wrong type with TypeError", () => {
  const bad: unknown[] = [
    5,
    "options",
    { maxWorkers: "2" },
    { maxWorkers: NaN },
    { threadNamePrefix: 42 },
    { initializer: "init" },
    { initializer: () => {}, initargs: "not an array" },
  ];
  for (const options of bad) {
    assert.throws(
      () =>
        new ThreadPoolExecutor(
          options as ConstructorParameters<typeof ThreadPoolExecutor>[0],
        ),
      TypeError,
      JSON.stringify(options),
    );
  }
});

test("ThreadPoolExecutor starts at most min(32, cores + 4) workers by default", () => {
  const expected = Math.min(32, navigator.hardwareConcurrency + 4);
  const sem = new Semaphore(0);
  using executor = new ThreadPoolExecutor({ threadNamePrefix: "default-max" });
  const futures = Array.from(
    { length: expected + 3 },
    () => executor.submit(acquirePermit, sem),
  );
  assert.equal(workersOf("default-max").length, expected);
  sem.release(futures.length);
  for (const f of futures) assert.equal(f.result(PATIENCE), undefined);
});

// Workers. ---------------------------------------------------------------------

test("ThreadPoolExecutor starts a worker per busy task up to maxWorkers, no more (saturation)", () => {
  const sem = new Semaphore(0);
  using executor = new ThreadPoolExecutor({
    maxWorkers: 4,
    threadNamePrefix: "saturation",
  });
  assert.equal(workersOf("saturation").length, 0, "none before a task");
  const futures = Array.from(
    { length: 15 * 4 },
    () => executor.submit(acquirePermit, sem),
  );
  assert.equal(workersOf("saturation").length, 4);
  sem.release(futures.length);
  for (const f of futures) f.result(PATIENCE);
  assert.equal(workersOf("saturation").length, 4);
});

test("ThreadPoolExecutor reuses an idle worker instead of starting another", async () => {
  using executor = new ThreadPoolExecutor({ threadNamePrefix: "reuse" });
  const idents = new Set<number>();
  for (const [x, y] of [[21, 2], [6, 7], [3, 14]]) {
    assert.equal(executor.submit(mul, x, y).result(PATIENCE), 42);
    // The worker counts itself idle right after it settles the future.
    await until(() => sharedWord(executor, X_IDLE) > 0, 5_000, "idle worker");
    idents.add(executor.submit(whereAmI).result(PATIENCE).ident);
    await until(() => sharedWord(executor, X_IDLE) > 0, 5_000, "idle worker");
  }
  assert.equal(idents.size, 1);
  assert.equal(workersOf("reuse").length, 1);
});

test("ThreadPoolExecutor workers are daemon threads named <prefix>_<i>, listed by enumerate()", () => {
  const started = Array.from({ length: 5 }, () => new Event());
  const release = new Event();
  using executor = new ThreadPoolExecutor({
    maxWorkers: 5,
    threadNamePrefix: "SpecialPool",
  });
  const holds = started.map((s) => executor.submit(hold, s, release));
  for (const s of started) assert.ok(s.wait(PATIENCE));
  const workers = workersOf("SpecialPool");
  assert.deepEqual(
    workers.map((t) => t.name).sort(),
    [
      "SpecialPool_0",
      "SpecialPool_1",
      "SpecialPool_2",
      "SpecialPool_3",
      "SpecialPool_4",
    ],
  );
  for (const t of workers) {
    assert.equal(t.daemon, true);
    assert.equal(t.isAlive(), true);
  }
  release.set();
  for (const f of holds) assert.equal(f.result(PATIENCE), "released");
  // In the task, currentThread() is the worker.
  const where = executor.submit(whereAmI).result(PATIENCE);
  assert.match(where.name, /^SpecialPool_[0-4]$/);
  assert.equal(where.daemon, true);
  assert.notEqual(where.ident, getIdent());
  assert.ok(workers.some((t) => t.ident === where.ident));
});

test("ThreadPoolExecutor's default prefix is ThreadPoolExecutor-N, distinct per executor", () => {
  using a = new ThreadPoolExecutor({ maxWorkers: 2 });
  using b = new ThreadPoolExecutor({ maxWorkers: 2 });
  const nameA = a.submit(whereAmI).result(PATIENCE).name;
  const nameB = b.submit(whereAmI).result(PATIENCE).name;
  const matchA = /^ThreadPoolExecutor-(\d+)_0$/.exec(nameA);
  const matchB = /^ThreadPoolExecutor-(\d+)_0$/.exec(nameB);
  assert.ok(matchA, nameA);
  assert.ok(matchB, nameB);
  assert.notEqual(matchA[1], matchB[1]);
  // An empty prefix is no prefix, as in Python.
  using c = new ThreadPoolExecutor({ maxWorkers: 1, threadNamePrefix: "" });
  assert.match(
    c.submit(whereAmI).result(PATIENCE).name,
    /^ThreadPoolExecutor-\d+_0$/,
  );
});

test("ThreadPoolExecutor worker threads end when it shuts down", () => {
  const sem = new Semaphore(0);
  const executor = new ThreadPoolExecutor({
    maxWorkers: 3,
    threadNamePrefix: "terminate",
  });
  for (let i = 0; i < 3; i++) executor.submit(acquirePermit, sem);
  const workers = workersOf("terminate");
  assert.equal(workers.length, 3);
  sem.release(3);
  executor.shutdown();
  for (const t of workers) assert.equal(t.isAlive(), false);
  assert.equal(workersOf("terminate").length, 0);
});

test("ThreadPoolExecutor with one worker runs tasks in submission order", () => {
  const order = new Queue<number>();
  using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  const futures = Array.from(
    { length: 50 },
    (_, i) =>
      executor.submit((q: Queue<number>, n: number) => q.put(n), order, i),
  );
  for (const f of futures) f.result(PATIENCE);
  const seen = Array.from({ length: 50 }, () => order.getNowait());
  assert.deepEqual(seen, Array.from({ length: 50 }, (_, i) => i));
});

// submit(). ------------------------------------------------------------------

test("submit() runs the function in a worker thread and its future gives the result", () => {
  using executor = new ThreadPoolExecutor({ maxWorkers: 2 });
  const future = executor.submit(mul, 2, 8);
  assert.ok(future instanceof Future);
  assert.equal(future.result(PATIENCE), 16);
  assert.notEqual(executor.submit(whereAmI).result(PATIENCE).ident, getIdent());
});

test("submit() runs self-contained inline functions using their arguments and JS globals", async () => {
  using executor = new ThreadPoolExecutor({ maxWorkers: 2 });
  assert.equal(
    executor.submit((a: number, b: number) => a + b, 20, 22).result(PATIENCE),
    42,
  );
  assert.equal(
    executor.submit(
      (s: string) => JSON.stringify({ n: Math.max(1, s.length) }),
      "abc",
    )
      .result(PATIENCE),
    '{"n":3}',
  );
  assert.equal(
    await executor.submit(async (x: number) => {
      await new Promise((r) => setTimeout(r, 1));
      return x + 1;
    }, 41),
    42,
  );
});

test("submit() of an inline function that uses a free variable fails clearly instead of binding it to something else", async () => {
  const factor = 3;
  using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  let error: unknown;
  try {
    await executor.submit((x: number) => x * factor, 2);
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof Error, `no error, got ${error}`);
  assert.match(error.message, /export/i);
});

test("submit() rejects a non-function and arguments that cannot cross threads with TypeError", () => {
  using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  assert.throws(
    () => executor.submit("mul" as unknown as () => number),
    TypeError,
  );
  assert.throws(() => executor.submit(identity, () => 1), TypeError);
  assert.throws(
    () => executor.submit(identity, { nested: [Symbol("s")] }),
    TypeError,
  );
  // The executor is still usable.
  assert.equal(executor.submit(mul, 6, 7).result(PATIENCE), 42);
});

test("submit() copies arguments and results with structuredClone fidelity, at submit time", () => {
  const started = new Event();
  const release = new Event();
  using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  const busy = executor.submit(hold, started, release);
  assert.ok(started.wait(PATIENCE));
  const cyclic: Record<string, unknown> = { name: "cycle" };
  cyclic.self = cyclic;
  const shared = { tag: "shared" };
  const value = {
    map: new Map<unknown, unknown>([[1, { big: 2n ** 70n }], [
      "k",
      new Set([1, "a"]),
    ]]),
    date: new Date(86_400_000),
    re: /a+b/gi,
    negZero: -0,
    nan: NaN,
    holes: [1, , 3],
    bytes: new Uint8Array([1, 2, 3]),
    error: new RangeError("inside", { cause: "why" }),
    cyclic,
    twice: [shared, shared],
    text: "héllo ✓",
    mutated: "before",
  };
  const future = executor.submit(identity, value);
  value.mutated = "after";
  release.set();
  assert.equal(busy.result(PATIENCE), "released");
  const back = future.result(PATIENCE);
  assert.equal(back.mutated, "before", "arguments are copied when submitted");
  assert.notEqual(back, value);
  assert.deepEqual(back.map, value.map);
  assert.equal((back.map.get(1) as { big: bigint }).big, 2n ** 70n);
  assert.equal(back.date.getTime(), 86_400_000);
  assert.ok(back.re instanceof RegExp);
  assert.equal(String(back.re), "/a+b/gi");
  assert.ok(Object.is(back.negZero, -0));
  assert.ok(Number.isNaN(back.nan));
  assert.equal(back.holes.length, 3);
  assert.equal(1 in back.holes, false, "a hole stays a hole");
  assert.deepEqual([...back.bytes], [1, 2, 3]);
  assert.ok(back.error instanceof RangeError);
  assert.equal(back.error.message, "inside");
  assert.equal(back.error.cause, "why");
  assert.equal(back.cyclic.self, back.cyclic);
  assert.equal(back.twice[0], back.twice[1]);
  assert.equal(back.text, "héllo ✓");
});

test("submit() shares SharedArrayBuffers and library primitives with the task, and exported classes arrive as themselves", () => {
  using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  const sab = cells(1);
  const lock = new Lock();
  const event = new Event();
  const queue = new Queue<string>();
  const point = new Point(3, 4);
  const seen = executor.submit(inspect, {
    sab,
    lock,
    event,
    queue,
    point,
    map: new Map([["p", point]]),
  }).result(PATIENCE);
  assert.deepEqual(seen, { point: 25, mapPoint: true, samePoint: true });
  assert.equal(sab[0], 99);
  assert.equal(lock.locked(), true, "the task acquired this very lock");
  lock.release();
  assert.equal(event.isSet(), true);
  assert.equal(queue.getNowait(), "from the task");
  const made = executor.submit(makePoint, 5, 12).result(PATIENCE);
  assert.ok(made instanceof Point);
  assert.equal(made.norm2(), 169);
});

test("submit() of an async function: the future is done when its promise settles", async () => {
  using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  const gate = new Event();
  const future = executor.submit(asyncDouble, 21, gate);
  await until(() => future.running(), 5_000, "the task to start");
  // Not done while the promise is pending (the gate is closed).
  assert.throws(() => future.result(50), TimeoutError);
  assert.equal(future.done(), false);
  assert.equal(future.running(), true);
  gate.set();
  assert.equal(await future, 42);
  const failing = executor.submit(asyncFail, "async boom");
  await assert.rejects(
    () => failing.resultAsync(PATIENCE),
    (e: unknown) =>
      e instanceof TaskError && e.message === "async boom" && e.code === 7,
  );
});

// Task errors. -------------------------------------------------------------------

test("result() throws a built-in error a task threw as an instance of its class, with message and stack", () => {
  using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  const future = executor.submit(throwRangeError, "out of range");
  assert.throws(
    () => future.result(PATIENCE),
    (e: unknown) => e instanceof RangeError && e.message === "out of range",
  );
  const error = future.exception(PATIENCE);
  assert.ok(error instanceof RangeError);
  assert.match(error.stack ?? "", /throwRangeError/);
  assert.equal(executor.submit(mul, 1, 2).exception(PATIENCE), undefined);
});

test("result() throws an exported error class a task threw as that class, with its fields", () => {
  using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  const future = executor.submit(throwTaskError, "custom", 3);
  assert.throws(
    () => future.result(PATIENCE),
    (e: unknown) =>
      e instanceof TaskError && e.name === "TaskError" &&
      e.message === "custom" && e.code === 3,
  );
  assert.ok(future.exception() instanceof TaskError);
});

test("result() throws this library's error classes as themselves: a task's ThreadError is a ThreadError", () => {
  using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  // Releasing an unlocked Lock throws ThreadError in the task.
  const future = executor.submit((lock: Lock) => lock.release(), new Lock());
  assert.throws(
    () => future.result(PATIENCE),
    (e: unknown) => {
      assert.equal((e as Error).name, "ThreadError");
      assert.ok(e instanceof ThreadError, "an instance of ThreadError");
      return true;
    },
  );
});

test("result() throws whatever a task threw, also a non-Error", () => {
  using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  const future = executor.submit(throwString);
  assert.throws(
    () => future.result(PATIENCE),
    (e: unknown) => e === "a plain string",
  );
  assert.equal(future.exception(), "a plain string");
});

test("a task whose result cannot cross threads fails with a TypeError saying so", () => {
  using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  assert.throws(
    () => executor.submit(returnFunction).result(PATIENCE),
    (e: unknown) =>
      e instanceof TypeError &&
      /Cannot pass the task's result back/.test(e.message),
  );
  assert.equal(executor.submit(mul, 2, 3).result(PATIENCE), 6);
});

// Futures of running tasks. --------------------------------------------------------

test("a task's Future: cancel() succeeds only before it starts; running(), done(), cancelled() follow it", () => {
  const started = new Event();
  const release = new Event();
  const counter = cells(1);
  using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  const first = executor.submit(hold, started, release);
  const second = executor.submit(countRun, counter, 2);
  assert.ok(started.wait(PATIENCE));
  assert.equal(first.running(), true);
  assert.equal(first.done(), false);
  assert.equal(first.cancel(), false, "a running task cannot be cancelled");
  assert.equal(first.cancelled(), false);
  assert.equal(second.running(), false);
  assert.equal(second.done(), false);
  assert.equal(second.cancel(), true);
  assert.equal(second.cancelled(), true);
  assert.equal(second.done(), true);
  assert.throws(() => second.result(), CancelledError);
  assert.throws(() => second.exception(), CancelledError);
  assert.throws(() => first.result(0), TimeoutError);
  assert.throws(() => first.exception(20), TimeoutError);
  release.set();
  assert.equal(first.result(PATIENCE), "released");
  assert.equal(first.done(), true);
  assert.equal(first.running(), false);
  assert.equal(first.cancel(), false, "a finished task cannot be cancelled");
  assert.equal(String(first), "<Future state=finished returned>");
  // The cancelled task never runs, the next one does.
  assert.equal(executor.submit(countRun, counter, 3).result(PATIENCE), 3);
  assert.equal(counter[0], 1);
});

test("result(timeout) throws TimeoutError after about timeout ms while the task runs", () => {
  const release = new Event();
  using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  const future = executor.submit(hold, null, release);
  const begin = performance.now();
  assert.throws(() => future.result(100), TimeoutError);
  const waited = performance.now() - begin;
  assert.ok(waited >= 95 && waited < 5_000, `waited ${waited} ms`);
  release.set();
  assert.equal(future.result(PATIENCE), "released");
});

test("addDoneCallback runs callbacks in the adding thread, in order, at once when done; a throwing one is ignored", async () => {
  const release = new Event();
  using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  const future = executor.submit(hold, null, release);
  const seen: string[] = [];
  future.addDoneCallback((f) => seen.push(`a:${f.result()}:${getIdent()}`));
  future.addDoneCallback(() => {
    throw new Error("callback error (printed and ignored on purpose)");
  });
  future.addDoneCallback((f) => seen.push(`b:${f === future}`));
  assert.equal(seen.length, 0);
  release.set();
  await until(() => seen.length === 2, 5_000, "done callbacks");
  assert.deepEqual(seen, [`a:released:${getIdent()}`, "b:true"]);
  future.addDoneCallback(() => seen.push("late"));
  assert.equal(seen.at(-1), "late", "added when done: runs at once");
});

test("a task's Future is awaitable: await gives the result or rejects with the task's error", async () => {
  using executor = new ThreadPoolExecutor({ maxWorkers: 2 });
  assert.equal(await executor.submit(mul, 6, 7), 42);
  await assert.rejects(
    async () => await executor.submit(throwTaskError, "awaited", 1),
    TaskError,
  );
});

test("resultAsync() waits without blocking the event loop, times out with TimeoutError, and aborts with the signal's reason", async () => {
  const release = new Event();
  using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  const future = executor.submit(hold, null, release);
  await assert.rejects(() => future.resultAsync(30), TimeoutError);
  const controller = new AbortController();
  const reason = new Error("stop waiting");
  const aborted = future.resultAsync(undefined, { signal: controller.signal });
  controller.abort(reason);
  await assert.rejects(aborted, (e: unknown) => e === reason);
  assert.equal(future.done(), false, "aborting the wait leaves the task be");
  // The timer runs while resultAsync() waits: the event loop is free.
  setTimeout(() => release.set(), 1);
  assert.equal(await future.resultAsync(PATIENCE), "released");
});

// map(). -----------------------------------------------------------------------

test("ThreadPoolExecutor.map() yields results in input order, not completion order", () => {
  using executor = new ThreadPoolExecutor({ maxWorkers: 2 });
  const done = cells(1);
  const items = [0, 1, 2, 3].map((i) => ({ i, n: 4, done }));
  // Item 0 finishes last: it waits for the three others.
  assert.deepEqual([...executor.map(lastFirst, items)], [0, 1, 4, 9]);
  assert.deepEqual(
    [...executor.map(
      (x: number) => x ** 2,
      Array.from({ length: 10 }, (_, i) => i),
    )],
    [0, 1, 4, 9, 16, 25, 36, 49, 64, 81],
  );
  assert.deepEqual([...executor.map(identity, [])], []);
});

test("ThreadPoolExecutor.map() submits every item at once, without iteration", () => {
  const log = cells(11);
  const executor = new ThreadPoolExecutor({ maxWorkers: 3 });
  function* items(): Generator<Step> {
    for (let i = 0; i < 10; i++) yield { i, log };
  }
  executor.map(logStep, items());
  executor.shutdown();
  assert.equal(log[0], 10);
  assert.deepEqual(ran(log, 10), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test("ThreadPoolExecutor.map() rethrows a task's error when its result is reached", () => {
  using executor = new ThreadPoolExecutor({ maxWorkers: 2 });
  const divmod = (p: number[]) => {
    if (p[1] === 0) throw new RangeError("integer division by zero");
    return [Math.trunc(p[0] / p[1]), p[0] % p[1]];
  };
  const it = executor.map(divmod, [[1, 2], [1, 3], [1, 0], [1, 5]]);
  assert.deepEqual(it.next().value, [0, 1]);
  assert.deepEqual(it.next().value, [0, 1]);
  assert.throws(
    () => it.next(),
    (e: unknown) =>
      e instanceof RangeError && e.message === "integer division by zero",
  );
});

test("ThreadPoolExecutor.map() throws TimeoutError from the iterator when a result is not ready in time", () => {
  const log = cells(4);
  const release = new Event();
  using executor = new ThreadPoolExecutor({ maxWorkers: 3 });
  const items: Step[] = [{ i: 0, log }, { i: 1, log }, { i: 2, log, release }];
  const begin = performance.now();
  const results: number[] = [];
  try {
    for (const r of executor.map(logStep, items, { timeout: 500 })) {
      results.push(r);
    }
    assert.fail("expected a TimeoutError");
  } catch (error) {
    assert.ok(error instanceof TimeoutError, String(error));
  }
  const waited = performance.now() - begin;
  assert.deepEqual(results, [0, 10]);
  assert.ok(waited >= 490 && waited < 5_000, `waited ${waited} ms`);
  release.set();
});

test("ThreadPoolExecutor.map()'s timeout runs from the call, not from next()", () => {
  const log = cells(2);
  const release = new Event();
  using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  const it = executor.map(logStep, [{ i: 0, log, release }], { timeout: 200 });
  sleep(300); // the whole timeout passes before the first next()
  const begin = performance.now();
  assert.throws(() => it.next(), TimeoutError);
  const waited = performance.now() - begin;
  assert.ok(waited < 100, `next() waited ${waited} ms more`);
  release.set();
});

test("ThreadPoolExecutor.map() with timeout 0 cancels the current and remaining tasks when it times out", () => {
  const started = new Event();
  const release = new Event();
  const log = cells(3);
  using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  const first = executor.submit(hold, started, release);
  assert.ok(started.wait(PATIENCE));
  const it = executor.map(logStep, steps(2, log), { timeout: 0 });
  try {
    assert.throws(() => it.next(), TimeoutError);
  } finally {
    it.return?.();
    release.set();
  }
  assert.equal(first.result(PATIENCE), "released");
  executor.shutdown();
  assert.equal(log[0], 0, "neither mapped task ran");
});

test("closing ThreadPoolExecutor.map()'s iterator early cancels the tasks not started", () => {
  const log = cells(5);
  const started = new Event();
  const release = new Event();
  using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  const items: Step[] = [
    { i: 0, log },
    { i: 1, log, started, release },
    { i: 2, log },
    { i: 3, log },
  ];
  for (const r of executor.map(logStep, items)) {
    assert.equal(r, 0);
    assert.ok(started.wait(PATIENCE), "item 1 runs");
    break;
  }
  release.set();
  executor.shutdown();
  assert.deepEqual(ran(log, 4), [0, 1]);
});

test("ThreadPoolExecutor.map() rejects a timeout of the wrong type with TypeError", () => {
  using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  assert.throws(
    () => executor.map(identity, [1], { timeout: "1" as unknown as number }),
    TypeError,
  );
});

// mapAsync(). --------------------------------------------------------------------

test("ThreadPoolExecutor.mapAsync() yields results in order without blocking the event loop", async () => {
  const log = cells(4);
  const release = new Event();
  using executor = new ThreadPoolExecutor({ maxWorkers: 3 });
  const items: Step[] = [{ i: 0, log, release }, { i: 1, log }, { i: 2, log }];
  const results: number[] = [];
  // Item 0 is released by a timer of this thread, while the loop waits.
  setTimeout(() => release.set(), 1);
  for await (const r of executor.mapAsync(logStep, items)) results.push(r);
  assert.deepEqual(results, [0, 10, 20]);
});

test("ThreadPoolExecutor.mapAsync() rejects with TimeoutError when a result is not ready in time, and rethrows task errors", async () => {
  const log = cells(3);
  const release = new Event();
  using executor = new ThreadPoolExecutor({ maxWorkers: 2 });
  const it = executor.mapAsync(
    logStep,
    [{ i: 0, log }, { i: 1, log, release }],
    {
      timeout: 200,
    },
  );
  assert.deepEqual(await it.next(), { value: 0, done: false });
  await assert.rejects(() => it.next(), TimeoutError);
  release.set();
  const failing = executor.mapAsync(
    (x: number) => {
      if (x === 2) throw new TypeError("two");
      return x;
    },
    [1, 2, 3],
  );
  assert.deepEqual(await failing.next(), { value: 1, done: false });
  await assert.rejects(() => failing.next(), TypeError);
});

test("leaving a for await over ThreadPoolExecutor.mapAsync() early cancels the tasks not started", async () => {
  const log = cells(5);
  const started = new Event();
  const release = new Event();
  using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  const items: Step[] = [
    { i: 0, log },
    { i: 1, log, started, release },
    { i: 2, log },
    { i: 3, log },
  ];
  for await (const r of executor.mapAsync(logStep, items)) {
    assert.equal(r, 0);
    assert.ok(await started.waitAsync(PATIENCE), "item 1 runs");
    break;
  }
  release.set();
  executor.shutdown();
  assert.deepEqual(ran(log, 4), [0, 1]);
});

test("aborting ThreadPoolExecutor.mapAsync()'s signal rejects with its reason and cancels the tasks not started", async () => {
  const log = cells(4);
  const started = new Event();
  const release = new Event();
  using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  const controller = new AbortController();
  const reason = new Error("no more");
  const it = executor.mapAsync(
    logStep,
    [{ i: 0, log, started, release }, { i: 1, log }, { i: 2, log }],
    { signal: controller.signal },
  );
  const next = it.next();
  assert.ok(await started.waitAsync(PATIENCE));
  controller.abort(reason);
  await assert.rejects(next, (e: unknown) => e === reason);
  release.set();
  executor.shutdown();
  assert.deepEqual(ran(log, 3), [0]);
});

test("ThreadPoolExecutor.mapAsync() with an aborted signal submits nothing and reports the reason", async () => {
  const log = cells(3);
  using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  const controller = new AbortController();
  const reason = new Error("aborted before");
  controller.abort(reason);
  await assert.rejects(
    async () => {
      const it = executor.mapAsync(logStep, steps(2, log), {
        signal: controller.signal,
      });
      await it.next();
    },
    (e: unknown) => e === reason,
  );
  executor.shutdown();
  assert.equal(log[0], 0);
});

// shutdown(). ------------------------------------------------------------------

test("submit() after shutdown() throws ThreadError: cannot schedule new futures after shutdown", async () => {
  const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  executor.submit(mul, 1, 1).result(PATIENCE);
  executor.shutdown();
  assert.throws(
    () => executor.submit(mul, 2, 5),
    (e: unknown) =>
      e instanceof ThreadError &&
      e.message === "cannot schedule new futures after shutdown",
  );
  assert.throws(() => executor.map(identity, [1]), ThreadError);
  executor.shutdown(); // again: harmless
  const later = new ThreadPoolExecutor({ maxWorkers: 1 });
  await later.shutdownAsync();
  assert.throws(() => later.submit(mul, 2, 5), ThreadError);
});

test("submit() from another thread to an executor shut down throws the same ThreadError there", () => {
  const closed = new ThreadPoolExecutor({ maxWorkers: 1 });
  closed.shutdown();
  using other = new ThreadPoolExecutor({ maxWorkers: 1 });
  assert.equal(
    other.submit(submitAfterShutdown, closed).result(PATIENCE),
    "ThreadError: cannot schedule new futures after shutdown",
  );
});

test("shutdown() waits for every queued task to finish (no hang with many queued)", () => {
  const counter = cells(1);
  const executor = new ThreadPoolExecutor({ maxWorkers: 3 });
  const futures = Array.from(
    { length: 50 },
    () => executor.submit(slowCount, counter, 2),
  );
  executor.shutdown();
  assert.equal(counter[0], 50);
  for (const f of futures) assert.equal(f.done(), true);
  assert.deepEqual(
    futures.map((f) => f.result(0)).sort((a, b) => a - b),
    Array.from({ length: 50 }, (_, i) => i + 1),
  );
});

test("shutdown({ cancelFutures: true }) cancels the queued tasks and lets the running ones finish", () => {
  const started = [new Event(), new Event()];
  const release = new Event();
  const counter = cells(1);
  const executor = new ThreadPoolExecutor({ maxWorkers: 2 });
  const running = started.map((s) => executor.submit(hold, s, release));
  for (const s of started) assert.ok(s.wait(PATIENCE));
  const queued = Array.from(
    { length: 20 },
    (_, i) => executor.submit(countRun, counter, i),
  );
  executor.shutdown({ wait: false, cancelFutures: true });
  assert.ok(
    queued.every((f) => f.cancelled()),
    "every queued task is cancelled",
  );
  assert.ok(running.every((f) => f.running()), "running tasks go on");
  release.set();
  executor.shutdown(); // waits now
  for (const f of running) assert.equal(f.result(0), "released");
  assert.equal(counter[0], 0);
});

test("shutdownAsync({ cancelFutures: true }) waits without blocking the event loop and cancels the queued tasks", async () => {
  const started = new Event();
  const release = new Event();
  const counter = cells(1);
  const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  const running = executor.submit(hold, started, release);
  assert.ok(started.wait(PATIENCE));
  const queued = Array.from(
    { length: 10 },
    (_, i) => executor.submit(countRun, counter, i),
  );
  const seen: boolean[] = [];
  queued[0].addDoneCallback((f) => seen.push(f.cancelled()));
  // Released by this thread's timer while shutdownAsync() waits.
  setTimeout(() => release.set(), 1);
  await executor.shutdownAsync({ cancelFutures: true });
  assert.equal(running.result(0), "released");
  assert.ok(queued.every((f) => f.cancelled()));
  await until(() => seen.length > 0, 5_000, "the done callback");
  assert.deepEqual(seen, [true], "done callbacks of cancelled tasks run");
  assert.equal(counter[0], 0);
  assert.throws(() => executor.submit(mul, 1, 1), ThreadError);
});

test("shutdown({ wait: false }) returns at once; queued tasks still run and the workers can be joined", () => {
  const started = new Event();
  const release = new Event();
  const counter = cells(1);
  const executor = new ThreadPoolExecutor({
    maxWorkers: 1,
    threadNamePrefix: "no-wait",
  });
  const first = executor.submit(hold, started, release);
  const queued = Array.from(
    { length: 5 },
    (_, i) => executor.submit(countRun, counter, i),
  );
  assert.ok(started.wait(PATIENCE));
  const workers = workersOf("no-wait");
  assert.equal(workers.length, 1);
  executor.shutdown({ wait: false });
  assert.equal(first.running(), true, "returned while the task runs");
  assert.equal(workers[0].isAlive(), true);
  release.set();
  for (const t of workers) assert.equal(t.join(PATIENCE), true);
  assert.equal(counter[0], 5);
  assert.deepEqual(queued.map((f) => f.result(0)), [0, 1, 2, 3, 4]);
});

test("shutdown() does not hang when a task was submitted and cancelled just before", () => {
  const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  assert.equal(executor.submit(identity, 1).result(PATIENCE), 1);
  const f = executor.submit(identity, 2);
  f.cancel();
  executor.shutdown();
  assert.equal(f.done(), true);
});

test("shutdown() rejects options of the wrong type with TypeError and changes nothing", async () => {
  using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  assert.throws(
    () => executor.shutdown({ wait: "yes" as unknown as boolean }),
    TypeError,
  );
  assert.throws(
    () => executor.shutdown(1 as unknown as { wait: boolean }),
    TypeError,
  );
  await assert.rejects(
    () => executor.shutdownAsync({ cancelFutures: 1 as unknown as boolean }),
    TypeError,
  );
  assert.equal(executor.submit(mul, 3, 3).result(PATIENCE), 9);
});

test("`using` shuts the executor down at the end of the block, waiting for its tasks", () => {
  const counter = cells(1);
  let executor: ThreadPoolExecutor;
  let futures: Future<number>[];
  {
    using ex = new ThreadPoolExecutor({ maxWorkers: 2 });
    executor = ex;
    futures = Array.from(
      { length: 6 },
      () => ex.submit(slowCount, counter, 20),
    );
  }
  assert.equal(counter[0], 6);
  assert.ok(futures.every((f) => f.done()));
  assert.throws(() => executor.submit(mul, 1, 1), ThreadError);
});

test("`await using` shuts the executor down at the end of the block without blocking the event loop", async () => {
  const release = new Event();
  let executor: ThreadPoolExecutor;
  let future: Future<string>;
  {
    await using ex = new ThreadPoolExecutor({ maxWorkers: 1 });
    executor = ex;
    future = ex.submit(hold, null, release);
    // Fires while the block's end waits for the task.
    setTimeout(() => release.set(), 1);
  }
  assert.equal(future.done(), true);
  assert.equal(future.result(0), "released");
  assert.throws(() => executor.submit(mul, 1, 1), ThreadError);
});

// Initializers. --------------------------------------------------------------------

test("the initializer runs once in each worker, with initargs, before its tasks", () => {
  const calls = cells(1);
  const started = [new Event(), new Event()];
  const release = new Event();
  const executor = new ThreadPoolExecutor({
    maxWorkers: 2,
    initializer: init,
    initargs: [calls, "initialized"],
  });
  const both = started.map((s) => executor.submit(initStatusAfter, s, release));
  for (const s of started) assert.ok(s.wait(PATIENCE), "two workers run");
  release.set();
  for (const f of both) assert.equal(f.result(PATIENCE), "initialized");
  const more = Array.from({ length: 10 }, () => executor.submit(getInitStatus));
  for (const f of more) assert.equal(f.result(PATIENCE), "initialized");
  executor.shutdown();
  assert.equal(calls[0], 2);
});

test("a self-contained inline initializer runs in each worker", () => {
  const calls = cells(1);
  const executor = new ThreadPoolExecutor({
    maxWorkers: 1,
    initializer: (c: Int32Array, n: number) => {
      Atomics.add(c, 0, n);
    },
    initargs: [calls, 5],
  });
  assert.equal(executor.submit(mul, 2, 2).result(PATIENCE), 4);
  assert.equal(calls[0], 5);
  executor.shutdown();
});

// Across threads. --------------------------------------------------------------------

test(
  "an executor passed to other threads takes their submissions: 4 threads x 10,000 tasks sum exactly",
  () => {
    const n = 10_000;
    const sums = cells(4);
    using executor = new ThreadPoolExecutor({
      maxWorkers: 4,
      threadNamePrefix: "many",
    });
    const threads = [0, 1, 2, 3].map((slot) =>
      new Thread({ target: submitAndSum, args: [executor, n, sums, slot] })
    );
    for (const t of threads) t.start();
    for (const t of threads) assert.equal(t.join(50_000), true);
    assert.deepEqual([...sums], Array(4).fill((n * (n - 1)) / 2));
    assert.ok(workersOf("many").length <= 4);
  },
  60_000,
);

test("a task's future passed to another thread can be waited on there", () => {
  const release = new Event();
  const out = cells(3);
  using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  const future = executor.submit(
    (e: Event, x: number) => {
      if (!e.wait(10_000)) throw new Error("never released");
      return x;
    },
    release,
    1234,
  );
  const waiter = new Thread({ target: awaitFuture, args: [future, out] });
  waiter.start();
  assert.equal(Atomics.load(out, 2), 0, "the waiter waits");
  release.set();
  waitFor(out, 2, 1);
  assert.equal(waiter.join(PATIENCE), true);
  assert.deepEqual([...out], [1234, 1, 1]);
});

test("a task can submit to its own executor and wait for the inner task", () => {
  using executor = new ThreadPoolExecutor({ maxWorkers: 2 });
  const future = executor.submit(submitInner, executor, 21);
  assert.equal(future.result(PATIENCE), 43);
});

test("many more tasks than workers each run exactly once", () => {
  const counter = cells(1);
  using executor = new ThreadPoolExecutor({ maxWorkers: 3 });
  const futures = Array.from(
    { length: 2_000 },
    (_, i) => executor.submit(countRun, counter, i),
  );
  let sum = 0;
  for (const f of futures) sum += f.result(PATIENCE);
  assert.equal(sum, (2_000 * 1_999) / 2);
  assert.equal(counter[0], 2_000);
  assert.equal(currentThread().name, "MainThread");
});

// The process's exit (child processes). -------------------------------------------

const PROGRAM = new URL("./_executor_program.ts", import.meta.url);

async function runProgram(
  mode: string,
): Promise<{ code: number; out: string[]; err: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", PROGRAM.href, mode],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    signal: AbortSignal.timeout(25_000),
  }).output();
  const decoder = new TextDecoder();
  const out = decoder.decode(stdout).trim();
  return {
    code,
    out: out === "" ? [] : out.split("\n"),
    err: decoder.decode(stderr),
  };
}

test(
  "at process exit, tasks already submitted still run (the main program ends without shutdown)",
  async () => {
    const r = await runProgram("exit-runs-tasks");
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, "");
    assert.equal(r.out[0], "pending 5");
    assert.deepEqual(r.out.slice(1).sort(), [
      "task 1",
      "task 2",
      "task 3",
      "task 4",
      "task 5",
    ]);
  },
  30_000,
);

test(
  "an uncaught error in main while tasks are pending: the tasks still complete, exit code 1",
  async () => {
    const r = await runProgram("exit-error");
    assert.equal(r.code, 1);
    assert.match(r.err, /main failed/);
    assert.equal(r.out[0], "pending 5");
    assert.deepEqual(r.out.slice(1).sort(), [
      "task 1",
      "task 2",
      "task 3",
      "task 4",
      "task 5",
    ]);
  },
  30_000,
);

test(
  "at process exit, tasks cancelled by shutdown({ wait: false, cancelFutures: true }) do not run",
  async () => {
    const r = await runProgram("exit-cancel");
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, "");
    assert.deepEqual(r.out, ["cancelled 3", "first"]);
  },
  30_000,
);

test(
  "shutdown({ wait: false }) with a running task does not hang the process's exit; the task finishes",
  async () => {
    const r = await runProgram("exit-no-wait");
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, "");
    assert.deepEqual(r.out, ["main done", "apple"]);
  },
  30_000,
);

for (const mode of ["broken-init", "broken-init-async"]) {
  test(
    `an initializer that ${
      mode === "broken-init" ? "throws" : "rejects"
    } prints "Exception in initializer:" and breaks the pool with BrokenThreadPool`,
    async () => {
      const r = await runProgram(mode);
      assert.equal(r.code, 0, r.err);
      assert.match(r.err, /Exception in initializer:/);
      assert.match(r.err, /error in initializer/);
      // "<name> <instanceof BrokenThreadPool> <instanceof BrokenExecutor>"
      const broken = "BrokenThreadPool true true";
      assert.deepEqual(r.out.slice(1), [
        `later submit: ${broken}`,
        "shut down",
      ]);
      // The pending future fails with BrokenThreadPool (or, when the pool
      // broke before submit(), submit() throws it).
      assert.ok(
        [`future: ${broken}`, `submit threw early: ${broken}`].includes(
          r.out[0],
        ),
        r.out[0],
      );
    },
    30_000,
  );
}

Deno.test({
  name:
    "a worker that runs out of memory fails its task's future with MemoryError; the pool replaces it, runs the queued tasks and later ones",
  timeout: 120_000,
}, async () => {
  const r = await runChild(
    new URL("./_oom_program.ts", import.meta.url),
    ["executor"],
  );
  assert.equal(r.code, 0, r.err);
  assert.match(
    r.err,
    /^Exception in thread ThreadPoolExecutor-\d+_0:\nMemoryError: the thread ran out of memory: its heap limit is 64 MB/m,
  );
  assert.deepEqual(r.out.trim().split("\n"), [
    "task failed: MemoryError true",
    "queued: 2,4,6",
    "later: 42",
    "main done",
  ]);
});

test("ThreadPoolExecutor refuses resourceLimits of the wrong type or out of range", () => {
  assert.throws(
    () =>
      new ThreadPoolExecutor({ resourceLimits: { maxHeapMb: "1" as never } }),
    TypeError,
  );
  assert.throws(
    () => new ThreadPoolExecutor({ resourceLimits: { maxHeapMb: 8 } }),
    RangeError,
  );
});

Deno.test({
  name:
    "a worker that runs out of memory in the initializer breaks the pool, as an initializer that throws",
  timeout: 120_000,
}, async () => {
  const r = await runChild(
    new URL("./_oom_program.ts", import.meta.url),
    ["executor-initializer"],
  );
  assert.equal(r.code, 0, r.err);
  assert.match(
    r.err,
    /^Exception in thread ThreadPoolExecutor-\d+_0:\nMemoryError: /m,
  );
  assert.deepEqual(r.out.trim().split("\n"), [
    "queued: BrokenThreadPool",
    "later: BrokenThreadPool",
    "main done",
  ]);
});

// Classes and functions keep their identity. ---------------------------------

test("an exported Error subclass thrown by a task arrives as that class, with its fields, message, stack and cause: from result(), await and exception()", async () => {
  const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  try {
    // result() first: an await imports the class's module here.
    const errors: unknown[] = [];
    try {
      executor.submit(failTask, 1).result(PATIENCE);
    } catch (error) {
      errors.push(error);
    }
    try {
      await executor.submit(failTask, 2);
    } catch (error) {
      errors.push(error);
    }
    errors.push(executor.submit(failTask, 3).exception(PATIENCE));
    assert.equal(errors.length, 3);
    errors.forEach((error, i) => {
      assert.ok(error instanceof TaskFailure, `${i}: ${error}`);
      assert.equal(error.name, "TaskFailure");
      assert.equal(error.code, i + 1);
      assert.equal(error.message, `task failed with ${i + 1}`);
      assert.match(error.stack ?? "", /failTask/);
      assert.ok(error.cause instanceof RangeError);
      assert.equal(error.cause.message, `cause ${i + 1}`);
    });
  } finally {
    executor.shutdown();
  }
});

test("submit() refuses an argument holding an instance of a class its module does not export, naming its path; a task's such result fails its future", () => {
  const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  try {
    assert.throws(
      () => executor.submit(identity, { inner: [makeHidden()] }),
      /^TypeError: Cannot pass an instance of class Hidden, which is not exported .* \(at args\[0\]\.inner\[0\]\)/,
    );
    assert.throws(
      () => executor.submit(makeHidden).result(PATIENCE),
      /^TypeError: Cannot pass the task's result back: .*class Hidden, which is not exported/,
    );
    assert.equal(executor.submit(mul, 6, 7).result(PATIENCE), 42);
  } finally {
    executor.shutdown();
  }
});

test("two modules' functions with the same name and source each run as their own module's function, in one reused worker", () => {
  const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  try {
    assert.deepStrictEqual(
      [whichA, whichB, whichA, whichB].map((fn) =>
        executor.submit(fn).result(PATIENCE)
      ),
      [
        "a _same_name_a.ts",
        "b _same_name_b.ts",
        "a _same_name_a.ts",
        "b _same_name_b.ts",
      ],
    );
  } finally {
    executor.shutdown();
  }
});
