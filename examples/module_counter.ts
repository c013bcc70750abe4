// Python's module-level lock and counter, ported line by line:
//
//     lock = threading.Lock()
//     counter = 0
//     def work():
//         global counter
//         for _ in range(100_000):
//             with lock:
//                 counter += 1
//
// The Lock made at the top level is one lock in every thread, as in Python.
// The counter is data: a plain `let counter = 0` would be one per thread, so
// it becomes a SharedValue (the container type is the only change).
import { Lock, SharedValue, Thread } from "@weft/threading";

export const lock = new Lock();
export const counter = new SharedValue(0);

export function work(): void {
  for (let i = 0; i < 100_000; i++) {
    using _ = lock.hold();
    counter.set(counter.get() + 1);
  }
}

if (import.meta.main) {
  const threads = Array.from({ length: 8 }, () => new Thread({ target: work }));
  for (const t of threads) t.start();
  for (const t of threads) t.join();
  console.log(`counter = ${counter.get()}`);
}
