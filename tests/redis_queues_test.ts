// Queue, LifoQueue and PriorityQueue on a real redis-server: Python's queue
// semantics (sync, async, signals), items that cannot be read, visibility.
import assert from "node:assert/strict";
import { QueueEmpty, QueueFull, QueueShutDown, Thread } from "../mod.ts";
import { connect, type RedisConnection } from "../src/redis.ts";
import {
  freshPrefix,
  type RedisServer,
  redisTest,
  startRedis,
} from "./_redis_server.ts";
import { cells, waitFor } from "./_helpers.ts";
import * as fx from "./_redis_fixtures.ts";
import { Point } from "./_redis_point.ts";

let server: RedisServer | undefined;
async function open(prefix = freshPrefix()): Promise<RedisConnection> {
  server ??= await startRedis();
  return await connect(server.url, { prefix });
}

redisTest(
  "Queue is first in, first out; get() past its timeout raises QueueEmpty",
  async () => {
    await using redis = await open();
    const q = new redis.Queue<unknown>("q");
    q.put(1);
    q.put("two");
    q.put({ three: [3n, new Date(3), new Map([[3, 3]])] });
    assert.equal(q.qsize(), 3);
    assert.equal(q.empty(), false);
    assert.equal(q.get(), 1);
    assert.equal(q.get(), "two");
    assert.deepEqual(q.get(), { three: [3n, new Date(3), new Map([[3, 3]])] });
    const t0 = performance.now();
    assert.throws(() => q.get({ timeout: 100 }), QueueEmpty);
    assert.ok(performance.now() - t0 >= 90);
    assert.throws(() => q.getNowait(), QueueEmpty);
    assert.equal(q.empty(), true);
  },
);

redisTest("LifoQueue is last in, first out", async () => {
  await using redis = await open();
  const q = new redis.LifoQueue<number>("q");
  for (const n of [1, 2, 3]) q.put(n);
  assert.deepEqual([q.get(), q.get(), q.get()], [3, 2, 1]);
});

redisTest(
  "PriorityQueue gives the smallest first, in the natural order of tuples",
  async () => {
    await using redis = await open();
    const q = new redis.PriorityQueue<unknown>("q");
    const items: unknown[] = [
      [2, "b"],
      [1, "z"],
      [1, "a"],
      [-1.5, "neg"],
      [10, "ten"],
      [1, "a", 0],
    ];
    for (const item of items) q.put(item);
    const out = items.map(() => q.get());
    assert.deepEqual(out, [
      [-1.5, "neg"],
      [1, "a"],
      [1, "a", 0],
      [1, "z"],
      [2, "b"],
      [10, "ten"],
    ]);
    const s = new redis.PriorityQueue<string>("s");
    for (const w of ["pear", "apple", "apples", "fig"]) s.put(w);
    assert.deepEqual([s.get(), s.get(), s.get(), s.get()], [
      "apple",
      "apples",
      "fig",
      "pear",
    ]);
    assert.throws(() => q.put({}), TypeError);
    assert.throws(() => q.put(NaN), RangeError);
    assert.throws(
      () => new redis.PriorityQueue("c", { compare: () => 0 } as never),
      TypeError,
    );
  },
);

redisTest(
  "PriorityQueue keeps items equal in order in the order they came",
  async () => {
    await using redis = await open();
    const q = new redis.PriorityQueue<[number, { id: number }]>("q");
    for (let i = 0; i < 5; i++) q.put([1, { id: i }]);
    assert.deepEqual([0, 1, 2, 3, 4].map(() => q.get()[1].id), [0, 1, 2, 3, 4]);
  },
);

redisTest(
  "maxsize: put() waits for room while ready items fill it, putNowait raises QueueFull",
  async () => {
    await using redis = await open();
    const q = new redis.Queue<number>("q", { maxsize: 2 });
    q.put(1);
    q.put(2);
    assert.equal(q.full(), true);
    assert.throws(() => q.putNowait(3), QueueFull);
    assert.throws(() => q.put(3, { timeout: 100 }), QueueFull);
    const out = cells(2);
    const t = new Thread({ target: fx.putOne, args: [q, out] });
    t.start();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(out[0], 0, "still waiting");
    // A taken item, not yet done, does not count toward maxsize.
    assert.equal(q.get(), 1);
    t.join();
    assert.equal(out[0], 1);
    assert.equal(q.qsize(), 2);
  },
);

redisTest(
  "taskDone() pairs with this thread's gets; join() returns when all are done",
  async () => {
    await using redis = await open();
    const q = new redis.Queue<number>("q");
    q.put(1);
    q.put(2);
    q.get();
    q.get();
    q.taskDone();
    const joined = q.joinAsync();
    let done = false;
    joined.then(() => done = true);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(done, false);
    q.taskDone();
    await joined;
    assert.throws(() => q.taskDone(), RangeError);
    q.join();
  },
);

redisTest(
  "shutdown(): put raises QueueShutDown, get drains then raises; immediate drops the items",
  async () => {
    await using redis = await open();
    const q = new redis.Queue<number>("q");
    q.put(1);
    q.shutdown();
    assert.throws(() => q.put(2), QueueShutDown);
    assert.equal(q.get(), 1);
    assert.throws(() => q.get(), QueueShutDown);
    const r = new redis.Queue<number>("r");
    r.put(1);
    r.put(2);
    const waiting = new redis.Queue<number>("w");
    const blocked = waiting.getAsync();
    await new Promise((res) => setTimeout(res, 100));
    await waiting.shutdownAsync(true);
    await assert.rejects(blocked, QueueShutDown);
    r.shutdown(true);
    assert.equal(r.qsize(), 0);
    assert.throws(() => r.get(), QueueShutDown);
    r.join();
    assert.throws(() => q.shutdown("yes" as unknown as boolean), TypeError);
  },
);

redisTest(
  "getAsync() waits without blocking; an aborted getAsync leaves the item for the next get",
  async () => {
    await using redis = await open();
    const q = new redis.Queue<number>("q");
    const pending = q.getAsync();
    setTimeout(() => q.put(7), 50);
    assert.equal(await pending, 7);
    const controller = new AbortController();
    const aborted = q.getAsync({ signal: controller.signal });
    controller.abort(new Error("stop"));
    await assert.rejects(aborted, /stop/);
    await q.putAsync(8);
    assert.equal(q.get({ timeout: 2_000 }), 8);
    assert.equal(q.qsize(), 0);
  },
);

redisTest(
  "putAsync() on a full queue waits; aborted, it rejects and puts nothing",
  async () => {
    await using redis = await open();
    const q = new redis.Queue<number>("q", { maxsize: 1 });
    await q.putAsync(1);
    const controller = new AbortController();
    const pending = q.putAsync(2, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("stop")), 50);
    await assert.rejects(pending, /stop/);
    assert.equal(await q.getAsync(), 1);
    assert.throws(() => q.getNowait(), QueueEmpty);
    await assert.rejects(
      q.putAsync(3, { blocking: false, timeout: 1 }),
      TypeError,
    );
    await q.putAsync(4, { timeout: 1_000 });
    await assert.rejects(q.putAsync(5, { timeout: 50 }), QueueFull);
  },
);

redisTest(
  "visibility 0: an item is done with once taken, and still pairs with taskDone",
  async () => {
    await using redis = await open();
    const q = new redis.Queue<number>("q", { visibility: 0 });
    q.put(1);
    assert.equal(q.get(), 1);
    q.taskDone();
    q.join();
  },
);

redisTest(
  "threads of one process share queues: every item arrives exactly once",
  async () => {
    await using redis = await open();
    const q = new redis.Queue<number>("q");
    const seen = new redis.SharedMap<number, number>("seen");
    const consumers = Array.from(
      { length: 3 },
      () => new Thread({ target: fx.consume, args: [q, seen] }),
    );
    const producers = Array.from(
      { length: 2 },
      (_, i) => new Thread({ target: fx.produce, args: [q, i * 100, 60] }),
    );
    for (const t of [...consumers, ...producers]) t.start();
    for (const t of producers) t.join();
    for (let i = 0; i < consumers.length; i++) q.put(-1);
    for (const t of consumers) t.join();
    const counts = seen.entriesArray();
    assert.equal(counts.length, 120);
    assert.ok(counts.every(([, n]) => n === 1));
    q.join();
  },
  120_000,
);

redisTest(
  "an item written by hand is a TypeError carrying its bytes, and leaves the queue",
  async () => {
    await using redis = await open();
    const q = new redis.Queue<number>("q");
    const base = `${redis.prefix}:queue:q`;
    await server!.raw("HSET", `${base}:items`, "00000000000000ff", "hello");
    await server!.raw("RPUSH", base, "00000000000000ff");
    await server!.raw("INCR", `${base}:unfinished`);
    q.put(2);
    assert.throws(() => q.get(), (e: Error & { value?: unknown }) => {
      assert.ok(e instanceof TypeError);
      assert.match(e.message, /not written by @weft\/threading/);
      assert.deepEqual(e.value, new TextEncoder().encode("hello"));
      return true;
    });
    assert.equal(q.get(), 2, "the item behind it is not stuck");
    q.taskDone();
    q.taskDone();
    q.join();
    // Not delivered again, even once this process's hold lapses.
    assert.throws(() => q.get({ timeout: 100 }), QueueEmpty);
  },
);

redisTest(
  "an instance of an exported class arrives as that class",
  async () => {
    await using redis = await open();
    const q = new redis.Queue<Point>("q");
    q.put(new Point(1, 2));
    const p = q.get();
    assert.ok(p instanceof Point);
    assert.equal(p.norm(), Math.hypot(1, 2));
  },
);

redisTest(
  "an item of a class whose module was never loaded here is a TypeError, nothing is imported",
  async () => {
    const prefix = freshPrefix();
    await using redis = await open(prefix);
    const marker = await Deno.makeTempFile();
    await Deno.remove(marker);
    // Another process, which has the module, puts the item.
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./_redis_stranger_put.ts", import.meta.url).href,
        server!.url,
        prefix,
      ],
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const q = new redis.Queue<unknown>("q");
    Deno.env.set("WEFT_STRANGER_MARKER", marker);
    try {
      for (const get of [() => q.get(), () => q.getAsync()]) {
        let error: unknown;
        try {
          await get();
        } catch (e) {
          error = e;
        }
        assert.ok(error instanceof TypeError, String(error));
        assert.match(error.message, /Stranger/);
        assert.deepEqual((error as { value?: unknown }).value, { secret: 42 });
        q.taskDone();
      }
      const exists = await Deno.stat(marker).then(() => true, () => false);
      assert.equal(exists, false, "the stranger's module was not imported");
    } finally {
      Deno.env.delete("WEFT_STRANGER_MARKER");
    }
  },
);

redisTest("wrong options are TypeErrors or RangeErrors", async () => {
  await using redis = await open();
  assert.throws(() => new redis.Queue("q", { visibility: -1 }), RangeError);
  assert.throws(() => new redis.Queue("q", { maxsize: 1.5 }), RangeError);
  assert.throws(
    () => new redis.Queue("q", { maxsize: "1" as unknown as number }),
    TypeError,
  );
  const q = new redis.Queue("q");
  assert.throws(() => q.put(() => 1), TypeError);
  assert.throws(() => q.put(new SharedArrayBuffer(4)), TypeError);
  assert.throws(() => q.get({ timeout: -1 }), RangeError);
});

redisTest("Redis objects travel in items by name", async () => {
  await using redis = await open();
  const q = new redis.Queue<unknown>("q");
  const lock = new redis.Lock("inside");
  q.put({ lock });
  const got = q.get() as { lock: typeof lock };
  assert.equal(got.lock.name, "inside");
  assert.equal(got.lock.acquire(), true);
  assert.equal(lock.locked(), true);
  got.lock.release();
  waitFor(cells(1), 0, 0);
});

redisTest("the last test stops the server", async () => {
  await server?.stop();
});
