// A bare worker for the memory baseline: it says it runs, then blocks.
import { workerData } from "node:worker_threads";

const flag = workerData as Int32Array;
Atomics.add(flag, 1, 1);
Atomics.notify(flag, 1);
Atomics.wait(flag, 0, 0);
