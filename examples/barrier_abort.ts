// Python 3's threading_barrier_abort.py: the barrier needs one more party
// than there are workers, so main aborts it and every worker gets a
// BrokenBarrierError.
import {
  Barrier,
  BrokenBarrierError,
  currentThread,
  sleep,
  Thread,
} from "@weft/threading";

export function worker(barrier: Barrier): void {
  console.log(
    currentThread().name,
    `waiting for barrier with ${barrier.nWaiting} others`,
  );
  try {
    const workerId = barrier.wait();
    console.log(currentThread().name, "after barrier", workerId);
  } catch (error) {
    if (!(error instanceof BrokenBarrierError)) throw error;
    console.log(currentThread().name, "aborting");
  }
}

if (import.meta.main) {
  const NUM_THREADS = 3;
  const barrier = new Barrier(NUM_THREADS + 1);
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
  barrier.abort();
  for (const t of threads) t.join();
}
