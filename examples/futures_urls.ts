// The ThreadPoolExecutor example of Python's concurrent.futures docs: load
// pages in worker threads, print each as it completes. The pages come from
// a local HTTP server that the example runs in a thread of its own and stops
// at the end (no network needed); the last URL fails, as in the original.
import {
  asCompleted,
  Event,
  Thread,
  ThreadPoolExecutor,
} from "@weft/threading";

const PAGES: Record<string, number> = {
  "/www.foxnews.com/": 25_817,
  "/www.cnn.com/": 11_602,
  "/europe.wsj.com/": 44_210,
  "/www.bbc.co.uk/": 31_955,
};

/** Serves PAGES on 127.0.0.1 until `stop` is set; writes its port to `port`. */
export async function servePages(port: Int32Array, stop: Event): Promise<void> {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => {
      const size = PAGES[new URL(request.url).pathname];
      if (size === undefined) {
        return new Response("Not Found", {
          status: 404,
          statusText: "Not Found",
        });
      }
      return new Response(new Uint8Array(size).fill(120));
    },
  );
  Atomics.store(port, 0, server.addr.port);
  Atomics.notify(port, 0);
  await stop.waitAsync();
  await server.shutdown();
}

/** Retrieves a single page and reports its contents (urllib's urlopen). */
export async function loadUrl(
  url: string,
  timeout: number,
): Promise<Uint8Array> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeout) });
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`HTTP Error ${response.status}: ${response.statusText}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

if (import.meta.main) {
  const port = new Int32Array(new SharedArrayBuffer(4));
  const stop = new Event();
  const server = new Thread({ target: servePages, args: [port, stop] });
  server.start();
  Atomics.wait(port, 0, 0);
  const base = `http://127.0.0.1:${port[0]}`;
  const URLS = [
    ...Object.keys(PAGES),
    "/nonexistant-subdomain.python.org/",
  ].map((path) => base + path);

  {
    // `using` ensures the threads are cleaned up promptly (Python's `with`).
    using executor = new ThreadPoolExecutor({ maxWorkers: 5 });
    // Start the load operations and mark each future with its URL.
    const futureToUrl = new Map(
      URLS.map((url) => [executor.submit(loadUrl, url, 60_000), url]),
    );
    for (const future of asCompleted(futureToUrl.keys())) {
      const url = futureToUrl.get(future);
      try {
        const data = future.result();
        console.log(`'${url}' page is ${data.length} bytes`);
      } catch (error) {
        console.log(
          `'${url}' generated an exception: ${(error as Error).message}`,
        );
      }
    }
  }
  stop.set();
  server.join();
}
