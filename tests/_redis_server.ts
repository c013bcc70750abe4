// A real redis-server for a test file: on a random free port, without
// persistence, stopped (and restarted) on demand and killed when the test
// process ends. A file's tests are skipped only when no redis-server binary
// can be found, and they say so.
import { test as threadTest } from "./_helpers.ts";

/** Whether a redis-server binary can run here. */
export const haveRedis: boolean = (() => {
  try {
    return new Deno.Command("redis-server", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
})();

const SKIP = "no redis-server binary found (install it: apt-get install -y " +
  "redis-server; .ci/run does)";

/**
 * A test that needs a Redis server (see {@linkcode test} in _helpers.ts); it
 * is skipped, saying why, only when there is no redis-server binary.
 */
export function redisTest(
  name: string,
  fn: () => void | Promise<void>,
  timeout = 60_000,
): void {
  if (!haveRedis) {
    Deno.test({ name: `${name} (skipped: ${SKIP})`, ignore: true, fn() {} });
    return;
  }
  threadTest(name, fn, timeout);
}

if (!haveRedis) console.log(`Redis tests skipped: ${SKIP}`);

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Options of a test server. */
export interface ServerOptions {
  /** `requirepass`: AUTH on. */
  password?: string;
  /** Extra redis-server arguments. */
  args?: string[];
  /** TLS only, with the test certificates (tests/_redis_tls). */
  tls?: boolean;
}

const TLS = new URL("./_redis_tls/", import.meta.url).pathname;
/** The test CA (a client trusts it with `--cert`). */
export const TLS_CA = `${TLS}ca.crt`;

/** A running test server. */
export class RedisServer {
  readonly port: number;
  #child: Deno.ChildProcess | undefined;
  readonly #options: ServerOptions;

  constructor(port: number, options: ServerOptions) {
    this.port = port;
    this.#options = options;
  }

  /** `redis://127.0.0.1:<port>` (rediss: with TLS), with the password. */
  get url(): string {
    const auth = this.#options.password === undefined
      ? ""
      : `:${encodeURIComponent(this.#options.password)}@`;
    const scheme = this.#options.tls ? "rediss" : "redis";
    return `${scheme}://${auth}127.0.0.1:${this.port}`;
  }

  /** Starts the server (again, on the same port) and waits until it answers. */
  async start(): Promise<void> {
    const ports = this.#options.tls
      ? [
        "--port",
        "0",
        "--tls-port",
        String(this.port),
        "--tls-cert-file",
        `${TLS}server.crt`,
        "--tls-key-file",
        `${TLS}server.key`,
        "--tls-ca-cert-file",
        TLS_CA,
        "--tls-auth-clients",
        "no",
      ]
      : ["--port", String(this.port)];
    const args = [
      ...ports,
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      ...(this.#options.password === undefined
        ? []
        : ["--requirepass", this.#options.password]),
      ...(this.#options.args ?? []),
    ];
    this.#child = new Deno.Command("redis-server", {
      args,
      stdout: "null",
      stderr: "null",
    }).spawn();
    const deadline = performance.now() + 10_000;
    for (;;) {
      if (await answers(this.port, this.#options.tls ?? false)) return;
      if (performance.now() > deadline) {
        throw new Error(`redis-server on port ${this.port} did not start`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Stops the server (SIGKILL) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    this.#child = undefined;
    try {
      child.kill("SIGKILL");
    } catch {
      // Gone already.
    }
    await child.status;
  }

  /** Kills the server at once (the test process is ending). */
  killNow(): void {
    try {
      this.#child?.kill("SIGKILL");
    } catch {
      // Gone already.
    }
  }

  /**
   * Runs a raw command (RESP) on a connection of its own: writing values
   * "by hand".
   */
  async raw(...args: (string | Uint8Array)[]): Promise<string> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: this.port });
    try {
      const parts: Uint8Array[] = [];
      const enc = new TextEncoder();
      const all = this.#options.password === undefined
        ? [args]
        : [["AUTH", this.#options.password], args];
      for (const command of all) {
        parts.push(enc.encode(`*${command.length}\r\n`));
        for (const a of command) {
          const bytes = typeof a === "string" ? enc.encode(a) : a;
          parts.push(
            enc.encode(`$${bytes.length}\r\n`),
            bytes,
            enc.encode("\r\n"),
          );
        }
      }
      for (const p of parts) await conn.write(p);
      const buf = new Uint8Array(65536);
      let out = "";
      const want = all.length;
      while (
        out.split("\r\n").filter((l) => /^[+\-:$*]/.test(l)).length < want
      ) {
        const n = await conn.read(buf);
        if (n === null) break;
        out += new TextDecoder().decode(buf.subarray(0, n));
      }
      return out;
    } finally {
      conn.close();
    }
  }
}

async function answers(port: number, tls: boolean): Promise<boolean> {
  try {
    const conn = tls
      ? await Deno.connectTls({
        hostname: "127.0.0.1",
        port,
        caCerts: [await Deno.readTextFile(TLS_CA)],
      })
      : await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await conn.write(new TextEncoder().encode("PING\r\n"));
      const buf = new Uint8Array(64);
      const n = await conn.read(buf);
      const text = new TextDecoder().decode(buf.subarray(0, n ?? 0));
      // With AUTH on, PING is refused: the server answers all the same.
      return text.startsWith("+PONG") || text.startsWith("-NOAUTH");
    } finally {
      conn.close();
    }
  } catch {
    return false;
  }
}

const servers: RedisServer[] = [];
globalThis.addEventListener("unload", () => {
  for (const s of servers) s.killNow();
});

/**
 * Starts a server for this test file (killed when the process ends; tests
 * may stop and start it).
 */
export async function startRedis(
  options: ServerOptions = {},
): Promise<RedisServer> {
  const server = new RedisServer(freePort(), options);
  servers.push(server);
  await server.start();
  return server;
}

/** A prefix of keys no other test uses. */
export function freshPrefix(): string {
  return `t${crypto.randomUUID().slice(0, 8)}`;
}
