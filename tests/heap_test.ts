// The shared heap up to its maximum (8 GiB; refs are Int32 word indices):
// run in processes of their own (tests/_memory_program.ts), which give the
// gigabytes back when they exit.
import assert from "node:assert/strict";
import { Thread } from "../mod.ts";
import { runMemoryProgram } from "./_memory_program.ts";
import { allocMany } from "./_heap_fixtures.ts";
import { test } from "./_helpers.ts";
import { capacity, free, heap, heapBuffer } from "../src/_core/heap.ts";
import { BLOCK_HEADER_WORDS } from "../src/_core/layout.ts";

const GiB = 2 ** 30;

Deno.test({
  name:
    "an allocation the heap cannot grow for is a RangeError that leaves the bump pointer and the heap as they were; values stored near the top read back",
  timeout: 180_000,
}, async () => {
  const r = await runMemoryProgram("rollback");
  // Blocks of 1 GiB until none fits: the heap reaches its maximum.
  assert.equal(r.firstError, "RangeError");
  assert.ok((r.bumpEnd as number) + GiB > (r.max as number), `${r.bumpEnd}`);
  if ((r.max as number) >= 8 * GiB - 16) {
    assert.equal(r.blocks, 7);
    assert.ok((r.bumpEnd as number) > 7 * GiB, "past 2 and 4 GiB");
  }
  assert.equal(r.againError, "RangeError");
  assert.equal(r.bumpUnchanged, true, "the bump pointer did not move");
  assert.equal(r.lengthUnchanged, true, "the heap did not grow");
  assert.equal(r.farEnd, true, "words at the far end of every block");
  assert.equal(r.farValues, true, "values stored after them read back");
  assert.ok((r.farBump as number) > (r.bumpEnd as number));
  assert.equal(r.reused, true, "a freed 1 GiB block is reused");
});

Deno.test({
  name:
    "the heap holds items stored inline past 2 GiB, put by another thread, and gives every one back intact",
  timeout: 180_000,
}, async () => {
  const r = await runMemoryProgram("inlinePast2GiB");
  assert.ok((r.bumpEnd as number) > 2 * GiB, `heap used: ${r.bumpEnd}`);
  assert.ok((r.heapBytes as number) > 2 * GiB);
  assert.equal(r.intact, r.items);
  assert.equal(r.empty, true);
});

test(
  "4 threads x 400 allocations while the heap grows get blocks that never overlap",
  async () => {
    const threads = 4;
    const each = 400;
    const refs = new Int32Array(new SharedArrayBuffer(threads * each * 4));
    const length = heapBuffer().byteLength;
    const workers = Array.from(
      { length: threads },
      (_, t) =>
        new Thread({
          target: allocMany,
          args: [t + 1, each, refs, t * each],
        }),
    );
    for (const t of workers) t.start();
    for (const t of workers) assert.equal(await t.joinAsync(60_000), true);
    assert.ok(heapBuffer().byteLength > length, "the heap grew meanwhile");
    const i32 = heap().i32;
    const sorted = Array.from(refs).sort((a, b) => a - b);
    assert.equal(new Set(sorted).size, threads * each, "every ref is new");
    for (let i = 0; i < sorted.length; i++) {
      const ref = sorted[i];
      const last = ref + capacity(ref) / 4 - 1;
      assert.equal(i32[ref], ref, `first word of ${ref}`);
      assert.equal(i32[last], ref, `last word of ${ref}`);
      if (i + 1 < sorted.length) {
        assert.ok(last + BLOCK_HEADER_WORDS < sorted[i + 1], `${ref} overlaps`);
      }
    }
    for (const ref of sorted) free(ref);
  },
  90_000,
);
