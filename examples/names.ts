// threading_names.py: every thread has a name, given or default.
import { currentThread, sleep, Thread } from "@weft/threading";

export function worker(): void {
  console.log(currentThread().name, "Starting");
  sleep(200);
  console.log(currentThread().name, "Exiting");
}

export function myService(): void {
  console.log(currentThread().name, "Starting");
  sleep(300);
  console.log(currentThread().name, "Exiting");
}

if (import.meta.main) {
  const t = new Thread({ name: "my_service", target: myService });
  const w = new Thread({ name: "worker", target: worker });
  const w2 = new Thread({ target: worker }); // use default name

  w.start();
  w2.start();
  t.start();
}
