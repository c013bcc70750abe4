// Blocking hand-offs: 2,000 round trips between the main thread and one other
// thread, through two Events (baseline) or one Condition. With free cores the
// waits spin before parking; with busy threads outnumbering the cores they
// spin only briefly.
import { Thread } from "../mod.ts";
import { conditionPingPong, eventPingPong, startJoin } from "./_workloads.ts";
import { busy } from "./_targets.ts";

startJoin(8); // warm the thread pool
const ROUNDS = 2_000;

Deno.bench({
  name: "Event",
  group: "ping-pong, free cores",
  baseline: true,
  n: 50,
}, () => {
  eventPingPong(ROUNDS);
});

Deno.bench({ name: "Condition", group: "ping-pong, free cores", n: 50 }, () => {
  conditionPingPong(ROUNDS);
});

/** Runs `fn` while as many busy threads as cores compete with it. */
function crowded(fn: () => void): void {
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const threads = Array.from(
    { length: navigator.hardwareConcurrency },
    () => new Thread({ target: busy, args: [stop] }),
  );
  for (const t of threads) t.start();
  try {
    fn();
  } finally {
    Atomics.store(stop, 0, 1);
    for (const t of threads) t.join();
  }
}

Deno.bench({
  name: "Event",
  group: "ping-pong, threads outnumber cores",
  baseline: true,
  n: 10,
}, () => {
  crowded(() => eventPingPong(ROUNDS));
});

Deno.bench({
  name: "Condition",
  group: "ping-pong, threads outnumber cores",
  n: 10,
}, () => {
  crowded(() => conditionPingPong(ROUNDS));
});
