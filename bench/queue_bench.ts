// Queue. One thread: a put+get pair of an int or a small object, against an
// array's push+shift (the baseline). Across threads: 20,000 ints through a
// Queue(64), from 1 producer to 1 consumer (the baseline) or 4 to 4; each
// iteration checks that every item arrived.
import { Queue } from "../mod.ts";
import { pipeline, startJoin } from "./_workloads.ts";

startJoin(8); // warm the thread pool

const SMALL = { id: 1, name: "alice", tags: [1, 2, 3] };
const array: unknown[] = [];
const queue = new Queue();

Deno.bench({
  name: "array push + shift, an int",
  group: "put + get, one thread",
  baseline: true,
}, () => {
  array.push(42);
  if (array.shift() !== 42) throw new Error("wrong item");
});

Deno.bench(
  { name: "Queue put + get, an int", group: "put + get, one thread" },
  () => {
    queue.put(42);
    if (queue.get() !== 42) throw new Error("wrong item");
  },
);

Deno.bench({
  name: "Queue put + get, {id, name, tags}",
  group: "put + get, one thread",
}, () => {
  queue.put(SMALL);
  if ((queue.get() as typeof SMALL).id !== 1) throw new Error("wrong item");
});

for (const n of [1, 4]) {
  Deno.bench({
    name: `${n} → ${n}`,
    group: "20,000 ints through a Queue(64)",
    baseline: n === 1,
    n: 20,
    warmup: 2,
  }, () => {
    pipeline(n, n, 64, 20_000, false);
  });
}
