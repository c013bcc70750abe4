/**
 * {@linkcode TIMEOUT_MAX}: the largest timeout any wait of this module takes.
 *
 * @module
 */

/**
 * The largest timeout accepted anywhere, in milliseconds: setTimeout's own
 * limit (Python's `threading.TIMEOUT_MAX`, in milliseconds). A larger one, or
 * Infinity, is a RangeError; omit the timeout to wait forever.
 *
 * @example
 * ```ts
 * import { Event, TIMEOUT_MAX } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => new Event().wait(TIMEOUT_MAX + 1), RangeError);
 * ```
 */
export const TIMEOUT_MAX = 2_147_483_647;
