// A child program for module_level_test.ts, run with --expose-gc:
// `weak` (a top-level loop's dropped primitives leave the registry),
// `function` (primitives made in a function before the first thread start
// are not registered), `main` (a primitive made in the import.meta.main
// block, passed to a thread that loads this module).
import { Event, Lock, SharedValue, Thread } from "../mod.ts";
import { namesHeld as registeredSites } from "../src/_sharing/registry.ts";

export const loads = new SharedValue(0);
loads.update((n) => n + 1);

const mode = Deno.args[0];
const before = registeredSites();
if (import.meta.main && mode === "weak") {
  for (let i = 0; i < 500; i++) new Lock();
}

/** Sets the event it was given. */
export function setIt(event: Event): void {
  event.set();
}

function makeMany(n: number): void {
  for (let i = 0; i < n; i++) new Lock();
}

if (import.meta.main) {
  const gc = (globalThis as unknown as { gc: () => void }).gc;
  if (mode === "weak") {
    const made = registeredSites() - before;
    const deadline = performance.now() + 20_000;
    while (registeredSites() - before > 0 && performance.now() < deadline) {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    console.log(`made ${made} left ${registeredSites() - before}`);
  } else if (mode === "function") {
    makeMany(2_000);
    console.log(`registered ${registeredSites() - before}`);
  } else {
    const event = new Event();
    const t = new Thread({ target: setIt, args: [event] });
    t.start();
    t.join();
    console.log(`set ${event.isSet()} loads ${loads.get()}`);
  }
}
