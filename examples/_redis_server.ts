// The Redis examples start their own redis-server on a free port (no
// persistence) and stop it at the end; without a redis-server binary they
// say how to get one, and end.

/** Where to get redis-server, printed when it is missing. */
export const HOW_TO_GET =
  "This example needs redis-server (Redis 6.2 or later, or Valkey): " +
  "`apt-get install redis-server` (Debian, Ubuntu), `brew install redis` " +
  "(macOS), or `docker run -p 6379:6379 redis`.";

/** A redis-server this example started. */
export interface ExampleServer extends AsyncDisposable {
  url: string;
}

/**
 * Starts redis-server on a free port, or returns undefined (having said how
 * to get it) when there is none.
 */
export async function startServer(): Promise<ExampleServer | undefined> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("redis-server", {
      args: [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    console.log(HOW_TO_GET);
    return undefined;
  }
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error("redis-server did not start");
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

/** Starts `deno run -A <this module> ...args` as another process. */
export function spawnSelf(
  module: string,
  ...args: string[]
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", module, ...args],
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
}
