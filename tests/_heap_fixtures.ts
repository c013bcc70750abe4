// Thread targets of tests/heap_test.ts.
import { alloc, capacity, heap } from "../src/_core/heap.ts";
import { K_RAW } from "../src/_core/layout.ts";

const MiB = 2 ** 20;

/**
 * Allocates `count` blocks of random sizes (16 bytes to 1 MiB) without
 * freeing them, so that most come from never-used memory, growing the heap;
 * marks the first and last word of each with its ref and records the refs in
 * `refs` from `first` on.
 */
export function allocMany(
  seed: number,
  count: number,
  refs: Int32Array,
  first: number,
): void {
  let s = seed;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const bytes = Math.min(MiB, (16 << (s % 17)) + (s >>> 20));
    const ref = alloc(bytes, K_RAW, false);
    const i32 = heap().i32;
    i32[ref] = ref;
    i32[ref + capacity(ref) / 4 - 1] = ref;
    refs[first + i] = ref;
  }
}
