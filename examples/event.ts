// threading_event.py: one thread blocks on an Event, another polls it with a
// timeout, until the main thread sets it.
import { Event, sleep, Thread } from "@weft/threading";
import { basicConfig } from "./_log.ts";

const logging = basicConfig("(%(threadName)-10s) %(message)s");

export function waitForEvent(e: Event): void {
  logging.debug("wait_for_event starting");
  const eventIsSet = e.wait();
  logging.debug`event set: ${eventIsSet ? "True" : "False"}`;
}

export function waitForEventTimeout(e: Event, t: number): void {
  while (!e.isSet()) {
    logging.debug("wait_for_event_timeout starting");
    const eventIsSet = e.wait(t);
    logging.debug`event set: ${eventIsSet ? "True" : "False"}`;
    if (eventIsSet) {
      logging.debug("processing event");
    } else {
      logging.debug("doing other work");
    }
  }
}

if (import.meta.main) {
  const e = new Event();
  const t1 = new Thread({ name: "block", target: waitForEvent, args: [e] });
  t1.start();

  const t2 = new Thread({
    name: "non-block",
    target: waitForEventTimeout,
    args: [e, 200],
  });
  t2.start();

  logging.debug("Waiting before calling Event.set()");
  sleep(300);
  e.set();
  logging.debug("Event is set");
}
