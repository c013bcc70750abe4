import assert from "node:assert/strict";
import { runMemoryProgram } from "./_memory_program.ts";
import { SharedValue, Thread, ThreadError } from "../mod.ts";
import { test } from "./_helpers.ts";
import { addMany } from "./_fixtures.ts";

test(
  "SharedValue.update() from 4 threads x 10,000 increments sums exactly",
  () => {
    const value = new SharedValue(0);
    const threads = Array.from(
      { length: 4 },
      () => new Thread({ target: addMany, args: [value, 10_000] }),
    );
    for (const t of threads) {
      t.start();
    }
    for (const t of threads) assert.equal(t.join(60_000), true);
    assert.equal(value.get(), 40_000);
  },
  90_000,
);

test("SharedValue holds structured-cloneable values and returns copies", () => {
  const initial = { list: [1, 2], map: new Map([["a", new Date(0)]]) };
  const value = new SharedValue(initial);
  const copy = value.get();
  assert.deepEqual(copy, initial);
  copy.list.push(3);
  assert.deepEqual(value.get().list, [1, 2]);
  value.set({ list: [], map: new Map() });
  assert.deepEqual(value.get().list, []);
  assert.deepEqual(value.update((v) => ({ ...v, list: [9] })).list, [9]);
});

test("a value larger than the capacity is a RangeError and changes nothing", () => {
  const value = new SharedValue("small", { maxBytes: 64 });
  assert.equal(value.maxBytes, 64);
  assert.throws(() => value.set("x".repeat(100)), RangeError);
  assert.throws(() => value.update(() => "y".repeat(100)), RangeError);
  assert.equal(value.get(), "small");
  assert.throws(
    () => new SharedValue("z".repeat(100), { maxBytes: 64 }),
    RangeError,
  );
});

test("if update()'s function throws, the value is unchanged and usable", () => {
  const value = new SharedValue(1);
  assert.throws(() =>
    value.update(() => {
      throw new Error("nope");
    }), /nope/);
  assert.equal(value.get(), 1);
  assert.throws(() => value.update(() => value.get()), ThreadError);
  assert.equal(value.update((v) => v + 1), 2);
});

test("SharedValue: bad arguments are TypeErrors and RangeErrors", () => {
  assert.throws(() => new SharedValue(() => 1), TypeError);
  assert.throws(() => new SharedValue(1, { maxBytes: 0 }), RangeError);
  assert.throws(() => new SharedValue(1, { maxBytes: 1.5 }), RangeError);
  assert.throws(
    () => new SharedValue(1, { maxBytes: "1" as never }),
    TypeError,
  );
  assert.throws(() => new SharedValue(1, 5 as never), TypeError);
  const value = new SharedValue<unknown>(1);
  assert.throws(() => value.set(Symbol("s")), TypeError);
  assert.throws(() => value.update(5 as never), TypeError);
  assert.equal(value.get(), 1);
});

Deno.test({
  name:
    "a SharedValue that held 50 MB, read by a thread, gives the memory back once it holds another value",
  timeout: 180_000,
}, async () => {
  // Measured on Deno 2.9.6: 2-4 MiB over the baseline after each round
  // (before: 50 MiB over it, the heap's block that held the value).
  const r = await runMemoryProgram("rssSharedValue");
  for (const after of r.after as number[]) {
    assert.ok(after < (r.baseline as number) + 20, JSON.stringify(r));
  }
});
