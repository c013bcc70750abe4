// threading_lock_with.py: `using _ = lock.hold()` is Python's `with lock:`.
import { Lock, type Lock as LockType, Thread } from "@weft/threading";
import { basicConfig } from "./_log.ts";

const logging = basicConfig("(%(threadName)-10s) %(message)s");

export function workerWith(lock: LockType): void {
  using _ = lock.hold();
  logging.debug("Lock acquired via with");
}

export function workerNoWith(lock: LockType): void {
  lock.acquire();
  try {
    logging.debug("Lock acquired directly");
  } finally {
    lock.release();
  }
}

if (import.meta.main) {
  const lock = new Lock();
  const w = new Thread({ target: workerWith, args: [lock] });
  const nw = new Thread({ target: workerNoWith, args: [lock] });

  w.start();
  nw.start();
}
