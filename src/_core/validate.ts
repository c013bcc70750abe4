// Argument checks shared by every blocking call. They return plain numbers so
// the uncontended paths stay allocation-free.
import { TIMEOUT_MAX } from "../timeout.ts";

export { TIMEOUT_MAX };

/** Options of every blocking acquire. */
export interface AcquireOptions {
  /** `false` tries once and returns at once (default `true`). */
  blocking?: boolean;
  /** How long to wait at most, in milliseconds (default: forever). */
  timeout?: number;
}

/** Options of every asynchronous acquire. */
export interface AsyncAcquireOptions extends AcquireOptions {
  /** Aborting it rejects the pending call with the signal's reason. */
  signal?: AbortSignal;
}

/** Checks that `value` is a number (not NaN): a TypeError otherwise. */
export function checkNumber(value: unknown, what: string): number {
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(
      `${what} must be a number, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** Checks an integer argument from `min` to `max`. */
export function checkInteger(
  value: unknown,
  what: string,
  min: number,
  max = 0x7fffffff,
): number {
  checkNumber(value, what);
  if (
    !Number.isInteger(value) || (value as number) < min ||
    (value as number) > max
  ) {
    throw new RangeError(
      `${what} must be an integer from ${min} to ${max}, got ${value}`,
    );
  }
  return value as number;
}

/** Checks that optional options are an object. */
export function checkOptions<T>(options: T): T {
  if (
    options !== undefined && (typeof options !== "object" || options === null)
  ) {
    throw new TypeError(
      `options must be an object, got ${describeValue(options)}`,
    );
  }
  return options;
}

/** Names a value's type for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "number" && Number.isNaN(value)) return "NaN";
  if (typeof value === "object") {
    return value.constructor?.name ?? "an object";
  }
  return typeof value === "string" ? `string "${value}"` : typeof value;
}

function checkMax(timeout: number): number {
  if (timeout > TIMEOUT_MAX) {
    throw new RangeError(
      `timeout value is too large: ${timeout} (TIMEOUT_MAX is ${TIMEOUT_MAX} ms)`,
    );
  }
  return timeout;
}

/**
 * A timeout where a negative value is an error (lock acquire, queue put/get).
 * Returns Infinity for "forever".
 */
export function strictTimeout(timeout: unknown): number {
  if (timeout === undefined) return Infinity;
  const t = checkNumber(timeout, "timeout");
  if (t < 0) {
    throw new RangeError(
      `timeout value must be a non-negative number, got ${t}`,
    );
  }
  return checkMax(t);
}

/**
 * A timeout where a negative value means "do not wait" (Event.wait,
 * Condition.wait, join...). Returns Infinity for "forever".
 */
export function lenientTimeout(timeout: unknown): number {
  if (timeout === undefined) return Infinity;
  const t = checkMax(checkNumber(timeout, "timeout"));
  return t < 0 ? 0 : t;
}

/**
 * Reads `{ blocking, timeout }` as one timeout in ms: 0 tries once, Infinity
 * waits forever.
 */
export function acquireTimeout(
  options: AcquireOptions | undefined,
  lenient = false,
): number {
  checkOptions(options);
  if (options === undefined) return Infinity;
  const blocking = options.blocking ?? true;
  if (typeof blocking !== "boolean") {
    throw new TypeError(
      `blocking must be a boolean, got ${describeValue(blocking)}`,
    );
  }
  if (options.timeout === undefined) return blocking ? Infinity : 0;
  if (!blocking) {
    throw new TypeError("Cannot specify a timeout for a non-blocking call");
  }
  return lenient
    ? lenientTimeout(options.timeout)
    : strictTimeout(options.timeout);
}

/** Checks an optional AbortSignal. */
export function checkSignal(signal: unknown): AbortSignal | undefined {
  if (signal === undefined || signal instanceof AbortSignal) return signal;
  throw new TypeError(
    `signal must be an AbortSignal, got ${describeValue(signal)}`,
  );
}

/**
 * An async wait's `signal`, checked; when it is aborted already, its reason
 * is thrown.
 *
 * @throws {TypeError} When it is not an AbortSignal.
 */
export function liveSignal(signal: unknown): AbortSignal | undefined {
  const checked = checkSignal(signal);
  checked?.throwIfAborted();
  return checked;
}

/** A monotonic deadline for a timeout in ms (Infinity stays Infinity). */
export function deadlineOf(timeout: number): number {
  return timeout === Infinity ? Infinity : performance.now() + timeout;
}
