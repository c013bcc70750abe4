import assert from "node:assert/strict";
import { BoundedSemaphore, Semaphore, Thread } from "../mod.ts";
import { cells, sharedWord, test, waitFor } from "./_helpers.ts";
import { acquireOnce, semHolder, semWaiter } from "./_fixtures.ts";
import { SEM_WAITERS } from "../src/_core/layout.ts";

function sleepers(sem: Semaphore): number {
  return sharedWord(sem, SEM_WAITERS);
}

test("Semaphore.release(3) with 5 waiters lets exactly 3 through", () => {
  const sem = new Semaphore(0);
  const acquired = cells(1);
  const ready = cells(1);
  const threads = Array.from(
    { length: 5 },
    () => new Thread({ target: semWaiter, args: [sem, acquired, ready] }),
  );
  for (const t of threads) t.start();
  waitFor(ready, 0, 5);
  const deadline = performance.now() + 20_000;
  while (sleepers(sem) < 5) {
    assert.ok(performance.now() < deadline);
    Atomics.wait(ready, 0, 5, 1);
  }
  sem.release(3);
  waitFor(acquired, 0, 3);
  while (sleepers(sem) > 2) Atomics.wait(ready, 0, 5, 1);
  assert.equal(Atomics.load(acquired, 0), 3);
  assert.equal(sem.value, 0);
  sem.release(2);
  for (const t of threads) t.join();
  assert.equal(acquired[0], 5);
  assert.equal(sem.value, 0);
});

test(
  "Semaphore(2): 4 threads x 2,000 holds never have more than 2 holders",
  () => {
    const sem = new Semaphore(2);
    const s = cells(2);
    const threads = Array.from(
      { length: 4 },
      () => new Thread({ target: semHolder, args: [sem, s, 2_000] }),
    );
    for (const t of threads) {
      t.start();
    }
    for (const t of threads) assert.equal(t.join(60_000), true);
    assert.ok(s[1] >= 1 && s[1] <= 2, `max holders ${s[1]}`);
    assert.equal(sem.value, 2);
  },
  90_000,
);

test("Semaphore.acquire() returns false after its timeout; tryAcquire() never waits", () => {
  const sem = new Semaphore(1);
  assert.equal(sem.tryAcquire(), true);
  assert.equal(sem.tryAcquire(), false);
  assert.equal(sem.acquire({ blocking: false }), false);
  assert.equal(
    sem.acquire({ timeout: -5 }),
    false,
    "a negative timeout counts as 0",
  );
  const begin = performance.now();
  assert.equal(sem.acquire({ timeout: 40 }), false);
  const waited = performance.now() - begin;
  assert.ok(waited >= 35 && waited < 2_000, `waited ${waited} ms`);
  sem.release();
  {
    using _ = sem.hold();
    assert.equal(sem.value, 0);
  }
  assert.equal(sem.value, 1);
  assert.equal(String(sem), "<Semaphore value=1>");
});

test("Semaphore.acquireAsync() is released by another thread; aborted, it takes nothing", async () => {
  const sem = new Semaphore(0);
  const controller = new AbortController();
  const aborted = sem.acquireAsync({ signal: controller.signal });
  const pending = sem.acquireAsync({ timeout: 10_000 });
  controller.abort(new Error("no"));
  await assert.rejects(aborted, /no/);
  const t = new Thread({ target: (s: Semaphore) => s.release(), args: [sem] });
  t.start();
  assert.equal(await pending, true);
  t.join();
  assert.equal(sem.value, 0, "the aborted call took nothing");
  assert.equal(await sem.acquireAsync({ timeout: 5 }), false);
  sem.release();
  {
    using _ = await sem.holdAsync();
    assert.equal(sem.value, 0);
  }
  assert.equal(sem.value, 1);
});

test("BoundedSemaphore refuses releases above its initial value", () => {
  const sem = new BoundedSemaphore(2);
  assert.throws(() => sem.release(), /Semaphore released too many times/);
  sem.acquire();
  assert.throws(() => sem.release(2), RangeError);
  assert.equal(sem.value, 1, "a refused release changes nothing");
  sem.release();
  assert.equal(sem.value, 2);
  const t = new Thread({
    target: (s: BoundedSemaphore) => s.acquire(),
    args: [sem],
  });
  t.start();
  t.join();
  assert.equal(sem.value, 1, "the handle in the thread is the same semaphore");
  sem.release();
  assert.throws(
    () => sem.release(),
    RangeError,
    "still bounded after crossing threads",
  );
});

test("Semaphore: bad arguments are TypeErrors and RangeErrors", async () => {
  assert.throws(() => new Semaphore(-1), RangeError);
  assert.throws(() => new Semaphore(1.5), RangeError);
  assert.throws(() => new Semaphore("3" as never), TypeError);
  assert.throws(() => new BoundedSemaphore(-1), RangeError);
  const sem = new Semaphore();
  assert.equal(sem.value, 1);
  assert.throws(() => sem.release(0), RangeError);
  assert.throws(() => sem.release(-2), RangeError);
  assert.throws(() => sem.release("1" as never), TypeError);
  assert.throws(() => sem.acquire({ blocking: false, timeout: 1 }), TypeError);
  assert.throws(() => sem.acquire({ timeout: "1" as never }), TypeError);
  await assert.rejects(sem.acquireAsync({ timeout: NaN }), TypeError);
  assert.equal(sem.value, 1);
});

test("Semaphore values reach Number.MAX_SAFE_INTEGER; past it release() throws and changes nothing", () => {
  const max = Number.MAX_SAFE_INTEGER;
  const sem = new Semaphore(2 ** 31 - 1);
  sem.release();
  assert.equal(sem.value, 2 ** 31);
  assert.equal(sem.acquire(), true);
  assert.equal(sem.value, 2 ** 31 - 1);
  sem.release(max - sem.value);
  assert.equal(sem.value, max);
  assert.throws(() => sem.release(), RangeError);
  assert.equal(sem.value, max, "unchanged");
  assert.throws(() => new Semaphore(max + 1), RangeError);
  assert.throws(() => sem.release(max + 1), RangeError);
  const top = new Semaphore(max);
  assert.equal(top.tryAcquire(), true);
  assert.equal(top.value, max - 1);
});

test("a large Semaphore value crosses back below 2**30 exactly", () => {
  const sem = new Semaphore(2 ** 30 + 2);
  for (let i = 0; i < 5; i++) assert.equal(sem.tryAcquire(), true);
  assert.equal(sem.value, 2 ** 30 - 3);
  sem.release(5);
  assert.equal(sem.value, 2 ** 30 + 2);
});

test("BoundedSemaphore(2**31 - 1) is released back to its bound, not past it", () => {
  const sem = new BoundedSemaphore(2 ** 31 - 1);
  assert.throws(() => sem.release(), RangeError);
  assert.equal(sem.acquire(), true);
  sem.release();
  assert.equal(sem.value, 2 ** 31 - 1);
  const big = new BoundedSemaphore(Number.MAX_SAFE_INTEGER);
  big.acquire();
  big.acquire();
  big.release(2);
  assert.throws(() => big.release(), RangeError);
  assert.equal(big.value, Number.MAX_SAFE_INTEGER);
});

test("a thread waiting on a Semaphore at 0 is woken by a release that makes it large", () => {
  const sem = new Semaphore(0);
  const out = cells(1);
  const t = new Thread({ target: acquireOnce, args: [sem, out] });
  t.start();
  sem.release(2 ** 40);
  t.join();
  assert.equal(out[0], 1);
  assert.equal(sem.value, 2 ** 40 - 1);
});

test("Semaphore.hold(fn) gives the unit back after fn, also when it throws", async () => {
  const sem = new BoundedSemaphore(2);
  assert.equal(sem.hold(() => sem.value), 1);
  assert.equal(sem.value, 2);
  assert.throws(() =>
    sem.hold(() => {
      throw new Error("x");
    }), /x/);
  assert.equal(sem.value, 2);
  assert.equal(await sem.holdAsync(() => Promise.resolve(sem.value)), 1);
  assert.equal(sem.value, 2);
  const controller = new AbortController();
  const empty = new Semaphore(0);
  const pending = empty.holdAsync(() => 1, { signal: controller.signal });
  controller.abort(new Error("no unit"));
  await assert.rejects(pending, /no unit/);
  assert.equal(empty.value, 0);
  assert.throws(() => sem.hold(5 as never), TypeError);
});
