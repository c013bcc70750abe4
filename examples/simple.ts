// threading_simple.py: five threads, each printing "Worker".
import { Thread } from "@weft/threading";

/** thread worker function */
export function worker(): void {
  console.log("Worker");
}

if (import.meta.main) {
  const threads: Thread[] = [];
  for (let i = 0; i < 5; i++) {
    const t = new Thread({ target: worker });
    threads.push(t);
    t.start();
  }
}
