// threading_semaphore.py: a Semaphore(2) lets at most two workers into the
// pool at once. The pool's list of names is a SharedValue, so every thread
// sees the same list.
import {
  currentThread,
  Lock,
  Semaphore,
  SharedValue,
  sleep,
  Thread,
} from "@weft/threading";
import { basicConfig } from "./_log.ts";

const logging = basicConfig("%(asctime)s (%(threadName)-2s) %(message)s");

const list = (names: string[]): string =>
  `[${names.map((n) => `'${n}'`).join(", ")}]`;

export class ActivePool {
  active: SharedValue<string[]> = new SharedValue<string[]>([]);
  lock: Lock = new Lock();

  makeActive(name: string): void {
    using _ = this.lock.hold();
    const active = this.active.update((names) => [...names, name]);
    logging.debug`Running: ${list(active)}`;
  }

  makeInactive(name: string): void {
    using _ = this.lock.hold();
    const active = this.active.update((names) =>
      names.filter((n) => n !== name)
    );
    logging.debug`Running: ${list(active)}`;
  }
}

export function worker(s: Semaphore, pool: ActivePool): void {
  logging.debug("Waiting to join the pool");
  using _ = s.hold();
  const name = currentThread().name;
  pool.makeActive(name);
  sleep(100);
  pool.makeInactive(name);
}

if (import.meta.main) {
  const pool = new ActivePool();
  const s = new Semaphore(2);
  for (let i = 0; i < 4; i++) {
    const t = new Thread({ target: worker, name: String(i), args: [s, pool] });
    t.start();
  }
}
