// threading_local.py: a ThreadLocal's attributes are the calling thread's own.
import { Thread, ThreadLocal } from "@weft/threading";
import { basicConfig } from "./_log.ts";

const logging = basicConfig("(%(threadName)-10s) %(message)s");

export function showValue(data: ThreadLocal): void {
  if (!("value" in data)) {
    logging.debug("No value yet");
  } else {
    logging.debug`value=${data.value}`;
  }
}

export function worker(data: ThreadLocal): void {
  showValue(data);
  data.value = 1 + Math.floor(Math.random() * 100); // random.randint(1, 100)
  showValue(data);
}

if (import.meta.main) {
  const localData = new ThreadLocal();
  showValue(localData);
  localData.value = 1000;
  showValue(localData);

  for (let i = 0; i < 2; i++) {
    const t = new Thread({ target: worker, args: [localData] });
    t.start();
    t.join(); // the transcript shows the threads one after the other
  }
}
