// threading_lock_noblock.py: acquire({ blocking: false }) while another
// thread keeps taking the lock.
import { Lock, type Lock as LockType, sleep, Thread } from "@weft/threading";
import { basicConfig } from "./_log.ts";

const logging = basicConfig("(%(threadName)-10s) %(message)s");

export function lockHolder(lock: LockType): void {
  logging.debug("Starting");
  while (true) {
    lock.acquire();
    try {
      logging.debug("Holding");
      sleep(100);
    } finally {
      logging.debug("Not holding");
      lock.release();
    }
    sleep(100);
  }
}

export function worker(lock: LockType): void {
  logging.debug("Starting");
  let numTries = 0;
  let numAcquires = 0;
  while (numAcquires < 3) {
    sleep(100);
    logging.debug("Trying to acquire");
    const haveIt = lock.acquire({ blocking: false });
    try {
      numTries += 1;
      if (haveIt) {
        logging.debug`Iteration ${numTries}: Acquired`;
        numAcquires += 1;
      } else {
        logging.debug`Iteration ${numTries}: Not acquired`;
      }
    } finally {
      if (haveIt) lock.release();
    }
  }
  logging.debug`Done after ${numTries} iterations`;
}

if (import.meta.main) {
  const lock = new Lock();

  const holder = new Thread({
    target: lockHolder,
    args: [lock],
    name: "LockHolder",
  });
  holder.daemon = true;
  holder.start();

  const w = new Thread({ target: worker, args: [lock], name: "Worker" });
  w.start();
}
