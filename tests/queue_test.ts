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
import { cells, test } from "./_helpers.ts";
import {
  bySecondDescending,
  consumer,
  drainAfter,
  getOne,
  Point,
  producer,
  putOne,
  putPoints,
  SharedText,
  useShared,
} from "./_fixtures.ts";

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
