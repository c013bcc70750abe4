// threading_enumerate.py: joining every thread enumerate() lists, but main.
import { currentThread, enumerate, sleep, Thread } from "@weft/threading";
import { basicConfig } from "./_log.ts";

const logging = basicConfig("(%(threadName)-10s) %(message)s");

/** thread worker function */
export function worker(): void {
  const pause = 1 + Math.floor(Math.random() * 5); // random.randint(1, 5)
  logging.debug`sleeping ${pause}`;
  sleep(pause * 250); // quarter seconds, not seconds
  logging.debug("ending");
}

if (import.meta.main) {
  for (let i = 0; i < 3; i++) {
    const t = new Thread({ target: worker });
    t.daemon = true;
    t.start();
  }

  const main = currentThread();
  for (const t of enumerate()) {
    if (t === main) continue;
    logging.debug`joining ${t.name}`;
    t.join();
  }
}
