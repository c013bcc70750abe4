// Records (src/_record.ts): every value kept in shared memory, stored inline
// in the heap, or out of line when it takes 1 MiB or more encoded. The queue,
// container and future tests check each kind's own use of them.
import assert from "node:assert/strict";
import {
  SharedList,
  SharedMap,
  SharedValue,
  Thread,
  ThreadPoolExecutor,
} from "../mod.ts";
import { test } from "./_helpers.ts";
import {
  bigResult,
  checkBigArgument,
  churnValue,
  growValue,
  heapUsed,
  isMarked,
  marked,
  MiB,
  readBigValues,
  readFuture,
} from "./_record_fixtures.ts";
import { shareOf } from "../src/_core/handles.ts";
import { capacity, heap } from "../src/_core/heap.ts";
import { VALUE_RECORD } from "../src/_core/layout.ts";

/** Payload bytes of the block holding a SharedValue's record. */
function recordBlock(value: SharedValue<unknown>): number {
  return capacity(heap().i32[shareOf(value)!.ref + VALUE_RECORD]);
}

test("a value of 1 MiB or more encoded takes a few bytes of shared memory; a smaller one is stored inline", () => {
  const value = new SharedValue<Uint8Array>(new Uint8Array(0), {
    maxBytes: 2 ** 30,
  });
  value.set(marked(MiB - 100, 1));
  assert.ok(recordBlock(value) >= MiB - 100, "inline");
  assert.equal(isMarked(value.get(), MiB - 100, 1), true);
  value.set(marked(MiB, 2));
  assert.ok(recordBlock(value) <= 32, "out of line");
  assert.equal(isMarked(value.get(), MiB, 2), true);
  value.set(marked(64 * MiB, 3));
  assert.ok(recordBlock(value) <= 32, "out of line");
  assert.equal(isMarked(value.get(), 64 * MiB, 3), true);
  assert.equal(isMarked(value.get(), 64 * MiB, 3), true, "read again");
});

test("large values in SharedValue, SharedList and SharedMap are read by several threads, updated, replaced and deleted, outside the heap", async () => {
  const used = heapUsed();
  const options = { maxBytes: 64 * MiB };
  const value = new SharedValue(marked(3 * MiB, 1), options);
  const list = new SharedList([marked(3 * MiB, 2)], options);
  const map = new SharedMap([["big", marked(3 * MiB, 3)]], options);
  const readers = Array.from({ length: 3 }, () => {
    const out = new SharedList<boolean[]>();
    const t = new Thread({
      target: readBigValues,
      args: [value, list, map, 4, out],
    });
    return { t, out };
  });
  for (const { t } of readers) t.start();
  for (const { t, out } of readers) {
    assert.equal(await t.joinAsync(30_000), true);
    assert.deepEqual(out.at(0), new Array(12).fill(true));
  }
  const grower = new Thread({ target: growValue, args: [value] });
  grower.start();
  assert.equal(await grower.joinAsync(20_000), true);
  const grown = value.get();
  assert.equal(grown.length, 4 * MiB);
  assert.equal(isMarked(grown.subarray(0, 3 * MiB), 3 * MiB, 1), true);
  list.push(marked(2 * MiB, 4));
  assert.equal(isMarked(list.shift(), 3 * MiB, 2), true);
  assert.equal(isMarked(list.at(0), 2 * MiB, 4), true);
  map.set("big", marked(2 * MiB, 5));
  assert.equal(isMarked(map.get("big"), 2 * MiB, 5), true);
  const [[key, entry]] = [...map.entries()];
  assert.equal(key, "big");
  assert.equal(isMarked(entry, 2 * MiB, 5), true);
  assert.equal(map.delete("big"), true);
  assert.equal(map.size, 0);
  value.set(new Uint8Array(1));
  assert.deepEqual(value.get(), new Uint8Array(1));
  // 19 MiB of values went by: none took a block of the heap.
  assert.ok(heapUsed() - used < 2 * MiB, `${heapUsed() - used}`);
});

test("a task's large arguments and large result cross threads outside the heap; every thread holding the future reads the result", async () => {
  const executor = new ThreadPoolExecutor({ maxWorkers: 2 });
  const used = heapUsed();
  try {
    const checks = [1, 2, 3].map((seed) =>
      executor.submit(checkBigArgument, marked(2 * MiB + seed, seed), seed)
    );
    assert.deepEqual(checks.map((f) => f.result(20_000)), [1, 2, 3]);
    const future = executor.submit(bigResult, 2 * MiB, 9);
    assert.equal(isMarked(future.result(20_000), 2 * MiB, 9), true);
    const out = new SharedList<boolean>();
    const readers = [1, 2].map(() =>
      new Thread({ target: readFuture, args: [future, 9, out] })
    );
    for (const t of readers) t.start();
    for (const t of readers) assert.equal(await t.joinAsync(20_000), true);
    assert.deepEqual(out.toArray(), [true, true]);
    const later = executor.submit(bigResult, 3 * MiB, 10);
    assert.equal(isMarked(await later.resultAsync(), 3 * MiB, 10), true);
    assert.ok(heapUsed() - used < 2 * MiB, `${heapUsed() - used}`);
  } finally {
    executor.shutdown();
  }
});

test(
  "2 threads replace a large SharedValue while 2 threads read it: every read is one of the values, intact",
  async () => {
    const value = new SharedValue<[number, Uint8Array]>([0, marked(MiB, 0)], {
      maxBytes: 4 * MiB,
    });
    const reads = new Int32Array(new SharedArrayBuffer(4));
    const threads = [true, true, false, false].map((write) =>
      new Thread({ target: churnValue, args: [value, write, 40, reads] })
    );
    for (const t of threads) t.start();
    for (const t of threads) assert.equal(await t.joinAsync(60_000), true);
    assert.equal(Atomics.load(reads, 0), 80);
  },
  90_000,
);
