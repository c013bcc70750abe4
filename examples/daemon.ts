// threading_daemon.py: the program exits without waiting for the daemon.
import { sleep, Thread } from "@weft/threading";
import { basicConfig } from "./_log.ts";

const logging = basicConfig("(%(threadName)-10s) %(message)s");

export function daemon(): void {
  logging.debug("Starting");
  sleep(200);
  logging.debug("Exiting");
}

export function nonDaemon(): void {
  logging.debug("Starting");
  logging.debug("Exiting");
}

if (import.meta.main) {
  const d = new Thread({ name: "daemon", target: daemon });
  d.daemon = true;

  const t = new Thread({ name: "non-daemon", target: nonDaemon });

  d.start();
  t.start();
}
