// threading_simpleargs.py: passing an argument to each thread.
import { Thread } from "@weft/threading";

/** thread worker function */
export function worker(num: number): void {
  console.log(`Worker: ${num}`);
}

if (import.meta.main) {
  const threads: Thread[] = [];
  for (let i = 0; i < 5; i++) {
    const t = new Thread({ target: worker, args: [i] });
    threads.push(t);
    t.start();
  }
}
