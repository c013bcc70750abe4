import assert from "node:assert/strict";
import { Event, Thread, ThreadError, TIMEOUT_MAX, Timer } from "../mod.ts";
import { cells, test, waitFor } from "./_helpers.ts";
import { mark, markThenWait } from "./_fixtures.ts";

test("Timer calls its function with its arguments after the interval", () => {
  const out = cells(2);
  const timer = new Timer(60, mark, [out, 7]);
  const begin = performance.now();
  timer.start();
  timer.join();
  const took = performance.now() - begin;
  assert.deepEqual([...out], [1, 7]);
  assert.ok(took >= 55 && took < 5_000, `took ${took} ms`);
});

test("a cancelled Timer never runs and its thread ends promptly", () => {
  const out = cells(2);
  const timer = new Timer(TIMEOUT_MAX, mark, [out, 1]);
  timer.start();
  const begin = performance.now();
  timer.cancel();
  assert.equal(timer.join(10_000), true);
  assert.ok(performance.now() - begin < 5_000);
  assert.equal(out[0], 0);
  const early = new Timer(10, mark, [out, 2]);
  early.cancel();
  early.start();
  early.join();
  assert.equal(out[0], 0, "cancelled before start: never runs");
});

test("Timer.cancel() has no effect once the function has started", () => {
  const out = cells(2);
  const release = new Event();
  const timer = new Timer(0, markThenWait, [out, release]);
  timer.start();
  waitFor(out, 0, 1);
  timer.cancel();
  release.set();
  timer.join();
  assert.equal(out[1], 1, "the function ran to its end");
});

test("Timer threads are named Thread-N and behave as threads", () => {
  const t = new Thread();
  const n = Number(/^Thread-(\d+)$/.exec(t.name)![1]);
  const timer = new Timer(0, mark, [cells(2), 0]);
  assert.equal(timer.name, `Thread-${n + 1}`);
  assert.ok(timer instanceof Thread);
  timer.daemon = true;
  timer.start();
  timer.join();
  assert.throws(() => timer.start(), ThreadError);
});

test("Timer: bad arguments are TypeErrors and RangeErrors", () => {
  assert.throws(() => new Timer("1" as never, mark), TypeError);
  assert.throws(() => new Timer(NaN, mark), TypeError);
  assert.throws(() => new Timer(TIMEOUT_MAX + 1, mark), RangeError);
  assert.throws(() => new Timer(1, 5 as never), TypeError);
  assert.throws(() => new Timer(1, mark, 5 as never), TypeError);
});
