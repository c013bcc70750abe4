// threading_lock.py: two workers increment a Counter guarded by a Lock. The
// counter's value lives in shared memory, so every thread sees one value.
import { currentThread, enumerate, Lock, sleep, Thread } from "@weft/threading";
import { basicConfig } from "./_log.ts";

const logging = basicConfig("(%(threadName)-10s) %(message)s");

export class Counter {
  lock: Lock = new Lock();
  cell: Int32Array;

  constructor(start = 0) {
    this.cell = new Int32Array(new SharedArrayBuffer(4));
    this.cell[0] = start;
  }

  get value(): number {
    return this.cell[0];
  }

  increment(): void {
    logging.debug("Waiting for lock");
    this.lock.acquire();
    try {
      logging.debug("Acquired lock");
      this.cell[0] = this.cell[0] + 1;
    } finally {
      this.lock.release();
    }
  }
}

export function worker(c: Counter): void {
  for (let i = 0; i < 2; i++) {
    const pause = Math.random();
    logging.debug`Sleeping ${pause.toFixed(2)}`;
    sleep(pause * 1000);
    c.increment();
  }
  logging.debug("Done");
}

if (import.meta.main) {
  const counter = new Counter();
  for (let i = 0; i < 2; i++) {
    const t = new Thread({ target: worker, args: [counter] });
    t.start();
  }

  logging.debug("Waiting for worker threads");
  const main = currentThread();
  for (const t of enumerate()) {
    if (t !== main) t.join();
  }
  logging.debug`Counter: ${counter.value}`;
}
