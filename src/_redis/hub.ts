// The caller's side of a Redis connection: how any thread of the process
// hands a request to the connection's I/O thread and waits for the answer.
//
// One hub per process and URL, in the heap: a block that every thread finds
// through the directory (the heap header's H_REDIS), holding the state of the
// I/O thread that owns the Redis clients for that URL (src/_redis/io.ts) and a
// ring of pending requests. A request is a block of its own: its state word,
// the message of what is asked (src/_message.ts) and, once answered, the
// message of the reply. The caller sleeps on the state word (blocking: only
// its thread, through src/_wait.ts; async: Atomics.waitAsync), so a blocking
// call never needs the caller's event loop.
//
// Exactly one side frees a request: the caller once it has read the answer,
// or, when the caller gave up first (a compare-exchange from PENDING to
// CANCELLED: an abort, or an I/O thread that stopped beating), the I/O thread
// once it is done with it, undoing what it did (a lock taken is released, an
// item taken goes back).
//
// A hub is never freed: it goes back to IDLE when its last connection closes
// and is reused by the next connect() to its URL. Each start bumps its
// generation, so a connection of an earlier start is told it is closed.
import { alloc, free, heap, wordsAt } from "../_core/heap.ts";
import { H_REDIS, H_REDIS_LOCK, INDEX_WORDS, K_RAW } from "../_core/layout.ts";
import { dropMessage, loadMessage, storeMessage } from "../_codec/message.ts";
import { ringPush } from "../_structures/ref_ring.ts";
import { count, get } from "../_structures/ref_array.ts";
import {
  lockWord,
  unlockWord,
  waitWord,
  waitWordAsync,
} from "../_core/wait.ts";
import { ConnectionError, type ErrorReply, rebuild } from "./errors.ts";

// Hub words.
export const HUB_STATE = 0;
export const HUB_OPEN = 1; // connect() calls under way or open, of this start
export const HUB_BELL = 2; // bumped for each request: the I/O thread sleeps on it
export const HUB_LOCK = 3; // mutex of the ring and of state changes
export const HUB_BEAT = 4; // bumped by a live I/O thread every BEAT_MS
export const HUB_ERROR = 5; // message ref: why the start failed
export const HUB_URL = 6; // message ref: the URL
export const HUB_GEN = 7; // bumped at each start
export const HUB_RING = 8; // INDEX_WORDS: refs of requests not yet taken
export const HUB_WORDS = HUB_RING + INDEX_WORDS;

// Hub states.
export const IDLE = 0;
export const STARTING = 1;
export const READY = 2;
export const FAILED = 3;
export const CLOSING = 4;

// Request words and states.
export const R_STATE = 0;
export const R_ARGS = 1;
export const R_REPLY = 2;
export const R_WORDS = 3;
export const PENDING = 0;
export const DONE = 1;
export const CANCELLED = 2;

/** How often a live I/O thread beats. */
export const BEAT_MS = 250;
/** A caller that sees no beat for this long gives up on the I/O thread. */
const DEAD_AFTER_MS = 5_000;
/** How often a waiting caller looks at the beat. */
const LOOK_MS = 1_000;

/** A reply: `[0, value]` or `[1, error]`. */
export type Reply = [0, unknown] | [1, ErrorReply];

/** A connection as each thread sees it: a hub of one start, and its flag. */
export interface Link {
  readonly url: string;
  readonly hub: number;
  readonly gen: number;
  /** Word 0: 1 once this connection is closed (shared by every thread). */
  readonly closed: Int32Array;
  readonly connectTimeout: number;
  /** The hub's words, in this thread. */
  readonly words: Int32Array;
}

function directory(): number {
  const h = heap().i32;
  const ref = Atomics.load(h, H_REDIS);
  if (ref !== 0) return ref;
  const made = alloc(INDEX_WORDS * 4, K_RAW);
  Atomics.store(heap().i32, H_REDIS, made);
  return made;
}

/** Runs `fn` holding the directory's lock. */
export function withDirectory<R>(fn: (dir: number) => R): R {
  lockWord(heap().i32, H_REDIS_LOCK, Infinity);
  try {
    return fn(directory());
  } finally {
    unlockWord(heap().i32, H_REDIS_LOCK);
  }
}

const urls = new Map<number, string>();

function urlOf(hub: number): string {
  let url = urls.get(hub);
  if (url === undefined) {
    url = loadMessage(heap().i32[hub + HUB_URL], false) as string;
    urls.set(hub, url);
  }
  return url;
}

/** The hub of `url` (made when there is none yet); the directory locked. */
export function hubOf(dir: number, url: string): number {
  const h = heap().i32;
  for (let i = 0; i < count(h, dir); i++) {
    const hub = get(heap().i32, dir, i);
    if (urlOf(hub) === url) return hub;
  }
  const hub = alloc(HUB_WORDS * 4, K_RAW);
  heap().i32[hub + HUB_URL] = storeMessage(url, "url", () => []);
  ringPush(heap().i32, dir, hub);
  return hub;
}

/** The hub of `url` that is running, or 0. */
export function runningHub(url: string): number {
  return withDirectory((dir) => {
    const h = heap().i32;
    for (let i = 0; i < count(h, dir); i++) {
      const hub = get(heap().i32, dir, i);
      if (urlOf(hub) === url && Atomics.load(h, hub + HUB_STATE) === READY) {
        return hub;
      }
    }
    return 0;
  });
}

/** A thread's view of the hub's words. */
export function hubWords(hub: number): Int32Array {
  return wordsAt(hub, HUB_WORDS);
}

function closedError(link: Link): ConnectionError {
  return new ConnectionError(
    `The connection to ${redacted(link.url)} is closed`,
  );
}

/** The URL without its password, for messages. */
export function redacted(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== "") u.password = "***";
    return u.href;
  } catch {
    return "(a malformed URL)";
  }
}

/** Throws ConnectionError when `link` is closed. */
export function checkOpen(link: Link): void {
  if (Atomics.load(link.closed, 0) !== 0) throw closedError(link);
}

/**
 * Hands `request` to the I/O thread; returns the request's ref.
 *
 * @throws {ConnectionError} The connection is closed.
 */
function submit(link: Link, request: object, ring = true): number {
  checkOpen(link);
  const args = storeMessage(request, "request", () => []);
  const req = alloc(R_WORDS * 4, K_RAW);
  const i32 = heap().i32;
  i32[req + R_STATE] = PENDING;
  i32[req + R_ARGS] = args;
  i32[req + R_REPLY] = 0;
  const w = link.words;
  lockWord(w, HUB_LOCK, Infinity);
  let open: boolean;
  try {
    open = w[HUB_STATE] === READY && w[HUB_GEN] === link.gen;
    if (open) ringPush(heap().i32, link.hub + HUB_RING, req);
  } finally {
    unlockWord(w, HUB_LOCK);
  }
  if (!open) {
    dropMessage(args);
    free(req);
    throw closedError(link);
  }
  if (ring) {
    Atomics.add(w, HUB_BELL, 1);
    Atomics.notify(w, HUB_BELL);
  }
  return req;
}

/** Reads the answer of a request that is DONE, and frees it. */
function finish(req: number): unknown {
  const reply = loadMessage(heap().i32[req + R_REPLY], true) as Reply;
  free(req);
  if (reply[0] === 1) throw rebuild(reply[1]);
  return reply[1];
}

/** Gives up on a request; false when it was answered meanwhile. */
function cancel(req: number): boolean {
  const i32 = heap().i32;
  if (
    Atomics.compareExchange(i32, req + R_STATE, PENDING, CANCELLED) !== PENDING
  ) return false;
  Atomics.notify(i32, req + R_STATE);
  return true;
}

/** Tracks the I/O thread's beat while a caller waits. */
class Pulse {
  #beat: number;
  #seen: number;
  constructor(readonly link: Link) {
    this.#beat = Atomics.load(link.words, HUB_BEAT);
    this.#seen = performance.now();
  }

  /** Why the I/O thread is gone, or undefined while it lives. */
  gone(): ConnectionError | undefined {
    const w = this.link.words;
    if (
      Atomics.load(w, HUB_GEN) !== this.link.gen ||
      Atomics.load(w, HUB_STATE) !== READY && Atomics.load(w, HUB_STATE) !==
          CLOSING
    ) return closedError(this.link);
    const beat = Atomics.load(w, HUB_BEAT);
    const now = performance.now();
    if (beat !== this.#beat) {
      this.#beat = beat;
      this.#seen = now;
      return undefined;
    }
    if (now - this.#seen < DEAD_AFTER_MS) return undefined;
    return new ConnectionError(
      `The Redis I/O thread of ${redacted(this.link.url)} stopped answering`,
    );
  }
}

/**
 * Sends `request` without waiting for an answer (the I/O thread reports
 * its outcome some other way, as by settling a future). Unless `ring`, the
 * I/O thread is not woken for it: it goes with the next request, or within
 * BEAT_MS (a wake-up per request costs more than the request).
 *
 * @throws {ConnectionError} The connection is closed.
 */
export function post(link: Link, request: object, ring = true): void {
  submit(link, { ...request, post: true }, ring);
}

/**
 * Sends `request` and blocks the calling thread until it is answered.
 * `timeout` (ms, Infinity: none) is the request's own: the I/O thread
 * answers by then.
 *
 * @throws {ConnectionError} Redis cannot be reached, or the connection is
 * closed.
 */
export function call(link: Link, request: object): unknown {
  const req = submit(link, request);
  const pulse = new Pulse(link);
  for (;;) {
    const i32 = heap().i32;
    if (Atomics.load(i32, req + R_STATE) === DONE) return finish(req);
    // No spinning first: an answer takes a network round trip at least.
    waitWord(i32, req + R_STATE, PENDING, performance.now() + LOOK_MS, false);
    if (Atomics.load(heap().i32, req + R_STATE) === DONE) return finish(req);
    const gone = pulse.gone();
    if (gone !== undefined && cancel(req)) throw gone;
  }
}

/**
 * Sends `request` and waits for its answer without blocking the event
 * loop. Aborting `signal` withdraws the request (the I/O thread undoes what
 * it did for it) and rejects with the signal's reason.
 *
 * @throws {ConnectionError} (rejects) Redis cannot be reached, or the
 * connection is closed.
 */
export async function callAsync(
  link: Link,
  request: object,
  signal?: AbortSignal,
): Promise<unknown> {
  signal?.throwIfAborted();
  const req = submit(link, request);
  const pulse = new Pulse(link);
  for (;;) {
    const i32 = heap().i32;
    if (Atomics.load(i32, req + R_STATE) === DONE) return finish(req);
    try {
      await waitWordAsync(
        i32,
        req + R_STATE,
        PENDING,
        performance.now() + LOOK_MS,
        signal,
      );
    } catch (reason) {
      if (cancel(req)) throw reason;
      continue;
    }
    if (Atomics.load(heap().i32, req + R_STATE) === DONE) return finish(req);
    const gone = pulse.gone();
    if (gone !== undefined && cancel(req)) throw gone;
  }
}
