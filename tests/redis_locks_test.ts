// Lock, RLock, Semaphore, BoundedSemaphore and Event on a real redis-server:
// Python's semantics, sync and async, across threads of this process.
import assert from "node:assert/strict";
import { Thread, ThreadError } from "../mod.ts";
import { connect, type RedisConnection } from "../src/redis.ts";
import {
  freshPrefix,
  type RedisServer,
  redisTest,
  startRedis,
} from "./_redis_server.ts";
import { cells, waitFor } from "./_helpers.ts";
import * as fx from "./_redis_fixtures.ts";

let server: RedisServer | undefined;
async function open(): Promise<RedisConnection> {
  server ??= await startRedis();
  return await connect(server.url, { prefix: freshPrefix() });
}

redisTest(
  "Lock.acquire() takes a free lock, and each hold gets a larger fence",
  async () => {
    await using redis = await open();
    const lock = new redis.Lock("a");
    assert.equal(lock.locked(), false);
    assert.equal(lock.fence, undefined);
    assert.equal(lock.acquire(), true);
    assert.equal(lock.locked(), true);
    const first = lock.fence!;
    assert.equal(typeof first, "bigint");
    lock.release();
    assert.equal(lock.fence, undefined);
    assert.equal(lock.acquire(), true);
    assert.ok(lock.fence! > first);
    lock.release();
    assert.equal(lock.locked(), false);
  },
);

redisTest(
  "Lock.acquire() returns false after its timeout, and at once when not blocking",
  async () => {
    await using redis = await open();
    const lock = new redis.Lock("a");
    lock.acquire();
    const t0 = performance.now();
    assert.equal(lock.acquire({ timeout: 150 }), false);
    assert.ok(performance.now() - t0 >= 140);
    assert.equal(lock.acquire({ blocking: false }), false);
    assert.equal(lock.tryAcquire(), false);
    assert.throws(
      () => lock.acquire({ blocking: false, timeout: 1 }),
      TypeError,
    );
    assert.throws(() => lock.acquire({ timeout: -1 }), RangeError);
    lock.release();
  },
);

redisTest("Lock.release() of an unlocked lock is a ThreadError", async () => {
  await using redis = await open();
  const lock = new redis.Lock("a");
  assert.throws(() => lock.release(), ThreadError);
  await assert.rejects(lock.releaseAsync(), ThreadError);
});

redisTest(
  "a Lock passed to a thread is the same lock, and any thread of the holder may release it",
  async () => {
    await using redis = await open();
    const lock = new redis.Lock("shared");
    lock.acquire();
    const out = cells(2);
    const t = new Thread({ target: fx.releaseLock, args: [lock, out] });
    t.start();
    t.join();
    assert.equal(out[0], 1);
    assert.equal(lock.locked(), false);
  },
);

redisTest(
  "Lock excludes threads: unguarded read-modify-writes under it lose nothing",
  async () => {
    await using redis = await open();
    const lock = new redis.Lock("counter");
    const value = new redis.SharedValue("count", 0);
    const threads = Array.from(
      { length: 3 },
      () => new Thread({ target: fx.countUnderLock, args: [lock, value, 20] }),
    );
    for (const t of threads) t.start();
    for (const t of threads) t.join();
    assert.equal(value.get(), 60);
  },
  120_000,
);

redisTest(
  "Lock.acquireAsync() waits without blocking, and an abort leaves the lock untaken",
  async () => {
    await using redis = await open();
    const lock = new redis.Lock("a");
    const other = new redis.Lock("a");
    lock.acquire();
    const controller = new AbortController();
    const pending = other.acquireAsync({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error("stop")), 50);
    await assert.rejects(pending, /stop/);
    lock.release();
    // The aborted acquire never takes it afterwards.
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(lock.locked(), false);
    assert.equal(await other.acquireAsync({ timeout: 1_000 }), true);
    await other.releaseAsync();
  },
);

redisTest(
  "Lock.acquire() wakes when another process's holder releases",
  async () => {
    await using redis = await open();
    const lock = new redis.Lock("a");
    lock.acquire();
    const out = cells(2);
    const t = new Thread({ target: fx.acquireTimed, args: [lock, out] });
    t.start();
    waitFor(out, 0, 1);
    lock.release();
    t.join();
    assert.equal(out[1], 1);
  },
);

redisTest(
  "Lock.hold() runs a callback holding the lock, and holdAsync() releases after",
  async () => {
    await using redis = await open();
    const lock = new redis.Lock("a");
    assert.equal(lock.hold(() => lock.locked()), true);
    assert.equal(lock.locked(), false);
    {
      using _ = lock.hold();
      assert.equal(lock.locked(), true);
    }
    assert.equal(lock.locked(), false);
    assert.equal(
      await lock.holdAsync(async () => await lock.lockedAsync()),
      true,
    );
    assert.equal(await lock.lockedAsync(), false);
  },
);

redisTest(
  "a lease is renewed while its holder lives, and a lost lease makes release() say so",
  async () => {
    await using redis = await open();
    const lock = new redis.Lock("a", { lease: 300 });
    lock.acquire();
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(lock.locked(), true, "renewed past its lease");
    // Lost: the key is gone (as when the holder paused past its lease).
    await server!.raw("DEL", `${redis.prefix}:lock:a`);
    await new Promise((r) => setTimeout(r, 300));
    assert.throws(
      () => lock.release(),
      (e: Error) => e instanceof ThreadError && /lease/.test(e.message),
    );
  },
);

redisTest(
  "RLock is re-entrant for its thread, and another thread cannot release it",
  async () => {
    await using redis = await open();
    const lock = new redis.RLock("r");
    assert.equal(lock.acquire(), true);
    const fence = lock.fence;
    assert.equal(lock.acquire({ timeout: 0 }), true);
    assert.equal(lock.fence, fence);
    const out = cells(2);
    const t = new Thread({ target: fx.tryRLock, args: [lock, out] });
    t.start();
    t.join();
    assert.equal(out[0], 2, "acquire elsewhere failed");
    assert.equal(out[1], 1, "release elsewhere was a ThreadError");
    lock.release();
    assert.equal(lock.locked(), true);
    lock.release();
    assert.equal(lock.locked(), false);
    assert.throws(() => lock.release(), ThreadError);
  },
);

redisTest(
  "RLock and Semaphore have async forms: acquireAsync, releaseAsync, holdAsync",
  async () => {
    await using redis = await open();
    const lock = new redis.RLock("r");
    assert.equal(await lock.acquireAsync(), true);
    assert.equal(await lock.acquireAsync({ timeout: 0 }), true);
    await lock.releaseAsync();
    await lock.releaseAsync();
    assert.equal(await lock.lockedAsync(), false);
    const sem = new redis.Semaphore("s", 1);
    assert.equal(
      await sem.holdAsync(async () => await sem.valueAsync()),
      0,
    );
    assert.equal(await sem.valueAsync(), 1);
    {
      using _ = await sem.holdAsync();
      assert.equal(await sem.valueAsync(), 0);
    }
    assert.equal(await sem.valueAsync(), 1);
  },
);

redisTest(
  "Semaphore counts units across threads; release without a unit is a ThreadError",
  async () => {
    await using redis = await open();
    const sem = new redis.Semaphore("s", 2);
    assert.equal(sem.value, 2);
    assert.equal(sem.acquire(), true);
    assert.equal(sem.acquire(), true);
    assert.equal(sem.value, 0);
    assert.equal(sem.acquire({ timeout: 100 }), false);
    assert.equal(sem.tryAcquire(), false);
    sem.release(2);
    assert.equal(sem.value, 2);
    assert.throws(() => sem.release(), ThreadError);
    assert.throws(() => new redis.Semaphore("t", -1), RangeError);
    assert.throws(() => sem.release(0), RangeError);
    const bounded = new redis.BoundedSemaphore("b", 1);
    bounded.acquire();
    bounded.release();
    assert.throws(() => bounded.release(), ThreadError);
  },
);

redisTest(
  "Semaphore's value is the first user's: later ones use what is there",
  async () => {
    await using redis = await open();
    const a = new redis.Semaphore("s", 3);
    assert.equal(a.value, 3);
    a.acquire();
    const b = new redis.Semaphore("s", 10);
    assert.equal(b.value, 2);
    a.release();
  },
);

redisTest(
  "Semaphore bounds threads: at most `value` hold a unit at once",
  async () => {
    await using redis = await open();
    const sem = new redis.Semaphore("pool", 2);
    const inside = cells(4);
    const threads = Array.from(
      { length: 4 },
      () => new Thread({ target: fx.underSemaphore, args: [sem, inside, 5] }),
    );
    for (const t of threads) t.start();
    for (const t of threads) t.join();
    assert.equal(inside[1], 20, "every round ran");
    assert.ok(inside[2] <= 2, `at most 2 at once, saw ${inside[2]}`);
  },
  120_000,
);

redisTest(
  "Semaphore.acquireAsync() with an aborted signal rejects and takes no unit",
  async () => {
    await using redis = await open();
    const sem = new redis.Semaphore("s", 1);
    sem.acquire();
    const controller = new AbortController();
    const pending = sem.acquireAsync({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error("stop")), 50);
    await assert.rejects(pending, /stop/);
    sem.release();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await sem.valueAsync(), 1);
  },
);

redisTest(
  "Event.wait() returns when another thread sets it, false on timeout",
  async () => {
    await using redis = await open();
    const ev = new redis.Event("e");
    assert.equal(ev.isSet(), false);
    assert.equal(ev.wait(100), false);
    assert.equal(ev.wait(-5), false);
    const out = cells(2);
    const t = new Thread({ target: fx.waitEvent, args: [ev, out] });
    t.start();
    waitFor(out, 0, 1);
    ev.set();
    t.join();
    assert.equal(out[1], 1);
    assert.equal(ev.isSet(), true);
    assert.equal(ev.wait(), true);
    ev.clear();
    assert.equal(await ev.isSetAsync(), false);
  },
);

redisTest(
  "Event.set() then clear() at once still releases every waiter",
  async () => {
    await using redis = await open();
    const ev = new redis.Event("e");
    const out = cells(4);
    const threads = Array.from(
      { length: 2 },
      () => new Thread({ target: fx.waitEvent, args: [ev, out] }),
    );
    for (const t of threads) t.start();
    waitFor(out, 0, 2);
    // Both are waiting in the I/O thread once they asked; give the requests
    // time to arrive there.
    await new Promise((r) => setTimeout(r, 200));
    ev.set();
    ev.clear();
    for (const t of threads) t.join();
    assert.equal(out[1], 2);
  },
);

redisTest("Event.waitAsync() rejects when aborted", async () => {
  await using redis = await open();
  const ev = new redis.Event("e");
  const controller = new AbortController();
  const pending = ev.waitAsync(undefined, { signal: controller.signal });
  controller.abort(new Error("stop"));
  await assert.rejects(pending, /stop/);
  await ev.setAsync();
  assert.equal(await ev.waitAsync(10), true);
});

redisTest("after close() every call throws ConnectionError", async () => {
  const redis = await open();
  const lock = new redis.Lock("a");
  await redis.close();
  const { ConnectionError } = await import("../src/redis.ts");
  assert.throws(() => lock.acquire(), ConnectionError);
  await assert.rejects(lock.lockedAsync(), ConnectionError);
  await redis.close();
});

redisTest("a closing connection releases what the process held", async () => {
  const redis = await open();
  const lock = new redis.Lock("a");
  lock.acquire();
  const prefix = redis.prefix;
  await redis.close();
  await using again = await connect(server!.url, { prefix });
  assert.equal(new again.Lock("a").locked(), false);
});

redisTest(
  "wrong types are TypeErrors, out-of-range values RangeErrors",
  async () => {
    await using redis = await open();
    assert.throws(() => new redis.Lock(""), TypeError);
    assert.throws(() => new redis.Lock(3 as unknown as string), TypeError);
    assert.throws(() => new redis.Lock("a", { lease: 0 }), RangeError);
    assert.throws(
      () => new redis.Lock("a", { lease: "1" as unknown as number }),
      TypeError,
    );
    assert.throws(
      () => new redis.Event("e").wait("1" as unknown as number),
      TypeError,
    );
  },
);

redisTest("the last test stops the server", async () => {
  await server?.stop();
});
