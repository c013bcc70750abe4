// Lock and RLock costs. Uncontended: one acquire+release pair per iteration,
// against a bare compare-exchange + store on shared memory as the baseline.
// Contended: a counter incremented under one Lock by 1, 2 and 4 threads; each
// iteration moves 4,000 increments in total and checks the count is exact.
import { Lock, RLock, Thread } from "../mod.ts";
import { incrementMany } from "./_targets.ts";

const raw = new Int32Array(new SharedArrayBuffer(4));
const lock = new Lock();
const rlock = new RLock();

Deno.bench({
  name: "bare CAS + store",
  group: "uncontended Lock",
  baseline: true,
}, () => {
  Atomics.compareExchange(raw, 0, 0, 1);
  Atomics.store(raw, 0, 0);
});

Deno.bench(
  { name: "Lock acquire + release", group: "uncontended Lock" },
  () => {
    lock.acquire();
    lock.release();
  },
);

Deno.bench({
  name: "Lock acquire + release",
  group: "uncontended RLock",
  baseline: true,
}, () => {
  lock.acquire();
  lock.release();
});

Deno.bench({
  name: "RLock acquire, acquire, release, release",
  group: "uncontended RLock",
}, () => {
  rlock.acquire();
  rlock.acquire();
  rlock.release();
  rlock.release();
});

const TOTAL = 4_000;

function contended(threads: number): void {
  const l = new Lock();
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const ts = Array.from(
    { length: threads },
    () =>
      new Thread({ target: incrementMany, args: [l, cell, TOTAL / threads] }),
  );
  for (const t of ts) t.start();
  for (const t of ts) t.join();
  if (cell[0] !== TOTAL) {
    throw new Error(`lost updates: ${cell[0]} != ${TOTAL}`);
  }
}

for (const n of [1, 2, 4]) {
  Deno.bench({
    name: `${n} thread${n > 1 ? "s" : ""} x ${
      TOTAL / n
    } increments (incl. thread start)`,
    group: "counter under one Lock",
    baseline: n === 1,
    n: 10,
    warmup: 1,
  }, () => contended(n));
}
