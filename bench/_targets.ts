// Thread targets for the benchmarks: exported, so threads find them.
import type { Lock } from "../mod.ts";

export function incrementMany(lock: Lock, cell: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    lock.acquire();
    cell[0]++;
    lock.release();
  }
}
