// A target module that, in threads only, imports a module the main thread
// never loads, at its top level.
import { isMainThread } from "node:worker_threads";
import type { Barrier } from "../mod.ts";
import { shareOf } from "../src/_core/handles.ts";

const late = isMainThread ? undefined : await import("./_module_level_late.ts");

/** Waits for the others, then writes the block of the late module's Lock. */
export function reportLate(out: Int32Array, index: number, all: Barrier): void {
  out[index] = shareOf(late!.lateLock)!.ref;
  all.wait();
}
