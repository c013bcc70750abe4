// The I/O thread's Redis clients (npm's official `redis` package): one for
// commands (node-redis pipelines the commands of concurrent requests on it),
// one for Pub/Sub. Waits need no blocking command: a waiting request sleeps
// in this thread until a Pub/Sub message, a timer or its cancellation wakes
// it (src/_redis/io_wait.ts), so no request ever stalls another.
//
// Connection loss: the clients reconnect by themselves with backoff; a
// command that finds the connection down retries with backoff until its
// request's deadline or `connectTimeout` after its first failure, whichever
// comes first, then fails with ConnectionError. Commands are never queued
// while offline (an offline queue would run them after their caller gave
// up).
// Imported directly, not through an import map: the entry point then works
// from a checkout, a URL and JSR alike.
// deno-lint-ignore no-import-prefix
import { createClient, ErrorReply, RESP_TYPES } from "npm:redis@5";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { AuthenticationError, ConnectionError } from "./errors.ts";
import { redacted } from "./hub.ts";

/** A command argument: text or bytes. */
export type Arg = string | Uint8Array;

/** How long a command may keep retrying, and whether its caller left. */
export interface Limits {
  /** performance.now() deadline of the request (Infinity: none). */
  readonly deadline: number;
  /** How long to retry after the first failure, in ms. */
  readonly connectTimeout: number;
  /** Whether the caller gave up (then retries stop). */
  cancelled(): boolean;
}

/**
 * A Lua script, run by its SHA1 (EVALSHA; EVAL, which loads it, when the
 * server does not have it yet). Both are sent at once, in call order.
 */
export class Script {
  readonly sha: string;
  constructor(readonly name: string, readonly source: string) {
    this.sha = createHash("sha1").update(source).digest("hex");
    scripts.push(this);
  }
}

/** Every script, loaded into the server whenever the connection is made. */
const scripts: Script[] = [];

const BYTES = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } };
const RETRY_FIRST_MS = 20;
const RETRY_MAX_MS = 1_000;

type Client = ReturnType<typeof createClient>;

/** node-redis takes text or Buffers: bytes become a Buffer over them. */
function asArg(arg: Arg): string | Buffer {
  if (typeof arg === "string" || Buffer.isBuffer(arg)) return arg;
  return Buffer.from(arg.buffer, arg.byteOffset, arg.length);
}

function isAuthFailure(error: unknown): boolean {
  // The handshake's reply may arrive wrapped: its text tells.
  return error instanceof Error &&
    /\b(WRONGPASS|NOAUTH)\b|\bAUTH\b|invalid password/.test(error.message);
}

/** Whether an error is the connection's (retry), not the command's. */
export function isConnectionFault(error: unknown): boolean {
  return !(error instanceof ErrorReply) && !(error instanceof TypeError) &&
    !(error instanceof RangeError);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

/** The clients of one URL, and their state. */
export class RedisIO {
  readonly url: string;
  #cmd: Client;
  #sub: Client;
  #started = false;
  #up = false;
  #sent = 0;
  #closing = false;
  /** Called whenever the connection comes back or goes down. */
  readonly onChange = new Set<() => void>();

  constructor(url: string, connectTimeout: number) {
    this.url = url;
    const strategy = (retries: number, cause: Error): number | Error => {
      // The first connection fails at once (connect() says why); later
      // ones retry for as long as the clients live.
      if (!this.#started || this.#closing) return cause;
      return Math.min(50 * 2 ** Math.min(retries, 6), 2_000);
    };
    this.#cmd = createClient({
      url,
      disableOfflineQueue: true,
      socket: { connectTimeout, reconnectStrategy: strategy },
    });
    this.#sub = this.#cmd.duplicate();
    // The scripts first, so that every command sent after finds them (the
    // server may be a new one after a reconnect).
    this.#cmd.on("ready", () => {
      for (const script of scripts) {
        this.#cmd.sendCommand(["SCRIPT", "LOAD", script.source]).catch(
          () => {},
        );
      }
    });
    for (const client of [this.#cmd, this.#sub]) {
      // Errors are seen by the commands that meet them; the event must
      // have a listener, or node-redis throws it.
      client.on("error", () => this.#changed());
      client.on("end", () => this.#changed());
      client.on("ready", () => this.#changed());
    }
  }

  #changed(): void {
    const up = this.#cmd.isReady && this.#sub.isReady;
    if (up === this.#up) return;
    this.#up = up;
    for (const fn of [...this.onChange]) fn();
  }

  /** Whether both clients are connected. */
  get up(): boolean {
    return this.#up;
  }

  /** The Pub/Sub client. */
  get sub(): Client {
    return this.#sub;
  }

  /**
   * Connects both clients.
   *
   * @throws {AuthenticationError} The server refused the credentials.
   * @throws {ConnectionError} The server cannot be reached.
   */
  async start(): Promise<void> {
    try {
      await this.#cmd.connect();
      // A server that wants a password it was not given says so here.
      await this.#cmd.sendCommand(["PING"]);
      await this.#sub.connect();
    } catch (error) {
      await this.close();
      if (isAuthFailure(error)) {
        throw new AuthenticationError(
          `Redis at ${redacted(this.url)} refused the credentials: ${
            describe(error)
          }`,
          { cause: error },
        );
      }
      throw new ConnectionError(
        `Cannot connect to Redis at ${redacted(this.url)}: ${describe(error)}`,
        { cause: error },
      );
    }
    this.#started = true;
    this.#changed();
  }

  /** Closes both clients (what is in flight fails). */
  async close(): Promise<void> {
    this.#closing = true;
    // Waiters wake, try again, and meet the closed connection.
    for (const fn of [...this.onChange]) fn();
    for (const client of [this.#sub, this.#cmd]) {
      try {
        if (client.isOpen) await client.close();
      } catch {
        // Closed already: nothing to do.
      }
    }
    this.#up = false;
  }

  /**
   * Runs a command, retrying connection faults within `limits`. Bulk
   * replies arrive as bytes.
   *
   * @throws {ConnectionError} Redis could not be reached in time.
   * @throws {ErrorReply} Redis refused the command.
   */
  run(limits: Limits, args: Arg[]): Promise<unknown> {
    return this.#retry(limits, () => {
      this.#sent++;
      return this.#cmd.sendCommand(args.map(asArg), BYTES);
    });
  }

  /** Commands sent so far (Pub/Sub's excluded): round trips, for benches. */
  get sent(): number {
    return this.#sent;
  }

  /**
   * Subscribes to a channel, retrying connection faults within `limits`.
   *
   * @throws {ConnectionError} Redis could not be reached in time.
   */
  subscribe(
    limits: Limits,
    channel: string,
    listener: (message: Buffer) => void,
  ): Promise<void> {
    return this.#retry(
      limits,
      () => this.#sub.subscribe(channel, listener, true),
    );
  }

  /**
   * Runs `attempt` (sent at once: callers rely on the order of commands),
   * again after a connection fault, with backoff, until the request's
   * deadline or `connectTimeout` after the first fault.
   */
  async #retry<T>(limits: Limits, attempt: () => Promise<T>): Promise<T> {
    let giveUp = Infinity;
    let pause = RETRY_FIRST_MS;
    for (;;) {
      try {
        if (this.#closing) throw new ConnectionError("closed");
        return await attempt();
      } catch (error) {
        if (this.#closing) {
          throw new ConnectionError(
            `The connection to ${redacted(this.url)} is closed`,
          );
        }
        if (!isConnectionFault(error)) throw error;
        const now = performance.now();
        if (giveUp === Infinity) giveUp = now + limits.connectTimeout;
        const limit = Math.min(giveUp, limits.deadline);
        if (now >= limit || limits.cancelled()) {
          throw new ConnectionError(
            `Cannot reach Redis at ${redacted(this.url)}: ${describe(error)}`,
            { cause: error },
          );
        }
        await this.#backoff(Math.min(pause, limit - now));
        pause = Math.min(pause * 2, RETRY_MAX_MS);
      }
    }
  }

  /** Sleeps `ms`, or until the connection comes back. */
  #backoff(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.onChange.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.onChange.add(done);
    });
  }

  /**
   * Runs a script by its SHA1, loading it when the server lacks it.
   *
   * @throws {ConnectionError} Redis could not be reached in time.
   * @throws {ErrorReply} The script failed.
   */
  async script(
    limits: Limits,
    script: Script,
    keys: Arg[],
    args: Arg[],
  ): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.run(limits, ["EVALSHA", script.sha, ...tail]);
    } catch (error) {
      if (!(error instanceof ErrorReply && /NOSCRIPT/.test(error.message))) {
        throw error;
      }
    }
    return await this.run(limits, ["EVAL", script.source, ...tail]);
  }
}
