// A bare node:worker_threads Worker, the baseline of what a worker costs: it
// says it runs, then idles until told to end.
import { parentPort } from "node:worker_threads";

parentPort!.postMessage(0);
parentPort!.once("message", () => parentPort!.close());
