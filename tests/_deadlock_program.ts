// A child program for deadlock_test.ts: `report` (two threads deadlock in
// report mode, then one gives up) or `inversion` (two orders, no deadlock).
import { Event, Lock, setDeadlockDetection, Thread } from "../mod.ts";
import { inOrder, takeBoth } from "./_deadlock_fixtures.ts";

if (import.meta.main) {
  const mode = Deno.args[0];
  setDeadlockDetection("report");
  const a = new Lock();
  const b = new Lock();
  if (mode === "report") {
    const out = new Int32Array(new SharedArrayBuffer(4));
    const took = new Event();
    // The thread takes b, then waits for a (which main holds) for 2 s.
    a.acquire();
    const t = new Thread({ target: takeBoth, args: [b, a, took, 2_000, out] });
    t.start();
    took.wait();
    // Main now waits for b: the cycle is reported, and waiting goes on
    // until the thread gives up and lets b go.
    b.acquire();
    b.release();
    a.release();
    t.join();
    console.log(`thread outcome ${out[0]}`);
  } else {
    inOrder(a, b);
    const t = new Thread({ target: inOrder, args: [b, a] });
    t.start();
    t.join();
    console.log("no deadlock");
  }
}
