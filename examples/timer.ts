// threading_timer.py: t2 is cancelled before it runs; t1 runs after the main
// program is done, which waits for it (a Timer is not a daemon).
import { sleep, Timer } from "@weft/threading";
import { basicConfig } from "./_log.ts";

const logging = basicConfig("(%(threadName)-10s) %(message)s");

export function delayed(): void {
  logging.debug("worker running");
}

if (import.meta.main) {
  const t1 = new Timer(300, delayed);
  t1.name = "t1";
  const t2 = new Timer(300, delayed);
  t2.name = "t2";

  logging.debug("starting timers");
  t1.start();
  t2.start();

  logging.debug`waiting before canceling ${t2.name}`;
  sleep(200);
  logging.debug`canceling ${t2.name}`;
  t2.cancel();
  logging.debug("done");
}
