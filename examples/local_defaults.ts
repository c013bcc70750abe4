// threading_local_defaults.py: a ThreadLocal subclass whose constructor runs
// once in each thread, on the same object (note the id).
import { Thread, ThreadLocal } from "@weft/threading";
import { basicConfig } from "./_log.ts";
import { worker } from "./local.ts";

const logging = basicConfig("(%(threadName)-10s) %(message)s");

export class MyLocal extends ThreadLocal {
  constructor(value: number) {
    super(value);
    logging.debug`Initializing ${String(this)}`;
    this.value = value;
  }
}

if (import.meta.main) {
  const localData = new MyLocal(1000);
  logging.debug`value=${localData.value}`;

  for (let i = 0; i < 2; i++) {
    const t = new Thread({ target: worker, args: [localData] });
    t.start();
    t.join(); // the transcript shows the threads one after the other
  }
}
