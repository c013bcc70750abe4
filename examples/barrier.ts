// Python 3's threading_barrier.py: three workers meet at a Barrier and print
// their arrival index.
import { Barrier, currentThread, sleep, Thread } from "@weft/threading";

export function worker(barrier: Barrier): void {
  console.log(
    currentThread().name,
    `waiting for barrier with ${barrier.nWaiting} others`,
  );
  const workerId = barrier.wait();
  console.log(currentThread().name, "after barrier", workerId);
}

if (import.meta.main) {
  const NUM_THREADS = 3;
  const barrier = new Barrier(NUM_THREADS);
  const threads = Array.from(
    { length: NUM_THREADS },
    (_, i) =>
      new Thread({ name: `worker-${i}`, target: worker, args: [barrier] }),
  );
  for (const t of threads) {
    console.log(t.name, "starting");
    t.start();
    sleep(100);
  }
  for (const t of threads) t.join();
}
