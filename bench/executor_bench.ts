// ThreadPoolExecutor with 4 workers. A tiny function run in another thread:
// submit().result() against a new Thread's start + join (the baseline). 10,000
// tiny tasks: map() (the baseline) against submitting all, then gathering.
// CPU-bound: primes below 400,000 in 16 tasks on 1 worker (the baseline) or
// 2; each iteration checks its result.
import type { ThreadPoolExecutor } from "../mod.ts";
import {
  executorGather,
  executorMap,
  primesExecutor,
  primesOn,
  startJoin,
  warmExecutor,
} from "./_workloads.ts";
import { square } from "./_targets.ts";

startJoin(8); // warm the thread pool
const executor: ThreadPoolExecutor = warmExecutor(4);

Deno.bench({
  name: "new Thread, start + join",
  group: "a tiny function in another thread",
  baseline: true,
}, () => {
  startJoin(1);
});

Deno.bench({
  name: "executor.submit().result()",
  group: "a tiny function in another thread",
}, () => {
  if (executor.submit(square, 3).result() !== 9) throw new Error("wrong");
});

Deno.bench({
  name: "map()",
  group: "10,000 tiny tasks",
  baseline: true,
  n: 50,
}, () => {
  executorMap(executor, 10_000);
});

Deno.bench({
  name: "submit all, then gather",
  group: "10,000 tiny tasks",
  n: 50,
}, () => {
  executorGather(executor, 10_000);
});

for (const workers of [1, 2]) {
  const pool = primesExecutor(workers);
  Deno.bench({
    name: `${workers} worker${workers > 1 ? "s" : ""}`,
    group: "primes below 400,000 in 16 tasks",
    baseline: workers === 1,
    n: 5,
    warmup: 1,
  }, () => {
    primesOn(pool, 400_000, 16);
  });
}
