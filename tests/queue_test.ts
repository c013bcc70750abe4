import assert from "node:assert/strict";
import {
  Event,
  LifoQueue,
  Lock,
  PriorityQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  SimpleQueue,
  Thread,
  TIMEOUT_MAX,
} from "../mod.ts";
import { cells, runAll, sharedWord, test, waitFor } from "./_helpers.ts";
import {
  bySecondDescending,
  consumer,
  drainAfter,
  getOne,
  getPointsSync,
  getUnloadedClass,
  joinQueue,
  makeHidden,
  Point,
  producer,
  putOne,
  putPoints,
  putWithSecret,
  relayOne,
  SharedText,
  takeThree,
  useShared,
} from "./_fixtures.ts";
import { LateQueueThing } from "./_queue_late_class.ts";
import {
  getAsyncThenSpin,
  getCountedAsync,
  putCounted,
  putThenMark,
} from "./_async_waits.ts";
import { Unloaded } from "./_unloaded_class.ts";
import { Parcel } from "./_parcel.ts";
import { consumeParcels } from "./_parcel_consumer.ts";
import { Typed } from "./_typed_class.ts";
import { getTyped } from "./_typed_consumer.ts";
import {
  type BigItem,
  bigItem,
  bySeed,
  heapUsed,
  isMarked,
  marked,
  MiB,
  putBigItems,
  putSeeds,
  takeBigItems,
  takeLateBigItem,
  takeSeeds,
} from "./_record_fixtures.ts";
import { runMemoryProgram } from "./_memory_program.ts";
import { shareOf } from "../src/_core/handles.ts";
import { heap } from "../src/_core/heap.ts";
import { B_REFS, Q_STORE } from "../src/_core/layout.ts";
import { RING_CAPACITY } from "../src/_structures/byte_ring.ts";

function drain<T>(
  q: { get(o?: { blocking?: boolean }): T; empty(): boolean },
): T[] {
  const out: T[] = [];
  while (!q.empty()) out.push(q.get({ blocking: false }));
  return out;
}

test("Queue is FIFO, LifoQueue LIFO, PriorityQueue smallest first like Python tuples", () => {
  const fifo = new Queue<number>();
  const lifo = new LifoQueue<number>();
  for (const n of [3, 1, 2]) {
    fifo.put(n);
    lifo.put(n);
  }
  assert.deepEqual(drain(fifo), [3, 1, 2]);
  assert.deepEqual(drain(lifo), [2, 1, 3]);
  const prio = new PriorityQueue<unknown>();
  const items = [[2, "b"], [1, "z"], [1, "a"], [3], [2, "a", 0], [0, "x"], [
    2,
    "a",
  ]];
  for (const item of items) prio.put(item);
  assert.deepEqual(drain(prio), [
    [0, "x"],
    [1, "a"],
    [1, "z"],
    [2, "a"],
    [2, "a", 0],
    [2, "b"],
    [3],
  ]);
  const words = new PriorityQueue<string>();
  for (const w of ["pear", "apple", "fig"]) words.put(w);
  assert.deepEqual(drain(words), ["apple", "fig", "pear"]);
  const nums = new PriorityQueue<number>();
  const random = Array.from({ length: 200 }, (_, i) => (i * 7919) % 211);
  for (const n of random) nums.put(n);
  assert.deepEqual(drain(nums), [...random].sort((a, b) => a - b));
});

test("PriorityQueue: a comparator orders items in every thread; unorderable items are refused", () => {
  const q = new PriorityQueue<[number, number]>(0, {
    compare: bySecondDescending,
  });
  const t = new Thread({
    target: (pq: PriorityQueue<[number, number]>) => {
      pq.put([0, 5]);
      pq.put([0, 9]);
    },
    args: [q],
  });
  t.start();
  t.join();
  q.put([0, 7]);
  assert.deepEqual(drain(q), [[0, 9], [0, 7], [0, 5]]);
  const natural = new PriorityQueue<unknown>();
  natural.put(1);
  assert.throws(() => natural.put("a"), /Cannot order string and number/);
  assert.throws(() => natural.put({}), TypeError);
  assert.equal(natural.qsize(), 1, "a refused put changes nothing");
  assert.equal(natural.get(), 1);
});

test("PriorityQueue refuses NaN anywhere in an item with a TypeError, empty or not", async () => {
  const q = new PriorityQueue<unknown>();
  assert.throws(() => q.put(NaN), TypeError);
  assert.throws(() => q.put([1, [2, NaN]]), /NaN/);
  assert.throws(() => q.put(new Date(NaN)), /invalid Date/);
  await assert.rejects(q.putAsync([NaN, "x"]), TypeError);
  q.put([2, "b"]);
  q.put([1, "a"]);
  assert.throws(() => q.putNowait([NaN, "c"]), TypeError);
  assert.equal(q.qsize(), 2);
  assert.deepEqual(drain(q), [[1, "a"], [2, "b"]]);
  const custom = new PriorityQueue<number>(0, { compare: (a, b) => a - b });
  custom.put(NaN);
  assert.ok(Number.isNaN(custom.get()), "a comparator decides for itself");
});

test("Queue: QueueFull and QueueEmpty at the bounds, without waiting or after a timeout", () => {
  const q = new Queue<number>(2);
  assert.equal(q.maxsize, 2);
  assert.equal(q.empty(), true);
  assert.throws(() => q.getNowait(), QueueEmpty);
  assert.throws(() => q.get({ blocking: false }), QueueEmpty);
  let begin = performance.now();
  assert.throws(() => q.get({ timeout: 40 }), QueueEmpty);
  assert.ok(performance.now() - begin >= 35);
  q.put(1);
  q.putNowait(2);
  assert.equal(q.full(), true);
  assert.throws(() => q.putNowait(3), QueueFull);
  begin = performance.now();
  assert.throws(() => q.put(3, { timeout: 40 }), QueueFull);
  assert.ok(performance.now() - begin >= 35);
  assert.equal(q.qsize(), 2);
  assert.deepEqual(drain(q), [1, 2]);
});

test("a blocked put() is released by a get() in another thread, and a blocked get() by a put()", () => {
  const q = new Queue<unknown>(1);
  q.put("first");
  const started = new Event();
  const text = new SharedText();
  const putter = new Thread({
    target: putOne,
    args: [q, "second", text, started],
  });
  putter.start();
  started.wait();
  assert.equal(q.get(), "first");
  putter.join();
  assert.equal(text.read(), "put");
  assert.equal(q.get(), "second");
  const started2 = new Event();
  const getter = new Thread({ target: getOne, args: [q, text, started2] });
  getter.start();
  started2.wait();
  q.put({ hello: ["world"] });
  getter.join();
  assert.deepEqual(JSON.parse(text.read()), { item: { hello: ["world"] } });
});

test("join() waits for every taskDone(); taskDone() too often is a RangeError", () => {
  const q = new Queue<number>();
  for (let i = 0; i < 5; i++) q.put(i);
  const go = new Event();
  const t = new Thread({ target: drainAfter, args: [q, go, 5] });
  t.start();
  go.set();
  q.join();
  assert.equal(q.empty(), true);
  t.join();
  assert.throws(() => q.taskDone(), /taskDone\(\) called too many times/);
  q.join();
});

test(
  "join() racing the thread that marks the last items done returns, 2,000 times",
  () => {
    for (let round = 0; round < 2_000; round++) {
      const q = new Queue<number>();
      for (let i = 0; i < 3; i++) q.put(i);
      const go = new Event();
      const t = new Thread({ target: drainAfter, args: [q, go, 3] });
      t.start();
      go.set();
      q.join();
      assert.equal(t.join(10_000), true);
    }
  },
  120_000,
);

test(
  "a put waiting for maxBytes wakes when a racing get frees them, 1,000 times",
  () => {
    for (let round = 0; round < 1_000; round++) {
      const q = new Queue<number>(0, { maxBytes: 10 }); // one item
      q.put(1);
      const go = new Event();
      const t = new Thread({ target: drainAfter, args: [q, go, 2] });
      t.start();
      go.set();
      q.put(2);
      assert.equal(t.join(10_000), true);
      assert.equal(q.empty(), true);
    }
  },
  120_000,
);

test(
  "a get() racing shutdown() wakes with QueueShutDown at once, 500 times",
  () => {
    for (let round = 0; round < 500; round++) {
      const q = new Queue<number>();
      const started = new Event();
      const text = new SharedText();
      const t = new Thread({ target: getOne, args: [q, text, started, 5_000] });
      t.start();
      started.wait();
      q.shutdown();
      assert.equal(t.join(10_000), true);
      assert.deepEqual(JSON.parse(text.read()), { error: "QueueShutDown" });
    }
  },
  120_000,
);

test("shutdown(): put raises, get drains then raises; blocked getters wake with QueueShutDown", () => {
  const q = new Queue<number>();
  q.put(1);
  q.shutdown();
  assert.throws(() => q.put(2), QueueShutDown);
  assert.equal(q.get(), 1);
  assert.throws(() => q.get(), QueueShutDown);
  assert.throws(() => q.getNowait(), QueueShutDown);
  const q2 = new Queue<number>();
  const started = new Event();
  const text = new SharedText();
  const t = new Thread({ target: getOne, args: [q2, text, started] });
  t.start();
  started.wait();
  q2.shutdown();
  t.join();
  assert.deepEqual(JSON.parse(text.read()), { error: "QueueShutDown" });
  const q3 = new Queue<number>();
  for (let i = 0; i < 3; i++) q3.put(i);
  q3.shutdown(true);
  assert.equal(q3.qsize(), 0);
  assert.throws(() => q3.get(), QueueShutDown);
  q3.join(); // immediate shutdown marks the dropped items done
  assert.throws(() => q3.shutdown(1 as never), TypeError);
});

test(
  "50 producers and 50 consumers move 10,000 items exactly once each",
  () => {
    const q = new Queue<number>(100);
    const seen = cells(10_000);
    const producers = Array.from(
      { length: 50 },
      (_, i) => new Thread({ target: producer, args: [q, i * 200, 200] }),
    );
    const consumers = Array.from(
      { length: 50 },
      () => new Thread({ target: consumer, args: [q, seen, 200] }),
    );
    for (const t of [...consumers, ...producers]) {
      t.start();
    }
    for (const t of [...producers, ...consumers]) {
      assert.equal(t.join(120_000), true);
    }
    assert.deepEqual([...seen], Array(10_000).fill(1));
    assert.equal(q.empty(), true);
    q.join();
  },
  240_000,
);

test("items containing Locks and typed arrays over shared memory stay shared", () => {
  const q = new Queue<
    { lock: Lock; cells: Int32Array; nested: { list: Int32Array[] } }
  >();
  const lock = new Lock();
  lock.acquire();
  const shared = cells(1);
  const inner = cells(2);
  q.put({ lock, cells: shared, nested: { list: [inner] } });
  const t = new Thread({ target: useShared, args: [q] });
  t.start();
  t.join();
  assert.equal(shared[0], 7);
  assert.equal(inner[1], 8);
  assert.equal(lock.locked(), false, "the thread released the same lock");
  const local = new Queue<{ lock: Lock; cells: Int32Array }>();
  local.put({ lock, cells: shared });
  const back = local.get();
  assert.ok(back.lock instanceof Lock);
  back.lock.acquire();
  assert.equal(lock.locked(), true);
  lock.release();
  back.cells[0] = 1;
  assert.equal(shared[0], 1);
});

test("class instances keep their class through a queue", async () => {
  const q = new Queue<Point>();
  const t = new Thread({ target: putPoints, args: [q, 3] });
  t.start();
  t.join();
  const first = await q.getAsync();
  assert.ok(first instanceof Point);
  assert.equal(first.norm(), 0);
  const second = q.get();
  assert.ok(
    second instanceof Point,
    "sync get() uses the class now known here",
  );
  assert.equal(q.get().norm(), Math.hypot(2, 2));
});

test("a failed put leaves the queue exactly as it was", () => {
  const q = new Queue<unknown>(0, { maxBytes: 1024 });
  q.put("kept");
  assert.throws(() => q.put({ f: () => 1 }), /item\.f/);
  assert.throws(() => q.put("x".repeat(5_000)), /Item too large/);
  q.put("y".repeat(600));
  assert.throws(
    () => q.put("z".repeat(600), { timeout: 20 }),
    QueueFull,
    "no room in bytes now",
  );
  assert.equal(q.qsize(), 2);
  assert.equal(q.get(), "kept");
  assert.equal(q.get(), "y".repeat(600));
  q.put("z".repeat(600));
  assert.equal(q.get(), "z".repeat(600), "freed bytes are reused");
  q.taskDone();
  q.taskDone();
  q.taskDone();
  q.join();
  assert.throws(
    () => q.taskDone(),
    RangeError,
    "failed puts added no unfinished task",
  );
});

test("getAsync() and putAsync() wait without blocking; an aborted getAsync() never takes an item", async () => {
  const q = new Queue<number>(1);
  const controller = new AbortController();
  const aborted = q.getAsync({ signal: controller.signal });
  const waiting = q.getAsync({ timeout: 10_000 });
  controller.abort(new Error("stop"));
  await assert.rejects(aborted, /stop/);
  const t = new Thread({ target: producer, args: [q, 41, 2] });
  t.start();
  assert.equal(
    await waiting,
    41,
    "the notification the aborted call got was passed on",
  );
  assert.equal(await q.getAsync({ timeout: 10_000 }), 42);
  t.join();
  await q.putAsync(1);
  await assert.rejects(q.putAsync(2, { timeout: 10 }), QueueFull);
  await assert.rejects(
    q.putAsync(2, { signal: AbortSignal.abort(new Error("no")) }),
    /no/,
  );
  assert.equal(q.qsize(), 1);
  await assert.rejects(q.getAsync({ timeout: -1 }), RangeError);
  assert.equal(await q.getAsync(), 1);
});

test("SimpleQueue is an unbounded FIFO shared by threads", () => {
  const q = new SimpleQueue<number>();
  const t = new Thread({
    target: (s: SimpleQueue<number>) => [1, 2, 3].forEach((n) => s.put(n)),
    args: [q],
  });
  t.start();
  t.join();
  assert.equal(q.qsize(), 3);
  assert.deepEqual([q.get(), q.getNowait(), q.get({ timeout: 10 })], [1, 2, 3]);
  assert.equal(q.empty(), true);
  assert.throws(() => q.getNowait(), QueueEmpty);
});

test("Queue: bad arguments are TypeErrors and RangeErrors", () => {
  assert.throws(() => new Queue("3" as never), TypeError);
  assert.throws(() => new Queue(1.5), RangeError);
  assert.throws(() => new Queue(0, { maxBytes: 0 }), RangeError);
  assert.throws(() => new Queue(0, { maxBytes: 1.5 }), RangeError);
  assert.throws(() => new Queue(0, { maxBytes: "1" as never }), TypeError);
  assert.throws(() => new PriorityQueue(0, { compare: 5 as never }), TypeError);
  const q = new Queue<number>();
  assert.throws(() => q.put(1, { timeout: -1 }), RangeError);
  assert.throws(() => q.put(1, { blocking: false, timeout: 1 }), TypeError);
  assert.throws(() => q.get({ timeout: -1 }), RangeError);
  assert.throws(() => q.get({ timeout: TIMEOUT_MAX + 1 }), RangeError);
  assert.throws(() => q.get({ timeout: "1" as never }), TypeError);
  assert.equal(q.qsize(), 0);
});

// Classes, growth, memory and buffers of queue items across real threads.

test("a class instance put by one thread is got with a synchronous get() by a thread whose target module defines the class: instanceof holds there", () => {
  const q = new Queue<unknown>();
  const putter = new Thread({
    target: putPoints,
    args: [q as Queue<Point>, 2],
  });
  putter.start();
  assert.equal(putter.join(20_000), true);
  q.put(new Point(3, 4));
  assert.equal(q.qsize(), 3);
  const out = cells(16);
  const getter = new Thread({ target: getPointsSync, args: [q, 3, out] });
  getter.start();
  assert.equal(getter.join(20_000), true);
  assert.equal(out[15], 1, "the getter finished");
  assert.deepEqual(
    [...out.subarray(0, 6)],
    [1, 0, 1, Math.round(Math.SQRT2 * 1000), 1, 5000],
    "three Points, instanceof Point in the getter, norm() works",
  );
  assert.equal(q.qsize(), 0);
});

test("a get() of an instance of a class the thread has not loaded is a TypeError naming the class and its module, with the item in it; getAsync() imports the class", async () => {
  const q = new Queue<unknown>();
  // LateQueueThing is imported by this module only: the threads' target
  // module (tests/_fixtures.ts) does not import it.
  q.put({ label: "first", thing: new LateQueueThing("a", [1, 2]) });
  q.put({ label: "second", thing: new LateQueueThing("b", [3, 4]) });
  q.put("third");
  const out = new SharedText();
  const taker = new Thread({ target: getUnloadedClass, args: [q, out] });
  taker.start();
  assert.equal(await taker.joinAsync(20_000), true);
  const report = JSON.parse(out.read());
  assert.match(
    report.sync,
    /^TypeError: .*class LateQueueThing \(exported by file:.*_queue_late_class\.ts\).*not loaded in this thread/,
  );
  assert.deepStrictEqual(report.value, {
    label: "first",
    thing: { label: "a", values: [1, 2] },
  });
  assert.deepStrictEqual(
    {
      label: report.label,
      instance: report.instance,
      describe: report.describe,
      last: report.last,
      left: report.left,
    },
    {
      label: "second",
      instance: true,
      describe: "b:3,4",
      last: "third",
      left: 0,
    },
    out.read(),
  );
});

test("an item that cannot be rebuilt leaves the queue inside the TypeError, the items behind it come out, and join() returns after taskDone() for each", async () => {
  const thing = () => ({ label: "middle", thing: new Unloaded("u", [4, 5]) });
  const data = { label: "middle", thing: { label: "u", values: [4, 5] } };
  const kinds = {
    Queue: () => new Queue<unknown>(),
    LifoQueue: () => new LifoQueue<unknown>(),
    SimpleQueue: () => new SimpleQueue<unknown>(),
    // (priority, item) tuples: ordered by priority alone.
    PriorityQueue: () => new PriorityQueue<unknown>(),
  };
  for (const [kind, make] of Object.entries(kinds)) {
    const q = make();
    const tuples = kind === "PriorityQueue";
    const items = tuples
      ? [[3, "three"], [1, "one"], [2, thing()]]
      : ["one", thing(), "three"];
    for (const item of items) q.put(item);
    const out = new SharedText();
    const taker = new Thread({ target: takeThree, args: [q, out] });
    taker.start();
    assert.equal(await taker.joinAsync(20_000), true, kind);
    const [first, middle, last] = JSON.parse(out.read());
    const ends = kind === "LifoQueue"
      ? ["three", "one"]
      : tuples
      ? [[1, "one"], [3, "three"]]
      : ["one", "three"];
    assert.deepStrictEqual(
      [first, last],
      ends.map((x) => ({ item: x })),
      kind,
    );
    assert.match(
      middle.error,
      /^TypeError: Cannot rebuild an instance of class Unloaded \(exported by file:.*_unloaded_class\.ts\)/,
      kind,
    );
    assert.deepStrictEqual(middle.value, tuples ? [2, data] : data, kind);
    assert.equal(q.qsize(), 0, kind);
    if (q instanceof Queue) {
      await q.joinAsync({ signal: AbortSignal.timeout(10_000) });
    }
  }
});

test("a thread whose target module imports a class by name gets its instances synchronously as that class", async () => {
  const q = new Queue<unknown>();
  const out = new Queue<string>();
  q.put(new Parcel("letter", 20));
  q.put({ not: "a parcel" });
  q.put(new Parcel("crate", 25_000));
  const consumer = new Thread({ target: consumeParcels, args: [q, 3, out] });
  consumer.start();
  assert.equal(await consumer.joinAsync(20_000), true);
  assert.deepStrictEqual(
    [out.get(), out.get(), out.get()],
    ["letter:false", 'not a Parcel: {"not":"a parcel"}', "crate:true"],
  );
});

test("a thread whose target module imports a class only for its types has not loaded it: get() is a TypeError that says so, and the class's module is not evaluated there", async () => {
  const q = new Queue<Typed>();
  const out = new Queue<string>();
  q.put(new Typed(1));
  const getter = new Thread({ target: getTyped, args: [q, out] });
  getter.start();
  assert.equal(await getter.joinAsync(20_000), true);
  const { report, loads } = JSON.parse(out.get({ timeout: 20_000 }));
  assert.match(
    report,
    /^TypeError: Cannot rebuild an instance of class Typed \(exported by file:.*_typed_class\.ts\): the class's module is not loaded in this thread \(a module imported only for its types is not loaded\)/,
  );
  assert.equal(loads, 0, "tests/_typed_class.ts was evaluated in the thread");
  assert.equal(q.qsize(), 0);
});

test("an instance of a class its module does not export is refused by put() with its path, and the queue goes on working", () => {
  const q = new Queue<unknown>();
  assert.throws(
    () => q.put(makeHidden()),
    /^TypeError: Cannot pass an instance of class Hidden, which is not exported \(file:.*_fixtures\.ts declares it without exporting it\) to another thread \(at item\)/,
  );
  assert.throws(
    () => q.put({ list: [1, makeHidden()] }),
    /class Hidden.* \(at item\.list\[1\]\)/,
  );
  assert.throws(() => new SimpleQueue().put([makeHidden()]), /at item\[0\]/);
  assert.equal(q.qsize(), 0);
  q.put("fine");
  assert.equal(q.get({ blocking: false }), "fine");
  assert.equal(q.qsize(), 0);
});

test("a 1 MB BigInt crosses threads through queues and back in under 100 ms", async () => {
  const big = (1n << 8_000_000n) - 987_654_321n;
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const there = new Queue<unknown>();
    const back = new Queue<unknown>();
    const ready = new Event();
    const relay = new Thread({ target: relayOne, args: [there, back, ready] });
    relay.start();
    assert.equal(await ready.waitAsync(20_000), true);
    const begin = performance.now();
    there.put(-big);
    const returned = back.get({ timeout: 20_000 });
    best = Math.min(best, performance.now() - begin);
    assert.equal(returned, -big);
    assert.equal(await relay.joinAsync(20_000), true);
  }
  assert.ok(best < 100, `the round trip took ${best.toFixed(1)} ms`);
});

test(
  "a million puts into an unbounded Queue and into a SimpleQueue with no consumer never block",
  () => {
    const N = 1_000_000;
    const q = new Queue<number>();
    let slowest = 0;
    let begin = performance.now();
    for (let i = 0; i < N; i++) {
      const t0 = performance.now();
      q.put(i, { timeout: 10_000 }); // a QueueFull here: the put blocked
      const took = performance.now() - t0;
      if (took > slowest) slowest = took;
    }
    const queueMs = performance.now() - begin;
    assert.equal(q.qsize(), N);
    assert.equal(q.full(), false);
    assert.ok(queueMs < 30_000, `1M puts into Queue took ${queueMs} ms`);
    assert.ok(slowest < 2_000, `the slowest Queue put took ${slowest} ms`);
    for (let i = 0; i < N; i++) {
      const v = q.get({ blocking: false });
      if (v !== i) assert.fail(`item ${i} came back as ${v}`);
    }
    assert.equal(q.empty(), true);

    const s = new SimpleQueue<number>();
    slowest = 0;
    begin = performance.now();
    for (let i = 0; i < N; i++) {
      const t0 = performance.now();
      s.put(i);
      const took = performance.now() - t0;
      if (took > slowest) slowest = took;
    }
    const simpleMs = performance.now() - begin;
    assert.equal(s.qsize(), N);
    assert.ok(
      simpleMs < 30_000,
      `1M puts into SimpleQueue took ${simpleMs} ms`,
    );
    assert.ok(
      slowest < 2_000,
      `the slowest SimpleQueue put took ${slowest} ms`,
    );
    for (let i = 0; i < N; i++) {
      const v = s.getNowait();
      if (v !== i) assert.fail(`SimpleQueue item ${i} came back as ${v}`);
    }
    assert.equal(s.empty(), true);
  },
  180_000,
);

test(
  "RSS stays flat over a million put+get pairs of a small object on one queue",
  () => {
    const q = new Queue<{ id: number; name: string; tags: number[] }>();
    const gc = (globalThis as { gc?: () => void }).gc;
    const pairs = (from: number, n: number): void => {
      for (let i = from; i < from + n; i++) {
        q.put({ id: i, name: `item ${i}`, tags: [1, 2, 3] }, {
          timeout: 10_000,
        });
        const got = q.get({ blocking: false });
        if (got.id !== i || got.tags[2] !== 3) {
          assert.fail(`pair ${i} came back as ${JSON.stringify(got)}`);
        }
      }
    };
    pairs(0, 100_000); // warm-up
    gc?.();
    const before = Deno.memoryUsage().rss;
    pairs(100_000, 1_000_000);
    gc?.();
    const grown = Deno.memoryUsage().rss - before;
    assert.equal(q.qsize(), 0);
    assert.ok(
      grown < 50 * 2 ** 20,
      `RSS grew by ${(grown / 2 ** 20).toFixed(1)} MB over 1M put+get pairs`,
    );
  },
  180_000,
);

test("a typed array inside a queue item arrives over a buffer of its own: a password in a sibling field is not in it", () => {
  const secret = "password=hunter2-very-secret";
  const q = new Queue<{ secret: string; data: Uint8Array }>();
  const backing = new Uint8Array(64);
  backing.set(new TextEncoder().encode(secret), 0);
  backing.set([1, 2, 3, 4], 40);
  q.put({ secret, data: backing.subarray(40, 44) });
  q.put({ secret, data: new Uint8Array([1, 2, 3, 4]) });
  const t = new Thread({ target: putWithSecret, args: [q, secret] });
  t.start();
  assert.equal(t.join(20_000), true);
  assert.equal(q.qsize(), 3);
  for (let i = 0; i < 3; i++) {
    const got = q.get({ timeout: 5_000 });
    assert.equal(got.secret, secret);
    assert.deepEqual([...got.data], [1, 2, 3, 4], `item ${i}`);
    assert.equal(got.data.byteOffset, 0, `item ${i}`);
    assert.equal(got.data.buffer.byteLength, 4, `item ${i}: only its bytes`);
    assert.equal(got.data.buffer instanceof SharedArrayBuffer, false);
    const inBuffer = String.fromCharCode(...new Uint8Array(got.data.buffer));
    assert.equal(inBuffer.includes("hunter2"), false, `item ${i}`);
  }
});

test("shutdown(immediate) drops queued items holding Locks; a later get raises QueueShutDown and join() returns", async () => {
  const q = new Queue<{ lock: Lock; n: number; nested: Event[] }>();
  const lock = new Lock();
  const held = new Lock();
  held.acquire();
  const event = new Event();
  for (let i = 0; i < 5; i++) {
    q.put({ lock: i % 2 === 0 ? lock : held, n: i, nested: [event] });
  }
  assert.equal(q.qsize(), 5);
  const started = new Event();
  const joined = cells(1);
  // A daemon: were join() never to return, the test fails, and exits.
  const joiner = new Thread({
    target: joinQueue,
    args: [q, started, joined],
    daemon: true,
  });
  joiner.start();
  assert.equal(started.wait(10_000), true);
  q.shutdown(true);
  assert.equal(q.qsize(), 0, "the items are dropped");
  assert.equal(q.empty(), true);
  assert.throws(() => q.get(), QueueShutDown);
  assert.throws(() => q.get({ timeout: 50 }), QueueShutDown);
  assert.throws(() => q.getNowait(), QueueShutDown);
  await assert.rejects(q.getAsync({ timeout: 1_000 }), QueueShutDown);
  assert.throws(
    () => q.put({ lock, n: 9, nested: [] }),
    QueueShutDown,
  );
  waitFor(joined, 0, 1, 10_000);
  assert.equal(joined[0], 1, "a thread blocked in join() returned");
  assert.equal(joiner.join(10_000), true);
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    q.joinAsync(),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error("joinAsync() hung")), 10_000);
    }),
  ]).finally(() => clearTimeout(timer));
  q.join();
  // Dropping the items let go of their references only: the Locks work.
  assert.equal(held.locked(), true);
  held.release();
  assert.equal(lock.acquire({ timeout: 1_000 }), true);
  assert.equal(lock.locked(), true);
  lock.release();
  event.set();
  assert.equal(event.isSet(), true);
});

Deno.test({
  name:
    "a pending getAsync()/putAsync() holds no lock: sync calls right after it in the same thread return",
  timeout: 60_000,
}, async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./_async_waits.ts", import.meta.url).href],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  assert.deepEqual(new TextDecoder().decode(stdout).trim().split("\n"), [
    "Queue getAsync, put: 1",
    "Queue full, putAsync, get: 2",
    "Queue then get: 3",
    "LifoQueue getAsync, put: 1",
    "LifoQueue full, putAsync, get: 2",
    "LifoQueue then get: 3",
    "PriorityQueue getAsync, put: 1",
    "PriorityQueue full, putAsync, get: 2",
    "PriorityQueue then get: 3",
    "SimpleQueue getAsync, put: 3",
    "Barrier waitAsync, abort: true",
  ]);
});

test("a thread busy after its getAsync() holds up no put() of another thread", () => {
  const q = new Queue<number>();
  const pending = new Event();
  const put = new Event();
  const go = cells(1);
  const getter = new Thread({
    target: getAsyncThenSpin,
    args: [q, pending, go],
  });
  getter.start();
  assert.ok(pending.wait(10_000));
  const putter = new Thread({ target: putThenMark, args: [q, put] });
  putter.start();
  const returned = put.wait(5_000);
  Atomics.store(go, 0, 1);
  getter.join();
  putter.join();
  assert.ok(returned, "put() returned while the getter's thread was busy");
});

// Items of 1 MiB or more encoded are stored out of line (src/_record.ts).

test("large items keep their classes, primitives and shared memory through every queue kind, across threads, sync and async, outside the heap", async () => {
  const used = heapUsed();
  const lock = new Lock();
  const shared = new Int32Array(new SharedArrayBuffer(8));
  const refs = () => heap().i32[shareOf(lock)!.ref + B_REFS];
  const kinds: [Queue<BigItem>, number[]][] = [
    [new Queue<BigItem>(), [2, 3, 1]],
    [new LifoQueue<BigItem>(), [1, 3, 2]],
    [new PriorityQueue<BigItem>(0, { compare: bySeed }), [1, 2, 3]],
  ];
  lock.acquire();
  for (const async of [false, true]) {
    for (const [q, order] of kinds) {
      const producer = new Thread({
        target: putBigItems,
        args: [q, [2, 3, 1], lock, shared],
      });
      const out = new Queue<unknown>();
      const consumer = new Thread({
        target: takeBigItems,
        args: [q, 3, async, out],
      });
      // All queued first, so that the order is the queue's.
      producer.start();
      assert.equal(await producer.joinAsync(20_000), true);
      consumer.start();
      assert.equal(await consumer.joinAsync(30_000), true);
      assert.deepEqual(
        out.get(),
        order.map((seed) => [seed, true, true, true]),
        `taken in a thread, async: ${async}`,
      );
      putBigItems(q, [2, 3, 1], lock, shared);
      for (const seed of order) {
        const item = async ? await q.getAsync() : q.get();
        assert.equal(item.seed, seed);
        assert.equal(
          item.point instanceof Point && item.point.x === seed,
          true,
        );
        assert.equal(isMarked(item.data, 2 * MiB, seed), true);
        assert.equal(item.lock.locked(), true);
        Atomics.add(item.shared, 1, 1);
      }
    }
  }
  lock.release();
  assert.equal(Atomics.load(shared, 1), 36, "each item's memory is shared");
  // 72 MiB of items went by: none took a block of the heap.
  assert.ok(heapUsed() - used < 2 * MiB, `${heapUsed() - used}`);
  const simple = new SimpleQueue<BigItem>();
  simple.put(bigItem(5, lock, shared));
  assert.equal(isMarked(simple.get().data, 2 * MiB, 5), true);
  // A queue shut down with large items queued lets go of what they hold
  // (in one synchronous stretch: no finalizer releases a Lock meanwhile).
  const before = refs();
  const q = new Queue<BigItem>();
  for (let i = 0; i < 3; i++) q.put(bigItem(i, lock, shared));
  assert.equal(refs(), before + 3);
  q.shutdown(true);
  assert.equal(refs(), before, "the dropped items' references are released");
});

test(
  "large items from 4 producer threads to 4 consumer threads arrive exactly once and intact, through a bounded Queue and PriorityQueue",
  async () => {
    for (
      const q of [
        new Queue<[number, Uint8Array]>(8),
        new PriorityQueue<[number, Uint8Array]>(8),
      ]
    ) {
      const seen = new Int32Array(new SharedArrayBuffer(60 * 4));
      const threads = [
        ...[0, 1, 2, 3].map((p) =>
          new Thread({ target: putSeeds, args: [q, p * 15, 15] })
        ),
        ...[0, 1, 2, 3].map(() =>
          new Thread({ target: takeSeeds, args: [q, 15, seen] })
        ),
      ];
      for (const t of threads) t.start();
      for (const t of threads) assert.equal(await t.joinAsync(60_000), true);
      assert.deepEqual(Array.from(seen), new Array(60).fill(1));
      assert.equal(q.empty(), true);
    }
  },
  120_000,
);

test("a put of a large item that fails lets go of what the item holds", async () => {
  const lock = new Lock();
  const shared = new Int32Array(new SharedArrayBuffer(8));
  const refs = () => heap().i32[shareOf(lock)!.ref + B_REFS];
  const q = new Queue<BigItem>(1);
  q.put(bigItem(1, lock, shared));
  const before = refs();
  assert.throws(
    () => q.put(bigItem(2, lock, shared), { timeout: 0 }),
    QueueFull,
  );
  assert.equal(refs(), before);
  await assert.rejects(
    q.putAsync(bigItem(3, lock, shared), { timeout: 10 }),
    QueueFull,
  );
  assert.equal(refs(), before);
  q.shutdown();
  assert.throws(() => q.put(bigItem(4, lock, shared)), QueueShutDown);
  assert.equal(refs(), before);
  assert.equal(isMarked(q.get().data, 2 * MiB, 1), true);
});

test("a thread takes a large item holding a class it has not loaded with getAsync(), outside the heap", async () => {
  const used = heapUsed();
  const q = new Queue<{ thing: LateQueueThing; data: Uint8Array }>();
  q.put({
    thing: new LateQueueThing("late", [1, 2]),
    data: marked(3 * MiB, 7),
  });
  const out = new Queue<unknown>();
  const taker = new Thread({ target: takeLateBigItem, args: [q, out] });
  taker.start();
  assert.equal(await taker.joinAsync(20_000), true);
  assert.deepEqual(out.get({ blocking: false }), [true, "late:1,2", true]);
  assert.ok(heapUsed() - used < 2 * MiB, `${heapUsed() - used}`);
});

test("a FIFO queue's storage does not grow for a large item, and a large ring goes back to the heap when it empties", () => {
  const q = new Queue<Uint8Array>();
  const capacity = () => sharedWord(q, Q_STORE + RING_CAPACITY);
  q.put(new Uint8Array(8));
  q.get();
  const small = capacity();
  for (let i = 0; i < 3; i++) q.put(marked(50 * MiB, i));
  assert.equal(capacity(), small, "large items take a few bytes of the ring");
  for (let i = 0; i < 3; i++) {
    assert.equal(isMarked(q.get(), 50 * MiB, i), true);
  }
  for (let i = 0; i < 8; i++) q.put(marked(MiB / 2, i));
  assert.ok(capacity() >= 4 * MiB);
  for (let i = 0; i < 8; i++) assert.equal(isMarked(q.get(), MiB / 2, i), true);
  assert.equal(capacity(), 0, "the emptied ring is freed");
  q.put(new Uint8Array(8));
  assert.deepEqual(q.get(), new Uint8Array(8));
});

Deno.test({
  name:
    "3 GiB of items live in a Queue, a LifoQueue and a PriorityQueue; a value too large to copy is a RangeError for that put alone",
  timeout: 180_000,
}, async () => {
  const r = await runMemoryProgram("queues3GiB");
  assert.equal(r.live, 3 * 2 ** 30);
  assert.match(
    r.tooLarge as string,
    /^RangeError: Cannot copy a value of more than 2147483647 bytes encoded/,
  );
  assert.equal(r.lockWorks, true, "the library works after it");
  assert.deepEqual(r.intact, [0, 1, 2, 3, 4, 5, 10, 9, 8, 7, 6, 11, 12]);
  assert.deepEqual(r.last, [1, 2, 3], "a put after it works");
  assert.equal(r.empty, true);
});

Deno.test({
  name:
    "a 50 MB item put and taken by two threads gives its memory back (resident memory returns to its baseline)",
  timeout: 180_000,
}, async () => {
  // Measured on Deno 2.9.6: 1-2 MiB over the baseline after each round
  // (before: 145 MiB over it, the heap's blocks that held the item).
  const r = await runMemoryProgram("rssQueue");
  for (const after of r.after as number[]) {
    assert.ok(after < (r.baseline as number) + 20, JSON.stringify(r));
  }
});

test(
  "hammer: producers and getAsync() consumers on priority, LIFO and bounded queues lose no wake-up",
  () => {
    // An async waiter that slept once took the queue's lock as uncontended,
    // so the unlock woke nobody and a producer slept on with the queue empty.
    for (
      const make of [
        () => new PriorityQueue<number[]>(),
        () => new LifoQueue<number[]>(4),
        () => new Queue<number[]>(4),
      ]
    ) {
      for (let round = 0; round < 3; round++) {
        const q = make();
        const out = cells(8);
        const threads = [0, 1, 2].flatMap((p) => [
          new Thread({ target: putCounted, args: [q, p * 40, 40, out, p] }),
          new Thread({ target: getCountedAsync, args: [q, 40, out, 4 + p] }),
        ]);
        runAll(threads, 60_000);
        assert.deepEqual([...out].filter((_, i) => i !== 3 && i !== 7), [
          40,
          40,
          40,
          40,
          40,
          40,
        ]);
        assert.equal(q.qsize(), 0);
      }
    }
  },
  180_000,
);
