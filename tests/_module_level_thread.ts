// A Thread subclass whose run() uses its module's module-level primitives.
import { Lock, SharedList, Thread } from "../mod.ts";
import { shareOf } from "../src/_core/handles.ts";

export const guard = new Lock();
export const seen = new SharedList<number>();

/** Records the block of the module-level Lock it sees, under that Lock. */
export class Recorder extends Thread {
  override run(): void {
    guard.acquire();
    try {
      seen.push(shareOf(guard)!.ref);
    } finally {
      guard.release();
    }
  }
}
