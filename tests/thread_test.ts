import assert from "node:assert/strict";
import { countRun } from "./_module_state.ts";
import {
  activeCount,
  currentThread,
  enumerate,
  Event,
  getIdent,
  getNativeId,
  Lock,
  mainThread,
  Queue,
  setDefaultResourceLimits,
  setExcepthook,
  setThreadPoolSize,
  sleep,
  Thread,
  ThreadError,
  TIMEOUT_MAX,
} from "../mod.ts";
import {
  cells,
  osThreads,
  runChild,
  test,
  until,
  waitFor,
} from "./_helpers.ts";
import {
  asyncTarget,
  countWhile,
  fail,
  failAsync,
  incrementMany,
  inspectArgs,
  joinOther,
  makeHidden,
  noop,
  Point,
  recordHeapLimit,
  recordIdentity,
  recordingHook,
  RecordingThread,
  rejectUnhandled,
  renameSelf,
  reportName,
  SharedText,
  signalThenWait,
  sleepThenMark,
  startChild,
  waitOn,
} from "./_fixtures.ts";
import { reportWhich as reportA } from "./_same_name_a.ts";
import { reportWhich as reportB } from "./_same_name_b.ts";

test("Thread runs its target in another thread with its arguments", () => {
  const out = cells(9);
  const t = new Thread({ target: recordIdentity, args: [out] });
  t.start();
  t.join();
  assert.equal(out[8], 1);
  assert.notEqual(out[0], getIdent());
  assert.equal(out[0], t.ident);
  assert.equal(out[1], t.nativeId);
  assert.equal(out[2], mainThread().ident);
  assert.equal(out[3], mainThread().nativeId);
  assert.equal(out[4], 1, "currentThread().ident === getIdent() in the thread");
  assert.equal(out[5], 1, "enumerate() in the thread lists the thread");
  assert.ok(out[6] >= 2, "activeCount() in the thread counts main and itself");
  assert.equal(
    out[7],
    1,
    "the target's module top level ran once in the thread",
  );
});

test("start() returns with the thread alive, listed, and its ids set", () => {
  const release = new Event();
  const t = new Thread({ target: waitOn, args: [release] });
  assert.equal(t.ident, null);
  assert.equal(t.nativeId, null);
  assert.equal(t.isAlive(), false);
  t.start();
  assert.equal(t.isAlive(), true);
  assert.ok(enumerate().includes(t));
  assert.equal(typeof t.ident, "number");
  assert.notEqual(t.nativeId, mainThread().nativeId);
  release.set();
  t.join();
  assert.equal(t.isAlive(), false);
  assert.ok(!enumerate().includes(t), "a joined thread is not enumerated");
});

test("mainThread() is the current thread in main and its native id is the process's", () => {
  assert.equal(currentThread(), mainThread());
  assert.equal(mainThread().name, "MainThread");
  assert.equal(mainThread().nativeId, getNativeId());
  assert.equal(getNativeId(), Deno.pid);
  assert.equal(mainThread().daemon, false);
  assert.ok(mainThread().isAlive());
});

test("nativeId values are distinct among live threads", () => {
  const release = new Event();
  const threads = Array.from(
    { length: 4 },
    () => new Thread({ target: waitOn, args: [release] }),
  );
  for (const t of threads) t.start();
  const ids = new Set([getNativeId(), ...threads.map((t) => t.nativeId)]);
  assert.equal(ids.size, 5);
  release.set();
  for (const t of threads) t.join();
});

test("join() returns false after its timeout while the thread runs, true once it ends", () => {
  const started = new Event();
  const release = new Event();
  const t = new Thread({ target: signalThenWait, args: [started, release] });
  t.start();
  started.wait();
  const begin = performance.now();
  assert.equal(t.join(50), false);
  const waited = performance.now() - begin;
  assert.ok(waited >= 45 && waited < 2_000, `waited ${waited} ms`);
  assert.equal(t.isAlive(), true);
  assert.equal(t.join(-5), false, "a negative timeout counts as 0");
  release.set();
  assert.equal(t.join(10_000), true);
  assert.equal(t.join(), true);
});

test("joinAsync() waits without blocking the event loop", async () => {
  const release = new Event();
  const t = new Thread({ target: waitOn, args: [release] });
  t.start();
  assert.equal(await t.joinAsync(20), false);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const joined = t.joinAsync();
  setTimeout(() => release.set(), 30);
  assert.equal(await joined, true);
  clearInterval(timer);
  assert.ok(ticks > 0, "timers ran while joinAsync() waited");
  await assert.rejects(new Thread({ target: noop }).joinAsync(), ThreadError);
  await assert.rejects(t.joinAsync("1" as unknown as number), TypeError);
});

test("default names are Thread-N and Thread-N (target), numbered in every thread", () => {
  const a = new Thread();
  const b = new Thread({ target: noop });
  const c = new Thread({ target: () => {} });
  const n = Number(/^Thread-(\d+)$/.exec(a.name)![1]);
  assert.equal(b.name, `Thread-${n + 1} (noop)`);
  assert.equal(c.name, `Thread-${n + 2}`);
  const text = new SharedText();
  const t = new Thread({ target: reportName, args: [text] });
  t.start();
  t.join();
  assert.equal(text.read(), `Thread-${n + 3} (reportName)|MainThread|false`);
  assert.equal(new Thread({ name: "" }).name, `Thread-${n + 4}`);
});

test("a name changed in any thread is seen by every thread", () => {
  const done = new Event();
  const proceed = new Event();
  const t = new Thread({
    target: renameSelf,
    args: ["renamed", done, proceed],
    name: "before",
  });
  t.start();
  done.wait();
  assert.equal(t.name, "renamed");
  assert.ok(enumerate().some((x) => x.name === "renamed"));
  t.name = "from main";
  const text = new SharedText();
  const watcher = new Thread({ target: joinOther, args: [t, text] });
  watcher.start();
  proceed.set();
  watcher.join();
  t.join();
  assert.equal(text.read(), "from main|true|false");
  assert.equal(
    t.name,
    "from main",
    "the last name stays after the thread ends",
  );
});

test("a subclass runs on an instance of its class carrying its fields", () => {
  const text = new SharedText();
  const t = new RecordingThread("fields", text);
  t.start();
  t.join();
  assert.equal(text.read(), "fields|true|recording-fields");
});

test("an async target keeps the thread alive until its promise settles", () => {
  const go = new Event();
  const out = cells(1);
  const t = new Thread({ target: asyncTarget, args: [go, out] });
  t.start();
  assert.equal(t.join(30), false);
  assert.equal(t.isAlive(), true);
  go.set();
  assert.equal(t.join(10_000), true);
  assert.equal(out[0], 1);
});

test("a self-contained inline target runs with the library in scope", () => {
  const out = cells(2);
  const t = new Thread({
    target: (cell: Int32Array) => {
      cell[0] = 7;
      cell[1] = currentThread().name === "inline" ? 1 : 0;
    },
    args: [out],
    name: "inline",
  });
  t.start();
  t.join();
  assert.deepEqual([...out], [7, 1]);
});

test("start() refuses a non-exported function that uses outside names, saying to export it or pass them in args", () => {
  const captured = 5;
  const name = "alice";
  const cell = cells(1);
  const refused = (target: () => unknown): TypeError => {
    const t = new Thread({ target });
    let error: unknown;
    try {
      t.start();
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof TypeError, `refused: ${error}`);
    assert.equal(t.isAlive(), false, "the refused thread is not alive");
    assert.ok(!enumerate().includes(t));
    return error;
  };
  const closure = refused(() => captured);
  assert.match(closure.message, /uses "captured"/);
  assert.match(closure.message, /Export the function from its module/);
  assert.match(closure.message, /pass the value in args/);
  // The case: a captured local must not bind to the worker's `name`.
  const greeting = refused(() => console.log(`hello ${name}`));
  assert.match(greeting.message, /uses "name"/);
  const helper = refused(() => fail(cell));
  assert.match(helper.message, /uses "fail", "cell"/);
  assert.match(helper.message, /pass those values in args/);
  const bound = refused(noop.bind(null));
  assert.match(bound.message, /"bound noop" cannot be found in the new thread/);
  assert.match(bound.message, /Export it from its module/);
  assert.equal(cell[0], 0, "nothing ran");
});

test("a self-contained inline function runs: parameters, locals, JavaScript's globals and the library are fine", () => {
  const out = cells(2);
  const t = new Thread({
    target: (o: Int32Array, n: number) => {
      const doubled = [n].map((x) => x * 2)[0];
      Atomics.store(o, 0, doubled + Math.max(0, 1));
      Atomics.store(o, 1, currentThread().name === "inline" ? 1 : 2);
    },
    args: [out, 20],
    name: "inline",
  });
  t.start();
  t.join();
  assert.deepEqual([...out], [41, 1]);
});

test("arguments: shared memory and primitives are shared, classes kept, structure kept", () => {
  const lock = new Lock();
  lock.acquire();
  const point = new Point(3, 4);
  const shared = cells(1);
  const text = new SharedText();
  const value = {
    lock,
    point,
    nested: { list: [point], map: new Map([["a", point]]), shared },
    date: new Date(0),
  };
  const t = new Thread({ target: inspectArgs, args: [value, text] });
  t.start();
  t.join();
  assert.deepEqual(JSON.parse(text.read()), {
    lock: true,
    locked: true,
    point: 5,
    list: [true],
    map: true,
    same: true,
    date: true,
  });
  assert.equal(shared[0], 99, "typed arrays over shared memory are shared");
  lock.release();
});

test("arguments that cannot cross threads are refused at start() with their path", () => {
  const t = new Thread({
    target: noop as (...a: unknown[]) => void,
    args: [1, { callback: () => {} }],
  });
  assert.throws(() => t.start(), (e: Error) => {
    assert.ok(e instanceof TypeError);
    assert.match(e.message, /args\[1\]\.callback/);
    assert.match(e.message, /function/);
    return true;
  });
  assert.equal(t.isAlive(), false);
  assert.throws(
    () =>
      new Thread({
        target: noop as (a: unknown) => void,
        args: [new WeakMap()],
      }).start(),
    /WeakMap.*args\[0\]/,
  );
  assert.throws(
    () =>
      new Thread({ target: noop as (a: unknown) => void, args: [Symbol("s")] })
        .start(),
    TypeError,
  );
});

test("Thread objects are shareable: passed to a thread they join and report the same thread", () => {
  const release = new Event();
  const sleeper = new Thread({
    target: waitOn,
    args: [release],
    name: "sleeper",
  });
  sleeper.start();
  const text = new SharedText();
  const joiner = new Thread({ target: joinOther, args: [sleeper, text] });
  joiner.start();
  release.set();
  joiner.join();
  sleeper.join();
  assert.equal(text.read(), "sleeper|true|false");
  assert.throws(
    () => new Thread({ target: joinOther, args: [new Thread(), text] }).start(),
    /before start/,
  );
});

test("misuse raises ThreadError: start twice, join unstarted or current, daemon after start", () => {
  const t = new Thread({ target: noop });
  assert.throws(() => t.join(), /cannot join thread before it is started/);
  t.start();
  assert.throws(() => t.start(), ThreadError);
  assert.throws(
    () => (t.daemon = true),
    /cannot set daemon status of active thread/,
  );
  t.join();
  assert.throws(() => t.start(), /threads can only be started once/);
  assert.throws(() => currentThread().join(), /cannot join current thread/);
  assert.throws(() => mainThread().join(0), ThreadError);
});

test("bad options are TypeErrors and RangeErrors", () => {
  const bad = (options: unknown) => () => new Thread(options as never);
  assert.throws(bad(42), TypeError);
  assert.throws(bad({ target: 1 }), TypeError);
  assert.throws(bad({ args: "x" }), TypeError);
  assert.throws(bad({ name: 3 }), TypeError);
  assert.throws(bad({ daemon: "yes" }), TypeError);
  assert.throws(bad({ module: 5 }), TypeError);
  assert.throws(bad({ name: "x".repeat(5000) }), RangeError);
  const t = new Thread({ target: noop });
  assert.throws(() => (t.name = 5 as unknown as string), TypeError);
  assert.throws(() => (t.daemon = 1 as unknown as boolean), TypeError);
  assert.throws(() => t.join("1" as unknown as number), TypeError);
  assert.throws(() => t.join(NaN), TypeError);
  assert.throws(() => t.join(TIMEOUT_MAX + 1), RangeError);
  assert.throws(() => t.join(Infinity), RangeError);
});

test("daemon defaults to the creating thread's flag", () => {
  assert.equal(new Thread().daemon, false);
  const text = new SharedText();
  const t = new Thread({
    target: reportName,
    args: [text],
    daemon: true,
    name: "d",
  });
  assert.equal(t.daemon, true);
  t.start();
  t.join();
  assert.equal(text.read(), "d|MainThread|true");
});

test("sleep() blocks only the calling thread", () => {
  const cell = cells(3);
  const t = new Thread({ target: countWhile, args: [cell] });
  t.start();
  waitFor(cell, 1, 1);
  const before = Atomics.load(cell, 2);
  const begin = performance.now();
  sleep(30);
  assert.ok(performance.now() - begin >= 29);
  assert.ok(
    Atomics.load(cell, 2) > before,
    "the other thread ran during the sleep",
  );
  Atomics.store(cell, 0, 1);
  t.join();
  const marked = cells(1);
  const s = new Thread({ target: sleepThenMark, args: [20, marked] });
  s.start();
  s.join();
  assert.equal(marked[0], 1);
  assert.throws(() => sleep("1" as unknown as number), TypeError);
  assert.throws(() => sleep(-1), RangeError);
  assert.throws(() => sleep(Infinity), RangeError);
});

test("setExcepthook() replaces the hook in every thread, for sync and async errors", () => {
  const cell = cells(2);
  setExcepthook(recordingHook);
  try {
    const t = new Thread({ target: fail, args: [cell] });
    t.start();
    t.join();
    assert.equal(cell[0], 1);
    assert.equal(cell[1], t.ident);
    const cell2 = cells(2);
    const u = new Thread({ target: failAsync, args: [cell2] });
    u.start();
    u.join();
    assert.equal(cell2[0], 1);
    assert.equal(cell2[1], u.ident);
  } finally {
    setExcepthook(null);
  }
  assert.throws(() => setExcepthook(5 as never), TypeError);
});

test("an unhandled rejection in a thread is reported against that thread before it ends", () => {
  setExcepthook(recordingHook);
  try {
    for (const pool of [8, 0]) {
      setThreadPoolSize(pool);
      for (let i = 0; i < 3; i++) {
        const cell = cells(2);
        const t = new Thread({ target: rejectUnhandled, args: [cell] });
        t.start();
        t.join();
        assert.equal(cell[0], 1, `reported (pool ${pool}, thread ${i})`);
        assert.equal(cell[1], t.ident, "against the thread it came from");
      }
    }
  } finally {
    setThreadPoolSize(8);
    setExcepthook(null);
  }
});

test(
  "join() returns only once the thread has left enumerate() and activeCount(), every time",
  () => {
    const baseline = activeCount();
    for (let i = 0; i < 1000; i++) {
      const t = new Thread({ target: noop });
      t.start();
      t.join();
      assert.equal(enumerate().includes(t), false, `listed after join ${i}`);
      assert.equal(activeCount(), baseline, `counted after join ${i}`);
    }
  },
  120_000,
);

test("threads may start threads, which outlive their parent and are enumerated everywhere", () => {
  const text = new SharedText();
  const release = new Event();
  const parent = new Thread({
    target: startChild,
    args: [text, release],
    name: "parent",
  });
  parent.start();
  parent.join();
  assert.match(text.read(), /^grandchild\|.*parent.*grandchild/);
  const child = enumerate().find((t) => t.name === "grandchild");
  assert.ok(child !== undefined, "the child outlived its parent");
  assert.equal(child.isAlive(), true);
  release.set();
  assert.equal(child.join(10_000), true);
});

test(
  "no worker leaks: 200 start/join cycles return to the baseline of live threads",
  async () => {
    const baseline = activeCount();
    const osBaseline = osThreads();
    for (let i = 0; i < 200; i++) {
      const t = new Thread({
        target: incrementMany,
        args: [new Lock(), cells(1), 1],
      });
      t.start();
      t.join();
      assert.equal(activeCount(), baseline);
    }
    await until(
      () => osThreads() <= osBaseline + 2,
      20_000,
      `workers to exit (${osBaseline} at first, ${osThreads()} now)`,
    );
  },
  120_000,
);

test("Thread.joinAsync() rejects with the signal's reason; the thread runs on", async () => {
  const release = new Event();
  const t = new Thread({ target: waitOn, args: [release] });
  t.start();
  const controller = new AbortController();
  const pending = t.joinAsync(undefined, { signal: controller.signal });
  controller.abort(new Error("gave up"));
  await assert.rejects(pending, /gave up/);
  assert.equal(t.isAlive(), true);
  release.set();
  assert.equal(await t.joinAsync(), true);
});

test("plain module variables are per worker: a reused worker's next thread sees them, a fresh worker does not", () => {
  const runs = 6;
  const out = cells(2 * runs);
  const sequentially = (): Map<number, number[]> => {
    for (let i = 0; i < runs; i++) {
      const t = new Thread({ target: countRun, args: [out, i] });
      t.start();
      t.join();
    }
    const byWorker = new Map<number, number[]>();
    for (let i = 0; i < runs; i++) {
      const worker = Atomics.load(out, 2 * i + 1);
      byWorker.set(worker, [
        ...byWorker.get(worker) ?? [],
        Atomics.load(out, 2 * i),
      ]);
    }
    return byWorker;
  };
  // Reused workers: each one's module copy counts on from where it was.
  const reused = sequentially();
  assert.ok(reused.size < runs, "some worker ran more than one thread");
  for (const counts of reused.values()) {
    assert.deepEqual(counts, counts.map((_, i) => counts[0] + i));
  }
  // No reuse: every thread loads the module fresh.
  setThreadPoolSize(0);
  try {
    const fresh = sequentially();
    assert.equal(fresh.size, runs);
    for (const counts of fresh.values()) assert.deepEqual(counts, [1]);
  } finally {
    setThreadPoolSize(8);
  }
});

const OOM = new URL("./_oom_program.ts", import.meta.url);
const OOM_REPORT =
  /^Exception in thread hog:\nMemoryError: the thread ran out of memory: its heap limit is (\d+) MB \(resourceLimits\.maxHeapMb\)$/m;

for (const mode of ["thread", "thread-async"]) {
  const joiner = mode === "thread" ? "join()" : "joinAsync()";
  Deno.test({
    name:
      `a thread that runs out of memory ends with a MemoryError: reported as its error, ${joiner} returns, the process goes on and exits 0`,
    timeout: 120_000,
  }, async () => {
    const r = await runChild(OOM, [mode]);
    assert.equal(r.code, 0, r.err);
    assert.equal(OOM_REPORT.exec(r.err)?.[1], "64", r.err);
    assert.deepEqual(r.out.trim().split("\n"), [
      "joined true alive false",
      "after joined",
      "main done",
    ]);
  });
}

Deno.test({
  name:
    "every thread has a heap limit by default, the main thread's: running out ends the thread, not the process",
  timeout: 120_000,
}, async () => {
  const r = await runChild(OOM, ["default"], [
    "--v8-flags=--max-old-space-size=100",
  ]);
  assert.equal(r.code, 0, r.err);
  // V8's limit is old space and young generation: 100 + 96.
  assert.equal(OOM_REPORT.exec(r.err)?.[1], "196", r.err);
  assert.match(r.out, /^joined true alive false\nafter joined\nmain done\n$/);
});

Deno.test({
  name: "setDefaultResourceLimits() limits the threads started after it",
  timeout: 120_000,
}, async () => {
  const r = await runChild(OOM, ["set-default"]);
  assert.equal(r.code, 0, r.err);
  assert.equal(OOM_REPORT.exec(r.err)?.[1], "64", r.err);
  assert.match(r.out, /^joined true alive false\nafter joined\nmain done\n$/);
});

test("a thread runs with its own heap limit, on a new worker or a reused one", () => {
  const out = cells(1);
  const limitOf = (limits?: { maxHeapMb: number }): number => {
    const t = new Thread({
      target: recordHeapLimit,
      args: [out],
      resourceLimits: limits,
    });
    t.start();
    t.join();
    return out[0];
  };
  for (let i = 0; i < 3; i++) {
    // V8 adds its young generation to the old space's limit.
    assert.ok(limitOf({ maxHeapMb: 48 }) < 48 + 100, "48 MB");
    assert.ok(limitOf() > 1_000, "the default");
    assert.ok(limitOf({ maxHeapMb: 96 }) < 96 + 100, "96 MB");
  }
  setDefaultResourceLimits({ maxHeapMb: 48 });
  try {
    assert.ok(limitOf() < 48 + 100, "the new default");
  } finally {
    setDefaultResourceLimits({});
  }
  assert.ok(limitOf() > 1_000, "the default again");
});

test("resourceLimits of the wrong type or out of range are refused", () => {
  for (const bad of [null, 5, { maxHeapMb: "64" }, { maxHeapMb: 1.5 }]) {
    assert.throws(
      () => new Thread({ resourceLimits: bad as never }),
      TypeError,
    );
    assert.throws(() => setDefaultResourceLimits(bad as never), TypeError);
  }
  for (const bad of [0, 15, 2 ** 20 + 1]) {
    assert.throws(
      () => new Thread({ resourceLimits: { maxHeapMb: bad } }),
      RangeError,
    );
  }
  assert.throws(() => setDefaultResourceLimits(undefined as never), TypeError);
});

Deno.test({
  name:
    "a thread joining a thread that runs out of memory returns, even while main is busy",
  timeout: 120_000,
}, async () => {
  const r = await runChild(OOM, ["joined-by-thread"]);
  assert.equal(r.code, 0, r.err);
  assert.equal(OOM_REPORT.exec(r.err)?.[1], "64", r.err);
  assert.deepEqual(r.out.trim().split("\n"), [
    "joiner returned true",
    "main done",
  ]);
});

Deno.test({
  name:
    "a thread that runs out of memory and that nobody joins is reported, and the process exits 0",
  timeout: 120_000,
}, async () => {
  const r = await runChild(OOM, ["unjoined"]);
  assert.equal(r.code, 0, r.err);
  assert.equal(OOM_REPORT.exec(r.err)?.[1], "64", r.err);
  assert.equal(r.out, "main done\n");
});

Deno.test({
  name:
    "the MemoryError of a thread goes to the excepthook set by setExcepthook()",
  timeout: 120_000,
}, async () => {
  const r = await runChild(OOM, ["hook"]);
  assert.equal(r.code, 0, r.err);
  assert.doesNotMatch(r.err, /Exception in thread/);
  assert.deepEqual(r.out.trim().split("\n").sort(), [
    "after joined",
    "hook: hog MemoryError true",
    "joined true alive false",
    "main done",
  ]);
});

test("a thread's args holding an instance of a class its module does not export are refused by start(), naming the path", () => {
  const t = new Thread({
    target: inspectArgs,
    args: [1, { callback: makeHidden() }] as unknown as [unknown, SharedText],
  });
  assert.throws(
    () => t.start(),
    /^TypeError: Cannot pass an instance of class Hidden, which is not exported .* \(at args\[1\]\.callback\)/,
  );
  assert.equal(t.isAlive(), false);
});

test("targets with the same name and source from two modules each run as their own module's function, in reused workers", async () => {
  const out = new Queue<string>();
  const seen: string[] = [];
  for (const target of [reportA, reportB, reportA, reportB]) {
    const t = new Thread({ target, args: [out] });
    t.start();
    assert.equal(await t.joinAsync(20_000), true);
    seen.push(out.get({ timeout: 20_000 }));
  }
  assert.deepStrictEqual(seen, [
    "a _same_name_a.ts",
    "b _same_name_b.ts",
    "a _same_name_a.ts",
    "b _same_name_b.ts",
  ]);
});
