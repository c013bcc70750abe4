// Values stored in Redis: the library's codec in its foreign form (see
// src/_codec.ts), behind a 4-byte mark ("wft" and a version), so that a
// value written by hand (or by another program) is told apart at once and
// refused with a TypeError, and nothing in it is evaluated or imported.
//
// A Redis object inside a value travels by name (src/_redis/objects.ts
// defines how); while a value is decoded here, `decodingWith` names the
// connection whose objects it rebuilds.
import { callerModules } from "../_core/call_sites.ts";
import { decode, encode, markForeign } from "../_codec/codec.ts";

const MARK = [0x77, 0x66, 0x74, 0x01];
const MARK_LENGTH = MARK.length;

let context: unknown;

/** The connection a decode under way rebuilds Redis objects for. */
export function decodingWith(): unknown {
  return context;
}

let storing = 0;

/** Whether an encode for Redis is under way (objects travel by name alone). */
export function storingInRedis(): boolean {
  return storing > 0;
}

/**
 * Encodes `value` for Redis: a new buffer of its own.
 *
 * @throws {TypeError} When it holds something that cannot leave the
 * process: a function, a local primitive, shared memory.
 */
export function toRedis(value: unknown, path: string): Uint8Array {
  storing++;
  try {
    const { bytes } = encode(value, path, callerModules, true);
    const out = new Uint8Array(MARK_LENGTH + bytes.length);
    out.set(MARK);
    out.set(bytes, MARK_LENGTH);
    return out;
  } finally {
    storing--;
  }
}

/** Whether `bytes` were written by {@linkcode toRedis}. */
export function isOurs(bytes: Uint8Array): boolean {
  return bytes.length > MARK_LENGTH && MARK.every((b, i) => bytes[i] === b);
}

function notOurs(what: string, bytes: Uint8Array): TypeError {
  const error = new TypeError(
    `Cannot read ${what}: the value in Redis was not written by ` +
      `@weft/threading (written by hand, or by another program?), so it is ` +
      `not read at all. Its bytes are in error.value.`,
  );
  Object.defineProperty(error, "value", {
    value: bytes,
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return error;
}

/**
 * The codec's message in `bytes`, marked foreign: a copy, for the I/O
 * thread to hand on (a future's outcome).
 *
 * @throws {TypeError} When the value is not ours.
 */
export function foreignMessage(bytes: Uint8Array, what: string): Uint8Array {
  if (!isOurs(bytes)) throw notOurs(what, bytes);
  const message = bytes.slice(MARK_LENGTH);
  markForeign(message);
  return message;
}

/**
 * Decodes a value read from Redis, rebuilding Redis objects on
 * `connection`. With `carry`, a value that cannot be rebuilt (a class this
 * process has not loaded) throws a TypeError whose `value` is its data:
 * instances as plain objects of their fields.
 *
 * @throws {TypeError} The value is not ours, is damaged, or holds an
 * instance of a class this thread has not loaded.
 */
export function fromRedis(
  bytes: Uint8Array,
  what: string,
  connection: unknown,
  carry = false,
): unknown {
  const message = foreignMessage(bytes, what);
  const outer = context;
  context = connection;
  try {
    try {
      return decode(message);
    } catch (error) {
      // One that cannot be rebuilt carries its data already (instances as
      // plain objects); a damaged one, its bytes.
      if (!carry || !(error instanceof TypeError) || "value" in error) {
        throw error;
      }
      Object.defineProperty(error, "value", {
        value: bytes,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      throw error;
    }
  } finally {
    context = outer;
  }
}
