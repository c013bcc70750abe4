import assert from "node:assert/strict";
import {
  Event,
  Lock,
  RLock,
  Thread,
  ThreadError,
  TIMEOUT_MAX,
} from "../mod.ts";
import { cells, test, waitFor } from "./_helpers.ts";
import {
  acquireWithTimeout,
  holdUntil,
  incrementMany,
  incrementRecursively,
  SharedText,
  tryAcquireCount,
  tryRelease,
} from "./_fixtures.ts";

function startAll(threads: Thread[]): void {
  for (const t of threads) t.start();
}
function joinAll(threads: Thread[]): void {
  for (const t of threads) assert.equal(t.join(60_000), true);
}

for (const Kind of [Lock, RLock]) {
  const name = Kind.name;

  test(`${name}: acquire() and release() toggle locked()`, () => {
    const lock = new Kind();
    assert.equal(lock.locked(), false);
    assert.equal(lock.acquire(), true);
    assert.equal(lock.locked(), true);
    lock.release();
    assert.equal(lock.locked(), false);
    assert.throws(() => lock.release(), ThreadError);
  });

  test(`${name}.acquire() returns false after its timeout while another thread holds it`, () => {
    const lock = new Kind();
    const held = new Event();
    const release = new Event();
    const holder = new Thread({
      target: holdUntil,
      args: [lock, held, release],
    });
    holder.start();
    held.wait();
    assert.equal(lock.acquire({ blocking: false }), false);
    assert.equal(lock.tryAcquire(), false);
    assert.equal(lock.acquire({ timeout: 0 }), false);
    const begin = performance.now();
    assert.equal(lock.acquire({ timeout: 60 }), false);
    const waited = performance.now() - begin;
    assert.ok(waited >= 55 && waited < 2_000, `waited ${waited} ms`);
    release.set();
    assert.equal(lock.acquire({ timeout: 10_000 }), true);
    lock.release();
    holder.join();
  });

  test(
    `${name}: 4 threads x 10,000 increments under the lock sum exactly`,
    () => {
      const lock = new Kind();
      const cell = cells(1);
      const target = Kind === Lock ? incrementMany : incrementRecursively;
      const threads = Array.from(
        { length: 4 },
        () =>
          new Thread({
            target: target as typeof incrementMany,
            args: [lock as Lock, cell, 10_000],
          }),
      );
      startAll(threads);
      joinAll(threads);
      assert.equal(cell[0], 40_000);
      assert.equal(lock.locked(), false);
    },
    120_000,
  );

  test(`${name}.tryAcquire() under contention succeeds an exact number of times`, () => {
    const lock = new Kind();
    const go = new Event();
    const out = cells(4);
    const threads = Array.from(
      { length: 4 },
      (_, i) =>
        new Thread({
          target: tryAcquireCount,
          args: [lock as Lock, go, out, i],
        }),
    );
    startAll(threads);
    go.set();
    joinAll(threads);
    const total = [...out].reduce((a, b) => a + b, 0);
    assert.ok(total >= 1 && total <= 4000, `${total} successes`);
    assert.equal(
      lock.locked(),
      false,
      "every success was released exactly once",
    );
    assert.equal(lock.acquire({ blocking: false }), true);
    lock.release();
  });

  test(`${name}.hold() releases at the end of the scope`, () => {
    const lock = new Kind();
    {
      using _ = lock.hold();
      assert.equal(lock.locked(), true);
    }
    assert.equal(lock.locked(), false);
  });

  test(`${name}.acquireAsync() waits without blocking the event loop`, async () => {
    const lock = new Kind();
    const held = new Event();
    const release = new Event();
    const holder = new Thread({
      target: holdUntil,
      args: [lock, held, release],
    });
    holder.start();
    held.wait();
    assert.equal(await lock.acquireAsync({ timeout: 20 }), false);
    assert.equal(await lock.acquireAsync({ blocking: false }), false);
    const pending = lock.acquireAsync();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    setTimeout(() => release.set(), 20);
    assert.equal(await pending, true);
    clearInterval(timer);
    assert.ok(ticks > 0);
    lock.release();
    holder.join();
    {
      using _ = await lock.holdAsync();
      assert.equal(lock.locked(), true);
    }
    assert.equal(lock.locked(), false);
  });

  test(`${name}.acquireAsync() aborted rejects with the reason and never takes the lock`, async () => {
    const lock = new Kind();
    const held = new Event();
    const release = new Event();
    const holder = new Thread({
      target: holdUntil,
      args: [lock, held, release],
    });
    holder.start();
    held.wait();
    const controller = new AbortController();
    const pending = lock.acquireAsync({ signal: controller.signal });
    const second = lock.acquireAsync({ timeout: 10_000 });
    controller.abort(new Error("stop"));
    await assert.rejects(pending, /stop/);
    release.set();
    holder.join();
    // The wake-up the aborted waiter may have received is passed on.
    assert.equal(await second, true);
    lock.release();
    assert.equal(lock.locked(), false);
    await assert.rejects(
      lock.acquireAsync({ signal: AbortSignal.abort(new Error("early")) }),
      /early/,
    );
    assert.equal(lock.locked(), false);
    await assert.rejects(lock.holdAsync({ signal: AbortSignal.abort() }));
    assert.equal(lock.locked(), false);
  });

  test(`${name}: bad arguments are TypeErrors and RangeErrors, also from the async forms`, async () => {
    const lock = new Kind();
    assert.throws(
      () => lock.acquire({ blocking: false, timeout: 1 }),
      TypeError,
    );
    assert.throws(() => lock.acquire({ timeout: -1 }), RangeError);
    assert.throws(() => lock.acquire({ timeout: TIMEOUT_MAX + 1 }), RangeError);
    assert.throws(() => lock.acquire({ timeout: Infinity }), RangeError);
    assert.throws(() => lock.acquire({ timeout: NaN }), TypeError);
    assert.throws(
      () => lock.acquire({ timeout: "1" as unknown as number }),
      TypeError,
    );
    assert.throws(
      () => lock.acquire({ blocking: 0 as unknown as boolean }),
      TypeError,
    );
    assert.throws(() => lock.acquire(5 as unknown as undefined), TypeError);
    await assert.rejects(lock.acquireAsync({ timeout: -1 }), RangeError);
    await assert.rejects(
      lock.acquireAsync({ signal: {} as AbortSignal }),
      TypeError,
    );
    await assert.rejects(lock.holdAsync(3 as never), TypeError);
    assert.equal(lock.locked(), false, "no failed call took the lock");
  });

  test(`${name}: the uncontended acquire and release never call Atomics.notify`, () => {
    const lock = new Kind();
    const notify = Atomics.notify;
    let calls = 0;
    Atomics.notify = ((...args: Parameters<typeof notify>) => {
      calls++;
      return notify(...args);
    }) as typeof notify;
    try {
      for (let i = 0; i < 1000; i++) {
        lock.acquire();
        lock.release();
        using _ = lock.hold();
      }
    } finally {
      Atomics.notify = notify;
    }
    assert.equal(calls, 0);
  });
}

test("Lock.release() works from another thread", () => {
  const lock = new Lock();
  lock.acquire();
  const text = new SharedText();
  const t = new Thread({ target: tryRelease, args: [lock, text] });
  t.start();
  t.join();
  assert.equal(text.read(), "released");
  assert.equal(lock.locked(), false);
});

test("RLock.release() by a thread that does not own it is a ThreadError", () => {
  const lock = new RLock();
  lock.acquire();
  const text = new SharedText();
  const t = new Thread({ target: tryRelease, args: [lock, text] });
  t.start();
  t.join();
  assert.equal(text.read(), "ThreadError: cannot release un-acquired lock");
  assert.equal(lock.locked(), true);
  lock.release();
});

test("RLock is re-entrant and free only after as many releases as acquires", () => {
  const lock = new RLock();
  for (let i = 0; i < 5; i++) assert.equal(lock.acquire({ timeout: 0 }), true);
  const out = cells(3);
  for (let i = 0; i < 4; i++) lock.release();
  const t = new Thread({
    target: acquireWithTimeout,
    args: [lock as unknown as Lock, 30, out],
  });
  t.start();
  waitFor(out, 2, 1);
  assert.equal(out[0], 2, "still held after 4 of 5 releases");
  t.join();
  lock.release();
  assert.equal(lock.locked(), false);
  assert.throws(() => lock.release(), /cannot release un-acquired lock/);
});

test("a Lock blocks a second acquire in the same thread (not re-entrant)", () => {
  const lock = new Lock();
  assert.equal(lock.acquire(), true);
  assert.equal(lock.acquire({ timeout: 0 }), false);
  assert.equal(lock.acquire({ timeout: 10 }), false);
  lock.release();
  assert.equal(String(lock), "<unlocked Lock>");
});

test("Lock.hold(fn) and RLock.hold(fn) return fn's result and release, also on throw", async () => {
  for (const lock of [new Lock(), new RLock()]) {
    assert.equal(lock.hold(() => lock.locked() ? "held" : "free"), "held");
    assert.equal(lock.locked(), false);
    assert.throws(() =>
      lock.hold(() => {
        throw new RangeError("boom");
      }), RangeError);
    assert.equal(lock.locked(), false);
    const result = await lock.holdAsync(async () => {
      await null;
      return lock.locked();
    });
    assert.equal(result, true);
    assert.equal(lock.locked(), false);
    await assert.rejects(
      lock.holdAsync(() => Promise.reject(new Error("async boom"))),
      /async boom/,
    );
    assert.equal(lock.locked(), false);
    using _ = lock.hold();
    assert.equal(lock.locked(), true);
  }
});

test("Lock.holdAsync(fn) aborted while waiting never runs fn", async () => {
  const lock = new Lock();
  lock.acquire();
  const controller = new AbortController();
  let ran = false;
  const pending = lock.holdAsync(() => ran = true, {
    signal: controller.signal,
  });
  controller.abort(new Error("gave up"));
  await assert.rejects(pending, /gave up/);
  assert.equal(ran, false);
  lock.release();
  assert.equal(lock.locked(), false);
});
