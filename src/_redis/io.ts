// The I/O thread of a hub (see src/_redis/hub.ts): a daemon thread of this
// library that owns the Redis clients of one URL in this process, takes the
// requests of every thread from the hub's ring, runs each as an operation
// (src/_redis/io_*.ts define them), and answers through shared memory.
// Operations run concurrently; one that waits sleeps in this thread's event
// loop (src/_redis/io_wait.ts), never in Redis.
//
// It also keeps what this process holds alive: it renews leases (locks,
// semaphore units), consumer heartbeats (queue items taken and not yet
// acknowledged, tasks running) for as long as the process lives, and stops
// when the last connection to its URL is closed, giving back what it held.
import { free, heap } from "../_core/heap.ts";
import { INDEX_COUNT } from "../_core/layout.ts";
import { dropMessage, loadMessage, storeMessage } from "../_codec/message.ts";
import { ringShift } from "../_structures/ref_ring.ts";
import { lockWord, unlockWord, waitWordAsync } from "../_core/wait.ts";
import { ConnectionError, errorReply } from "./errors.ts";
import {
  BEAT_MS,
  CANCELLED,
  CLOSING,
  DONE,
  FAILED,
  HUB_BEAT,
  HUB_BELL,
  HUB_ERROR,
  HUB_LOCK,
  HUB_OPEN,
  HUB_RING,
  HUB_STATE,
  hubWords,
  IDLE,
  PENDING,
  R_ARGS,
  R_REPLY,
  R_STATE,
  READY,
  type Reply,
  withDirectory,
} from "./hub.ts";
import { type Limits, RedisIO } from "./io_redis.ts";
import { Channels } from "./io_wait.ts";

/** What every request carries besides its operation's own fields. */
export interface Request {
  /** The operation's name. */
  op: string;
  /** The request's timeout in ms; absent: none. */
  t?: number;
  /** The connection's connectTimeout, in ms. */
  ct: number;
  [field: string]: unknown;
}

/** One request being served: its limits and how it ends. */
export class Op implements Limits {
  readonly deadline: number;
  readonly connectTimeout: number;
  #cancelled: Promise<void> | undefined;

  /** The request's fields (each operation reads its own). */
  readonly request: Record<string, unknown>;

  constructor(readonly req: number, request: Request) {
    this.request = request;
    this.deadline = request.t === undefined
      ? Infinity
      : performance.now() + request.t;
    this.connectTimeout = request.ct;
  }

  cancelled(): boolean {
    return Atomics.load(heap().i32, this.req + R_STATE) === CANCELLED;
  }

  /** Settles when the caller withdraws the request (or it is answered). */
  get withdrawn(): Promise<void> {
    return this.#cancelled ??= waitWordAsync(
      heap().i32,
      this.req + R_STATE,
      PENDING,
      Infinity,
    );
  }

  /** Whether the deadline has passed. */
  expired(): boolean {
    return performance.now() >= this.deadline;
  }
}

/**
 * An operation: returns the reply's value. When the caller withdrew the
 * request meanwhile, `undo(value)` takes back what it did (if it did
 * anything that stays).
 */
export interface Operation {
  run(io: Io, op: Op): Promise<unknown>;
  undo?(io: Io, op: Op, value: unknown): Promise<void>;
}

const operations = new Map<string, Operation>();

/** Declares an operation (each src/_redis/io_*.ts module does, on import). */
export function defineOperation(name: string, operation: Operation): void {
  operations.set(name, operation);
}

/** What a process holds and gives back when it closes (leases, items). */
export interface Holding {
  /** Gives it back; the connection is closing. */
  giveBack(io: Io): Promise<void>;
}

/** Limits for the I/O thread's own work (renewals, giving back). */
export function ownLimits(ms: number): Limits {
  const deadline = performance.now() + ms;
  return { deadline, connectTimeout: ms, cancelled: () => false };
}

/** The state of one I/O thread: its clients, channels and holdings. */
export class Io {
  readonly redis: RedisIO;
  readonly channels: Channels;
  /** A name for this process's holders in Redis, unique per start. */
  readonly id: string;
  readonly holdings = new Set<Holding>();
  /** The hub's words, in this thread. */
  readonly words: Int32Array;
  #serial = 0;

  constructor(readonly hub: number, url: string, connectTimeout: number) {
    this.words = hubWords(hub);
    this.redis = new RedisIO(url, connectTimeout);
    this.channels = new Channels(this.redis);
    this.id = crypto.randomUUID();
  }

  /** A token unique in this process's run. */
  token(): string {
    return `${this.id}:${++this.#serial}`;
  }
}

function answer(io: Io, op: Op, reply: Reply, value: unknown): void {
  if (op.request.post === true) {
    // Nobody waits for it: a failure of its own is printed (one of the
    // connection is what at-least-once delivery is for).
    free(op.req);
    if (reply[0] === 1 && reply[1].error !== "ConnectionError") {
      console.error(
        `Redis ${op.request.op} failed: ${reply[1].error}: ${reply[1].message}`,
      );
    }
    return;
  }
  const operation = operations.get(op.request.op as string);
  let message: number;
  try {
    message = storeMessage(reply, "reply", () => []);
  } catch (error) {
    message = storeMessage([1, errorReply(error)], "reply", () => []);
  }
  const i32 = heap().i32;
  i32[op.req + R_REPLY] = message;
  if (
    Atomics.compareExchange(i32, op.req + R_STATE, PENDING, DONE) === PENDING
  ) {
    Atomics.notify(i32, op.req + R_STATE);
    return;
  }
  // The caller gave up: take back what was done for it.
  dropMessage(message);
  free(op.req);
  if (reply[0] === 0 && operation?.undo !== undefined) {
    operation.undo(io, op, value).catch(() => {});
  }
}

/**
 * Starts serving a request; returns the promise of its end, and whether
 * nobody waits for it (a post).
 */
function serve(io: Io, req: number): { done: Promise<void>; post: boolean } {
  const i32 = heap().i32;
  const request = loadMessage(i32[req + R_ARGS], true) as Request;
  if (Atomics.load(heap().i32, req + R_STATE) === CANCELLED) {
    free(req);
    return { done: Promise.resolve(), post: false };
  }
  return { done: run(io, new Op(req, request)), post: request.post === true };
}

async function run(io: Io, op: Op): Promise<void> {
  const name = op.request.op as string;
  const operation = operations.get(name);
  try {
    if (operation === undefined) {
      throw new TypeError(`Unknown Redis operation ${name}`);
    }
    const value = await operation.run(io, op);
    answer(io, op, [0, value], value);
  } catch (error) {
    answer(io, op, [1, errorReply(error)], undefined);
  }
}

/** Serves every request waiting in the ring. */
function pump(io: Io): void {
  for (const req of takeAll(io.words, io.hub)) serve(io, req);
}

/** Takes every request waiting in the ring. */
function takeAll(w: Int32Array, hub: number): number[] {
  lockWord(w, HUB_LOCK, Infinity);
  try {
    return takeAllLocked(hub);
  } finally {
    unlockWord(w, HUB_LOCK);
  }
}

/** As {@linkcode takeAll}, the hub's lock held. */
function takeAllLocked(hub: number): number[] {
  const out: number[] = [];
  const i32 = heap().i32;
  while (i32[hub + HUB_RING + INDEX_COUNT] > 0) {
    out.push(ringShift(i32, hub + HUB_RING));
  }
  return out;
}

function setState(w: Int32Array, state: number): void {
  Atomics.store(w, HUB_STATE, state);
  Atomics.notify(w, HUB_STATE);
}

/**
 * The I/O thread's body: connects, then serves requests until the hub is
 * closed. Started by connect() as a daemon thread.
 */
export async function runRedisIO(
  hub: number,
  url: string,
  connectTimeout: number,
): Promise<void> {
  // Every operation module registers itself when loaded.
  await import("./io_ops.ts");
  const w = hubWords(hub);
  const io = new Io(hub, url, connectTimeout);
  try {
    await io.redis.start();
  } catch (error) {
    withDirectory(() => {
      heap().i32[hub + HUB_ERROR] = storeMessage(
        errorReply(error),
        "error",
        () => [],
      );
      setState(w, FAILED);
    });
    return;
  }
  setState(w, READY);
  const beat = setInterval(() => {
    Atomics.add(w, HUB_BEAT, 1);
    // Requests sent without waking this thread (see post()).
    pump(io);
  }, BEAT_MS);
  try {
    for (;;) {
      const bell = Atomics.load(w, HUB_BELL);
      pump(io);
      if (Atomics.load(w, HUB_STATE) === CLOSING) break;
      await waitWordAsync(w, HUB_BELL, bell, Infinity);
    }
    await shutdown(io, w, hub);
  } finally {
    clearInterval(beat);
  }
}

/** Gives back what the process holds, answers what is left, and ends. */
async function shutdown(io: Io, w: Int32Array, hub: number): Promise<void> {
  // What was sent without waiting before close() (a taskDone()) is done
  // first; what waits for an answer gets one as the connection closes.
  const started = takeAll(w, hub).map((req) => serve(io, req));
  await Promise.all(started.filter((s) => s.post).map((s) => s.done));
  for (const holding of [...io.holdings]) {
    try {
      await holding.giveBack(io);
    } catch {
      // Unreachable: what it held expires by its lease.
    }
  }
  await io.redis.close();
  const closed = [
    1,
    errorReply(new ConnectionError("The connection is closed")),
  ];
  // Requests that came after the last look, and those still running, fail.
  lockWord(w, HUB_LOCK, Infinity);
  try {
    for (const req of takeAllLocked(hub)) {
      const request = loadMessage(heap().i32[req + R_ARGS], true) as Request;
      if (request.post === true) {
        free(req);
        continue;
      }
      const reply = storeMessage(closed, "reply", () => []);
      const i32 = heap().i32;
      i32[req + R_REPLY] = reply;
      if (
        Atomics.compareExchange(i32, req + R_STATE, PENDING, DONE) === PENDING
      ) {
        Atomics.notify(i32, req + R_STATE);
      } else {
        dropMessage(reply);
        free(req);
      }
    }
    withDirectory(() => {
      Atomics.store(w, HUB_OPEN, 0);
      setState(w, IDLE);
    });
  } finally {
    unlockWord(w, HUB_LOCK);
  }
}
