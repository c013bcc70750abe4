// threading_subclass_args.py: a subclass keeping its own arguments in fields,
// which travel with it to the new thread.
import { Thread, type ThreadOptions } from "@weft/threading";
import { basicConfig } from "./_log.ts";

const logging = basicConfig("(%(threadName)-10s) %(message)s");

export interface MyThreadOptions extends ThreadOptions {
  kwargs?: Record<string, unknown>;
}

export class MyThreadWithArgs extends Thread {
  args: unknown[];
  kwargs: Record<string, unknown> | undefined;

  constructor({ args = [], kwargs, ...options }: MyThreadOptions = {}) {
    super(options);
    this.args = args;
    this.kwargs = kwargs;
  }

  override run(): void {
    logging.debug`running with ${this.args} and ${this.kwargs}`;
  }
}

if (import.meta.main) {
  for (let i = 0; i < 5; i++) {
    const t = new MyThreadWithArgs({ args: [i], kwargs: { a: "A", b: "B" } });
    t.start();
  }
}
