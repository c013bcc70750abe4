/// <reference lib="deno.worker" />
// A bare Deno web Worker, the baseline of what a worker costs: it says it
// runs, then idles until told to end.
self.postMessage(0);
self.onmessage = () => self.close();
