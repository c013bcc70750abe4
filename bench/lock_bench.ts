// Lock and RLock. Uncontended: one acquire+release per iteration, against a
// bare compare-exchange + store on shared memory. Contended: 100,000
// increments of a counter under one Lock shared by 1, 2 or 4 threads (already
// started and released together); each iteration checks the count is exact.
import { Lock, RLock } from "../mod.ts";
import { counter, startJoin } from "./_workloads.ts";

const raw = new Int32Array(new SharedArrayBuffer(4));
const lock = new Lock();
const rlock = new RLock();
startJoin(8); // warm the thread pool

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

for (const n of [1, 2, 4]) {
  Deno.bench({
    name: `${n} thread${n > 1 ? "s" : ""}`,
    group: "counter under one Lock, 100,000 increments",
    baseline: n === 1,
    n: 20,
    warmup: 2,
  }, () => {
    counter(n, 100_000);
  });
}
