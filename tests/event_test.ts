import assert from "node:assert/strict";
import { Event, Thread, TIMEOUT_MAX } from "../mod.ts";
import { EVENT_WAITERS } from "../src/_core/layout.ts";
import { cells, sharedWord, test, waitFor } from "./_helpers.ts";
import { eventPong, waitAndCount } from "./_fixtures.ts";

/** The Event's count of sleeping waiters, read from its shared words. */
function sleepers(event: Event): number {
  return sharedWord(event, EVENT_WAITERS);
}

function startWaiters(
  event: Event,
  n: number,
): { threads: Thread[]; out: Int32Array } {
  const ready = cells(1);
  const out = cells(1);
  const threads = Array.from(
    { length: n },
    () => new Thread({ target: waitAndCount, args: [event, ready, out] }),
  );
  for (const t of threads) t.start();
  waitFor(ready, 0, n);
  const deadline = performance.now() + 10_000;
  while (sleepers(event) < n) {
    assert.ok(performance.now() < deadline, "waiters did not go to sleep");
    Atomics.wait(ready, 0, n, 1);
  }
  return { threads, out };
}

test("Event.set() wakes every waiting thread", () => {
  const event = new Event();
  const { threads, out } = startWaiters(event, 5);
  assert.equal(out[0], 0);
  event.set();
  for (const t of threads) t.join();
  assert.equal(out[0], 5);
  assert.equal(event.isSet(), true);
});

test("Event.set() immediately followed by clear() still releases every current waiter", () => {
  const event = new Event();
  const { threads, out } = startWaiters(event, 4);
  event.set();
  event.clear();
  for (const t of threads) assert.equal(t.join(10_000), true);
  assert.equal(out[0], 4);
  assert.equal(event.isSet(), false);
});

test(
  "an Event ping-pong of 20,000 rounds: every wait() is released by its own set()",
  () => {
    const ping = new Event();
    const pong = new Event();
    const count = cells(1);
    const rounds = 20_000;
    const t = new Thread({
      target: eventPong,
      args: [ping, pong, rounds, count],
    });
    t.start();
    let early = 0;
    for (let i = 0; i < rounds; i++) {
      ping.set();
      assert.equal(pong.wait(20_000), true);
      if (Atomics.load(count, 0) !== i + 1) early++;
      pong.clear();
    }
    t.join();
    assert.equal(early, 0, "no wait() returned before the partner's set()");
    assert.equal(count[0], rounds);
  },
  120_000,
);

test("Event.wait() returns false after its timeout, true at once when set", () => {
  const event = new Event();
  const begin = performance.now();
  assert.equal(event.wait(40), false);
  const waited = performance.now() - begin;
  assert.ok(waited >= 35 && waited < 2_000, `waited ${waited} ms`);
  assert.equal(event.wait(0), false);
  assert.equal(event.wait(-1), false, "a negative timeout counts as 0");
  event.set();
  assert.equal(event.wait(), true);
  assert.equal(event.wait(0), true);
  event.clear();
  assert.equal(event.isSet(), false);
  assert.equal(String(event), "<Event: unset>");
});

test("Event.waitAsync() is woken by a set() from another thread", async () => {
  const event = new Event();
  assert.equal(await event.waitAsync(20), false);
  const waiting = event.waitAsync();
  const t = new Thread({ target: (e: Event) => e.set(), args: [event] });
  t.start();
  assert.equal(await waiting, true);
  t.join();
  assert.equal(await event.waitAsync(0), true);
});

test("Event: bad timeouts are TypeErrors and RangeErrors", async () => {
  const event = new Event();
  assert.throws(() => event.wait("1" as unknown as number), TypeError);
  assert.throws(() => event.wait(NaN), TypeError);
  assert.throws(() => event.wait(TIMEOUT_MAX + 1), RangeError);
  await assert.rejects(event.waitAsync("x" as unknown as number), TypeError);
});

test("Event.waitAsync() rejects with the signal's reason and leaves no waiter", async () => {
  const e = new Event();
  const controller = new AbortController();
  const pending = e.waitAsync(undefined, { signal: controller.signal });
  assert.equal(sleepers(e), 1);
  controller.abort(new Error("stop waiting"));
  await assert.rejects(pending, /stop waiting/);
  assert.equal(sleepers(e), 0);
  assert.equal(e.isSet(), false);
  await assert.rejects(
    e.waitAsync(10, { signal: AbortSignal.abort(new Error("early")) }),
    /early/,
  );
  e.set();
  assert.equal(await e.waitAsync(), true);
  await assert.rejects(e.waitAsync(1, { signal: "x" as never }), TypeError);
});
