// SharedMap, SharedList and constructing primitives. Each group's baseline
// is the plain JavaScript way, in one thread; the shared containers keep
// their items in shared memory, encoded, each call atomic across threads.
// update() from 4 threads at once checks its total exactly.
import { Lock, SharedList, SharedMap } from "../mod.ts";
import { sharedMapUpdates, startJoin } from "./_workloads.ts";

startJoin(8); // warm the thread pool (and end main's module-level window)

const keys = Array.from({ length: 100 }, (_, i) => `user:${i}`);
const plainMap = new Map<string, number>();
const map = new SharedMap<string, number>();
let i = 0;

Deno.bench({ name: "Map set + get", group: "map", baseline: true }, () => {
  const key = keys[i++ % 100];
  plainMap.set(key, i);
  if (plainMap.get(key) !== i) throw new Error("wrong value");
});

Deno.bench({ name: "SharedMap set + get", group: "map" }, () => {
  const key = keys[i++ % 100];
  map.set(key, i);
  if (map.get(key) !== i) throw new Error("wrong value");
});

const plainList = [1, 2, 3];
const list = new SharedList([1, 2, 3]);

Deno.bench(
  { name: "Array push + pop", group: "list", baseline: true },
  () => {
    plainList.push(i);
    if (plainList.pop() !== i) throw new Error("wrong item");
  },
);

Deno.bench({ name: "SharedList push + pop", group: "list" }, () => {
  list.push(i);
  if (list.pop() !== i) throw new Error("wrong item");
});

Deno.bench({
  name: "new Int32Array(new SharedArrayBuffer(12))",
  group: "construct",
  baseline: true,
}, () => {
  new Int32Array(new SharedArrayBuffer(12));
});

Deno.bench({ name: "new Lock() in a function", group: "construct" }, () => {
  new Lock();
});

Deno.bench({
  name: "4 threads x 2,500 SharedMap update(), exact",
  group: "update",
  baseline: true,
}, () => {
  sharedMapUpdates(4, 2_500);
});
