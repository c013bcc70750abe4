// threading_subclass.py: a Thread subclass overriding run().
import { Thread } from "@weft/threading";
import { basicConfig } from "./_log.ts";

const logging = basicConfig("(%(threadName)-10s) %(message)s");

export class MyThread extends Thread {
  override run(): void {
    logging.debug("running");
  }
}

if (import.meta.main) {
  for (let i = 0; i < 5; i++) {
    const t = new MyThread();
    t.start();
  }
}
