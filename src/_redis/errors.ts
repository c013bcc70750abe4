// The errors of the Redis entry point, and how errors cross from the I/O
// thread to the caller: by name, rebuilt here, so that the caller gets an
// instance of the class it can catch.
import { markLib } from "../_core/lib_exports.ts";
import { ThreadError } from "../errors.ts";
import { QueueEmpty, QueueFull, QueueShutDown } from "../queue_errors.ts";

/**
 * Thrown when Redis cannot be reached: the server is down or unreachable
 * and a call's retries ran out (its timeout, or the connection's
 * `connectTimeout`, whichever comes first), or the connection was closed.
 *
 * @example
 * ```ts
 * import { ConnectionError } from "@weft/threading/redis";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new ConnectionError("down").name, "ConnectionError");
 * ```
 */
export class ConnectionError extends Error {
  /**
   * Creates a ConnectionError.
   *
   * @param message What could not be reached, and why.
   * @param options Standard error options (`cause`).
   */
  constructor(message = "", options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectionError";
  }
}

/**
 * Thrown by `connect()` when the server refuses the credentials (a wrong
 * user or password in the URL, or none where the server requires one).
 *
 * @example
 * ```ts
 * import { AuthenticationError, ConnectionError } from "@weft/threading/redis";
 * import assert from "node:assert/strict";
 *
 * assert.ok(new AuthenticationError("WRONGPASS") instanceof ConnectionError);
 * ```
 */
export class AuthenticationError extends ConnectionError {
  /**
   * Creates an AuthenticationError.
   *
   * @param message The server's answer.
   * @param options Standard error options (`cause`).
   */
  constructor(message = "", options?: ErrorOptions) {
    super(message, options);
    this.name = "AuthenticationError";
  }
}

for (const cls of [ConnectionError, AuthenticationError]) {
  markLib(cls, cls.name);
}

/** An error as it crosses from the I/O thread: its class's name and text. */
export interface ErrorReply {
  error: string;
  message: string;
  /** What a TypeError about an undecodable item carries (`error.value`). */
  value?: unknown;
}

const CLASSES: Record<string, new (message: string) => Error> = {
  ConnectionError,
  AuthenticationError,
  ThreadError,
  TypeError,
  RangeError,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
};

/** The reply that stands for `error` (any class not listed is an Error). */
export function errorReply(error: unknown): ErrorReply {
  if (error instanceof Error) {
    const name = error.name in CLASSES ? error.name : "Error";
    const reply: ErrorReply = { error: name, message: error.message };
    if ("value" in error) reply.value = error.value;
    return reply;
  }
  return { error: "Error", message: String(error) };
}

/** Rebuilds the error a reply stands for, in the caller's thread. */
export function rebuild(reply: ErrorReply): Error {
  const cls = CLASSES[reply.error] ?? Error;
  const error = new cls(reply.message);
  if ("value" in reply) {
    Object.defineProperty(error, "value", {
      value: reply.value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return error;
}

/** Whether a reply is an error. */
export function isErrorReply(reply: unknown): reply is ErrorReply {
  return typeof reply === "object" && reply !== null &&
    typeof (reply as ErrorReply).error === "string" &&
    typeof (reply as ErrorReply).message === "string";
}
