// threading_names_log.py: the thread's name in every log line.
import { sleep, Thread } from "@weft/threading";
import { basicConfig } from "./_log.ts";

const logging = basicConfig("[%(levelname)s] (%(threadName)-10s) %(message)s");

export function worker(): void {
  logging.debug("Starting");
  sleep(200);
  logging.debug("Exiting");
}

export function myService(): void {
  logging.debug("Starting");
  sleep(300);
  logging.debug("Exiting");
}

if (import.meta.main) {
  const t = new Thread({ name: "my_service", target: myService });
  const w = new Thread({ name: "worker", target: worker });
  const w2 = new Thread({ target: worker }); // use default name

  w.start();
  w2.start();
  t.start();
}
