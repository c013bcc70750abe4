// Semaphore(2): 100,000 acquire+release pairs by 1 (baseline) or 4 threads,
// already started and released together; each iteration checks the semaphore
// is back to 2.
import { semaphore, startJoin } from "./_workloads.ts";

startJoin(8); // warm the thread pool

for (const n of [1, 4]) {
  Deno.bench({
    name: `${n} thread${n > 1 ? "s" : ""}`,
    group: "Semaphore(2), 100,000 acquire+release",
    baseline: n === 1,
    n: 20,
    warmup: 2,
  }, () => {
    semaphore(n, 100_000);
  });
}
