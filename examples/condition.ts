// threading_condition.py: consumers wait on a Condition until the producer
// makes the resource available and notifies them all.
import { Condition, sleep, Thread } from "@weft/threading";
import { basicConfig } from "./_log.ts";

const logging = basicConfig("%(asctime)s (%(threadName)-2s) %(message)s");

export function consumer(cond: Condition): void {
  logging.debug("Starting consumer thread");
  using _ = cond.hold();
  cond.wait();
  logging.debug("Resource is available to consumer");
}

export function producer(cond: Condition): void {
  logging.debug("Starting producer thread");
  using _ = cond.hold();
  logging.debug("Making resource available");
  cond.notifyAll();
}

if (import.meta.main) {
  const condition = new Condition();
  const c1 = new Thread({ name: "c1", target: consumer, args: [condition] });
  const c2 = new Thread({ name: "c2", target: consumer, args: [condition] });
  const p = new Thread({ name: "p", target: producer, args: [condition] });

  c1.start();
  sleep(200);
  c2.start();
  sleep(200);
  p.start();
}
