import assert from "node:assert/strict";
import { Barrier, BrokenBarrierError, Thread } from "../mod.ts";
import { cells, test, until, waitFor } from "./_helpers.ts";
import {
  actionRounds,
  barrierIndex,
  barrierOnce,
  barrierRounds,
  countAction,
  failingAction,
} from "./_fixtures.ts";

test("Barrier: 4 threads pass 10 rounds in lockstep with distinct indexes", () => {
  const parties = 4;
  const rounds = 10;
  const barrier = new Barrier(parties);
  const arrivals = cells(2);
  const seen = cells(parties * rounds);
  const threads = Array.from(
    { length: parties },
    () =>
      new Thread({
        target: barrierRounds,
        args: [barrier, arrivals, seen, rounds],
      }),
  );
  for (const t of threads) t.start();
  for (const t of threads) assert.equal(t.join(60_000), true);
  assert.equal(arrivals[1], 0, "nobody left a round before everyone arrived");
  assert.deepEqual(
    [...seen],
    Array(parties * rounds).fill(1),
    "indexes 0..3 once per round",
  );
  assert.equal(barrier.nWaiting, 0);
  assert.equal(barrier.broken, false);
});

test("Barrier action runs once per round, in one thread, before anyone is released", () => {
  Deno.env.set("WEFT_BARRIER_ACTIONS", "0");
  const barrier = new Barrier(3, { action: countAction });
  const out = cells(1);
  const threads = [0, 1, 2].map(() =>
    new Thread({ target: actionRounds, args: [barrier, out, 5] })
  );
  for (const t of threads) t.start();
  for (const t of threads) t.join();
  // Each round's second wait also runs the action: 2 per round.
  assert.equal(Deno.env.get("WEFT_BARRIER_ACTIONS"), "10");
  assert.equal(
    out[0],
    15,
    "every thread saw the action's effect right after each round",
  );
  const actor = Number(Deno.env.get("WEFT_BARRIER_ACTION_THREAD"));
  assert.ok(
    threads.some((t) => t.ident === actor),
    "the action ran in one of the threads",
  );
  Deno.env.delete("WEFT_BARRIER_ACTIONS");
  Deno.env.delete("WEFT_BARRIER_ACTION_THREAD");
});

test("Barrier action that throws: that thread gets its error, the others BrokenBarrierError", () => {
  const barrier = new Barrier(3, { action: failingAction });
  const out = cells(16);
  const threads = [0, 1].map((i) =>
    new Thread({ target: barrierOnce, args: [barrier, out, i] })
  );
  for (const t of threads) t.start();
  waitFor(out, 15, 2);
  while (barrier.nWaiting < 2) Atomics.wait(out, 15, 2, 1);
  assert.throws(
    () => barrier.wait(),
    (e: Error) => e instanceof RangeError && e.message === "action failed",
  );
  for (const t of threads) t.join();
  assert.deepEqual([out[0], out[1]], [2, 2]);
  assert.equal(barrier.broken, true);
});

test("Barrier wait timing out breaks it for every waiter; reset() makes it usable again", () => {
  const barrier = new Barrier(3);
  const out = cells(16);
  const t = new Thread({ target: barrierOnce, args: [barrier, out, 0] });
  t.start();
  waitFor(out, 15, 1);
  const begin = performance.now();
  assert.throws(() => barrier.wait(50), BrokenBarrierError);
  assert.ok(performance.now() - begin >= 45);
  t.join();
  assert.equal(out[0], 2);
  assert.equal(barrier.broken, true);
  assert.throws(() => barrier.wait(), BrokenBarrierError);
  barrier.reset();
  assert.equal(barrier.broken, false);
  const again = [0, 1].map((i) =>
    new Thread({ target: barrierOnce, args: [barrier, out, i + 1] })
  );
  for (const x of again) x.start();
  assert.equal(typeof barrier.wait(10_000), "number");
  for (const x of again) x.join();
  assert.deepEqual([out[1], out[2]], [1, 1]);
});

test("Barrier default timeout and abort()", () => {
  const barrier = new Barrier(2, { timeout: 30 });
  assert.throws(() => barrier.wait(), BrokenBarrierError);
  barrier.reset();
  const out = cells(16);
  const threads = [0, 1].map((i) =>
    new Thread({ target: barrierOnce, args: [new Barrier(1), out, i] })
  );
  for (const t of threads) t.start();
  for (const t of threads) t.join();
  assert.deepEqual(
    [out[0], out[1]],
    [1, 1],
    "a one-party barrier passes at once",
  );
  const big = new Barrier(4);
  const waiters = [2, 3].map((i) =>
    new Thread({ target: barrierOnce, args: [big, out, i] })
  );
  for (const t of waiters) t.start();
  waitFor(out, 15, 4);
  while (big.nWaiting < 2) Atomics.wait(out, 15, 4, 1);
  assert.equal(big.nWaiting, 2);
  assert.equal(big.parties, 4);
  big.abort();
  for (const t of waiters) t.join();
  assert.deepEqual([out[2], out[3]], [2, 2]);
  assert.equal(big.broken, true);
  assert.equal(big.nWaiting, 0);
});

test("Barrier.waitAsync() passes with threads and rejects when broken", async () => {
  const barrier = new Barrier(2);
  const out = cells(16);
  const t = new Thread({ target: barrierOnce, args: [barrier, out, 0] });
  t.start();
  assert.ok([0, 1].includes(await barrier.waitAsync(10_000)));
  t.join();
  assert.equal(out[0], 1);
  await assert.rejects(barrier.waitAsync(10), BrokenBarrierError);
});

test("Barrier: bad arguments are TypeErrors and RangeErrors", () => {
  assert.throws(() => new Barrier(0), RangeError);
  assert.throws(() => new Barrier(1.5), RangeError);
  assert.throws(() => new Barrier("3" as never), TypeError);
  assert.throws(() => new Barrier(2, { action: 5 as never }), TypeError);
  assert.throws(() => new Barrier(2, { timeout: "1" as never }), TypeError);
  assert.throws(() => new Barrier(2, 7 as never), TypeError);
  assert.throws(() => new Barrier(2).wait("x" as never), TypeError);
});

test("Barrier.waitAsync() aborted leaves the barrier as if it never waited", async () => {
  const barrier = new Barrier(2);
  const controller = new AbortController();
  const pending = barrier.waitAsync(undefined, { signal: controller.signal });
  await until(() => barrier.nWaiting === 1, 10_000, "one waiter");
  controller.abort(new Error("left"));
  await assert.rejects(pending, /left/);
  assert.equal(barrier.nWaiting, 0);
  assert.equal(barrier.broken, false);
  const out = cells(1);
  const t = new Thread({ target: barrierIndex, args: [barrier, out, 0] });
  t.start();
  const index = await barrier.waitAsync(10_000);
  t.join();
  assert.deepEqual(new Set([index, out[0] - 1]), new Set([0, 1]));
});

test(
  "a Barrier of 1,100 parties trips, every arrival index given once",
  async () => {
    const parties = 1_100;
    const barrier = new Barrier(parties);
    const out = cells(2);
    const threads = [0, 1].map((slot) =>
      new Thread({ target: barrierIndex, args: [barrier, out, slot] })
    );
    for (const t of threads) t.start();
    const waits = Array.from(
      { length: parties - 2 },
      () => barrier.waitAsync(60_000),
    );
    const mine = await Promise.all(waits);
    for (const t of threads) t.join();
    const indices = [...mine, out[0] - 1, out[1] - 1];
    assert.deepEqual(
      [...indices].sort((a, b) => a - b),
      Array.from({ length: parties }, (_, i) => i),
    );
    assert.equal(barrier.broken, false);
  },
  120_000,
);
