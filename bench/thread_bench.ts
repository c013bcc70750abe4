// Thread start + join of a thread that does nothing: warm (a parked worker is
// reused, the baseline) and cold (a new worker every time).
import { setThreadPoolSize } from "../mod.ts";
import { startJoin } from "./_workloads.ts";

startJoin(8); // warm the thread pool

Deno.bench({
  name: "warm (reused worker)",
  group: "thread start + join",
  baseline: true,
}, () => {
  startJoin(1);
});

Deno.bench({
  name: "cold (new worker)",
  group: "thread start + join",
  n: 20,
  warmup: 1,
}, () => {
  setThreadPoolSize(0);
  try {
    startJoin(1);
  } finally {
    setThreadPoolSize(8);
  }
});
