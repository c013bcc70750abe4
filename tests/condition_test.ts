import assert from "node:assert/strict";
import { Condition, Lock, RLock, Thread, ThreadError } from "../mod.ts";
import { COND_COUNT } from "../src/_core/layout.ts";
import { cells, sharedWord, test, until, waitFor } from "./_helpers.ts";
import {
  condWaiter,
  consume,
  pingPong,
  produce,
  recursiveWaiter,
  SharedText,
} from "./_fixtures.ts";

/** How many threads are queued on `cond`, from its shared words. */
function queued(cond: Condition): number {
  return sharedWord(cond, COND_COUNT);
}

function untilQueued(cond: Condition, n: number): void {
  const deadline = performance.now() + 20_000;
  while (queued(cond) !== n) {
    assert.ok(
      performance.now() < deadline,
      `expected ${n} waiters, have ${queued(cond)}`,
    );
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
  }
}

test("Condition.notify(3) of 5 waiters wakes exactly 3, notifyAll() the rest", () => {
  const cond = new Condition();
  const woken = cells(1);
  const threads = Array.from(
    { length: 5 },
    () => new Thread({ target: condWaiter, args: [cond, woken] }),
  );
  for (const t of threads) t.start();
  untilQueued(cond, 5);
  {
    using _ = cond.hold();
    cond.notify(3);
  }
  waitFor(woken, 0, 3);
  untilQueued(cond, 2);
  assert.equal(Atomics.load(woken, 0), 3, "exactly 3 woke");
  {
    using _ = cond.hold();
    cond.notify(0);
    assert.equal(queued(cond), 2);
    cond.notifyAll();
  }
  for (const t of threads) t.join();
  assert.equal(woken[0], 5);
});

test("Condition.wait() returns false after its timeout, holding the lock again", () => {
  for (const lock of [undefined, new Lock(), new RLock()]) {
    const cond = new Condition(lock);
    cond.acquire();
    const begin = performance.now();
    assert.equal(cond.wait(40), false);
    const waited = performance.now() - begin;
    assert.ok(waited >= 35 && waited < 2_000, `waited ${waited} ms`);
    assert.equal(cond.locked(), true);
    assert.equal(cond.wait(-1), false, "a negative timeout counts as 0");
    assert.equal(queued(cond), 0, "timed-out waiters leave the queue");
    cond.release();
  }
});

test("Condition.wait() releases an RLock held recursively and restores its count", () => {
  const cond = new Condition(new RLock());
  const text = new SharedText();
  const t = new Thread({ target: recursiveWaiter, args: [cond, text] });
  t.start();
  untilQueued(cond, 1);
  assert.equal(
    cond.acquire({ timeout: 10_000 }),
    true,
    "the waiter released every level",
  );
  cond.notify();
  cond.release();
  t.join();
  assert.equal(
    text.read(),
    "true|3|ThreadError",
    "three releases worked, a fourth did not",
  );
});

test("Condition.waitFor() returns the predicate's last value", () => {
  const cond = new Condition();
  using _ = cond.hold();
  assert.equal(cond.waitFor(() => 42), 42);
  let calls = 0;
  const begin = performance.now();
  assert.equal(cond.waitFor(() => (calls++, 0), 30), 0);
  assert.ok(performance.now() - begin >= 25);
  assert.ok(calls >= 2);
  assert.throws(() => cond.waitFor(5 as never), TypeError);
});

test("a Condition ping-pong of 2 x 5,000 hand-offs loses no wake-up", () => {
  const cond = new Condition(new Lock());
  const state = cells(2);
  const threads = [0, 1].map((me) =>
    new Thread({ target: pingPong, args: [cond, state, me, 5_000] })
  );
  for (const t of threads) t.start();
  for (const t of threads) assert.equal(t.join(60_000), true);
  assert.equal(state[1], 10_000);
}, 90_000);

test(
  "a bounded buffer under a Condition moves 8,000 items from 4 producers to 4 consumers exactly",
  () => {
    const cond = new Condition();
    const buffer = cells(17);
    const sums = new Float64Array(new SharedArrayBuffer(4 * 8));
    const producers = [0, 1, 2, 3].map((i) =>
      new Thread({
        target: produce,
        args: [cond, buffer, i * 2_000 + 1, 2_000],
      })
    );
    const consumers = [0, 1, 2, 3].map((i) =>
      new Thread({ target: consume, args: [cond, buffer, sums, i, 2_000] })
    );
    for (const t of [...producers, ...consumers]) t.start();
    for (const t of [...producers, ...consumers]) {
      assert.equal(t.join(60_000), true);
    }
    assert.equal(sums.reduce((a, b) => a + b, 0), (8_000 * 8_001) / 2);
    assert.equal(buffer[0], 0);
  },
  90_000,
);

test("Condition.waitAsync() and waitForAsync() are woken by another thread", async () => {
  const cond = new Condition();
  const state = cells(2);
  await cond.acquireAsync();
  const t = new Thread({ target: pingPong, args: [cond, state, 1, 1] });
  t.start();
  state[0] = 1;
  cond.notify();
  assert.equal(await cond.waitForAsync(() => state[0] === 0, 10_000), true);
  assert.equal(await cond.waitAsync(10), false);
  cond.release();
  t.join();
  await assert.rejects(cond.waitAsync(), ThreadError);
});

test("Condition misuse: wait or notify without the lock is a ThreadError; bad arguments are typed", () => {
  const cond = new Condition();
  assert.throws(() => cond.wait(), /cannot wait on un-acquired lock/);
  assert.throws(() => cond.notify(), /cannot notify on un-acquired lock/);
  assert.throws(() => cond.notifyAll(), ThreadError);
  assert.throws(() => cond.waitFor(() => true), ThreadError);
  assert.throws(() => new Condition(42 as never), TypeError);
  assert.throws(() => new Condition({} as never), TypeError);
  using _ = cond.hold();
  assert.throws(() => cond.notify(-1), RangeError);
  assert.throws(() => cond.notify(1.5), RangeError);
  assert.throws(() => cond.notify("2" as never), TypeError);
  assert.throws(() => cond.wait("2" as never), TypeError);
});

test("Condition over a plain Lock counts the lock as held when anyone holds it", () => {
  const lock = new Lock();
  const cond = new Condition(lock);
  lock.acquire();
  cond.notify();
  assert.equal(cond.wait(1), false);
  lock.release();
  assert.throws(() => cond.notify(), ThreadError);
});

test("Condition.waitAsync() aborted takes the lock back, rejects, and leaves no waiter", async () => {
  const cond = new Condition(new Lock());
  await cond.acquireAsync();
  const controller = new AbortController();
  const pending = cond.waitAsync(undefined, { signal: controller.signal });
  assert.equal(queued(cond), 1);
  controller.abort(new Error("aborted wait"));
  await assert.rejects(pending, /aborted wait/);
  assert.equal(cond.locked(), true, "the lock is held again");
  assert.equal(queued(cond), 0);
  cond.release();
});

test("Condition.waitForAsync() aborted rejects with the lock held again", async () => {
  const cond = new Condition();
  await cond.acquireAsync();
  const controller = new AbortController();
  const pending = cond.waitForAsync(() => false, undefined, {
    signal: controller.signal,
  });
  controller.abort(new Error("no more"));
  await assert.rejects(pending, /no more/);
  assert.equal(queued(cond), 0);
  await assert.rejects(
    cond.waitForAsync(() => true, undefined, { signal: "x" as never }),
    TypeError,
  );
  cond.release();
});

test("an aborted Condition.waitAsync() passes a notification it got to another waiter", async () => {
  const cond = new Condition(new Lock());
  const controller = new AbortController();
  await cond.acquireAsync();
  const aborted = cond.waitAsync(undefined, { signal: controller.signal });
  await cond.acquireAsync();
  const other = cond.waitAsync(10_000);
  await cond.acquireAsync();
  cond.notify(1);
  controller.abort(new Error("late abort"));
  cond.release();
  // Each wait takes the lock back before it settles: give it back then.
  const first = aborted.then(
    () => (cond.release(), "returned"),
    () => (cond.release(), "aborted"),
  );
  const second = other.then((notified) => (cond.release(), notified));
  assert.equal(await first, "aborted");
  assert.equal(await second, true, "the other waiter got the notification");
  assert.equal(queued(cond), 0);
});

test("a Condition takes 2,000 waiters, and notify(n) wakes exactly n", async () => {
  const cond = new Condition(new Lock());
  const woken = cells(1);
  const waits: Promise<void>[] = [];
  for (let i = 0; i < 2_000; i++) {
    await cond.acquireAsync();
    waits.push(
      cond.waitAsync(30_000).then((notified) => {
        if (notified) woken[0]++;
        cond.release();
      }),
    );
  }
  await until(() => queued(cond) === 2_000, 10_000, "2,000 waiters");
  await cond.acquireAsync();
  cond.notify(1_500);
  cond.release();
  await until(() => woken[0] === 1_500, 10_000, "1,500 woken");
  assert.equal(queued(cond), 500);
  await cond.acquireAsync();
  cond.notifyAll();
  cond.release();
  await Promise.all(waits);
  assert.equal(woken[0], 2_000);
  assert.equal(queued(cond), 0);
});

test("Condition.hold(fn) runs fn with the lock held and releases it, also on throw", async () => {
  const cond = new Condition(new RLock());
  assert.equal(cond.hold(() => cond.locked()), true);
  assert.equal(cond.locked(), false);
  assert.throws(() =>
    cond.hold(() => {
      throw new Error("inside");
    }), /inside/);
  assert.equal(cond.locked(), false);
  assert.equal(await cond.holdAsync(async () => await 7), 7);
  assert.equal(cond.locked(), false);
});
