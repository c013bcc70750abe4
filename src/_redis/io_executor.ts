// Operations of an Executor, in the I/O thread: on the submitting side, the
// futures of tasks submitted from this process, settled when their results
// are published (each future is a real Future of this library, in shared
// memory, so wait() and asCompleted() work on it in any thread); on the
// serving side, taking and finishing tasks for serve()'s workers.
import type { Buffer } from "node:buffer";
import { _futureRef, type Future } from "../future.ts";
import { markRunning, settle, stateOf } from "../_futures/future_state.ts";
import { dropMessage, storeBytes, storeMessage } from "../_codec/message.ts";
import { FUTURE_CANCELLED } from "../_core/layout.ts";
import { foreignMessage } from "./codec.ts";
import { ConnectionError } from "./errors.ts";
import {
  defineOperation,
  type Holding,
  type Io,
  type Op,
  ownLimits,
} from "./io.ts";
import {
  channelOf,
  forgetTaken,
  type Got,
  returnItems,
  taking,
  toBytes,
  took,
} from "./io_queues.ts";
import type { Arg } from "./io_redis.ts";
import {
  EXEC_CANCEL,
  EXEC_FINISH,
  EXEC_NEXT,
  EXEC_SUBMIT,
} from "./scripts_executor.ts";

/** The first byte of an outcome: the task returned, or threw. */
export const RETURNED = 0x6f;
export const THREW = 0x66;

const SWEEP_MS = 200;

export const resultsOf = (key: string): string => `${key}:results`;

/** This process's tasks of one executor, waiting for their results. */
interface Submitted extends Holding {
  key: string;
  pending: Map<string, Future<unknown>>;
  /** The subscription to the results, once made (undefined: to make). */
  listening: Promise<void> | undefined;
  listener: (message: Buffer) => void;
  sweep: ReturnType<typeof setInterval> | undefined;
}

const executors = new WeakMap<Io, Map<string, Submitted>>();

/** Settles `future` with an outcome as published (or stored). */
function settleWith(future: Future<unknown>, outcome: Uint8Array): void {
  const threw = outcome[0] !== RETURNED;
  let message: number;
  let failed = threw;
  try {
    message = storeBytes(
      foreignMessage(outcome.subarray(1), "the task's result"),
    );
  } catch (error) {
    message = storeMessage(error, "error", () => []);
    failed = true;
  }
  if (!settle(_futureRef(future), message, failed)) dropMessage(message);
}

function fail(future: Future<unknown>, error: unknown): void {
  const message = storeMessage(error, "error", () => []);
  if (!settle(_futureRef(future), message, true)) dropMessage(message);
}

function submittedOf(io: Io, key: string): Submitted {
  let map = executors.get(io);
  if (map === undefined) executors.set(io, map = new Map());
  let s = map.get(key);
  if (s !== undefined) return s;
  const entry: Submitted = {
    key,
    pending: new Map(),
    listening: undefined,
    listener: (message: Buffer) => {
      const id = message.subarray(1, 17).toString("latin1");
      const future = entry.pending.get(id);
      if (future === undefined) return;
      if (message[0] === 0x72) {
        markRunning(_futureRef(future));
        return;
      }
      entry.pending.delete(id);
      settleWith(future, message.subarray(17));
    },
    sweep: undefined,
    giveBack: (io: Io) => {
      if (entry.sweep !== undefined) clearInterval(entry.sweep);
      io.holdings.delete(entry);
      const error = new ConnectionError(
        "The connection was closed before the task's result arrived",
      );
      for (const future of entry.pending.values()) fail(future, error);
      entry.pending.clear();
      return Promise.resolve();
    },
  };
  // Results published while the connection was down are read back.
  io.redis.onChange.add(() => {
    if (io.redis.up) fetchMissed(io, entry);
  });
  io.holdings.add(entry);
  map.set(key, s = entry);
  return s;
}

async function fetchMissed(io: Io, s: Submitted): Promise<void> {
  for (const [id, future] of [...s.pending]) {
    try {
      const stored = await io.redis.run(ownLimits(5_000), [
        "GET",
        `${s.key}:result:${id}`,
      ]);
      if (stored !== null && s.pending.delete(id)) {
        settleWith(future, stored as Uint8Array);
      }
    } catch {
      // Down again: the next reconnection looks again.
    }
  }
}

/** A task id: 16 random hex digits (a collision: about 2^-32 in 2^16 tasks). */
function taskId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  let id = "";
  for (const b of bytes) id += b.toString(16).padStart(2, "0");
  return id;
}

/** Withdraws the tasks whose futures were cancelled before they started. */
function sweep(io: Io, s: Submitted): void {
  for (const [id, future] of s.pending) {
    if (stateOf(_futureRef(future)) !== FUTURE_CANCELLED) continue;
    s.pending.delete(id);
    io.redis.script(ownLimits(5_000), EXEC_CANCEL, [s.key], [id]).catch(
      () => {},
    );
  }
  if (s.pending.size === 0 && s.sweep !== undefined) {
    clearInterval(s.sweep);
    s.sweep = undefined;
  }
}

/** Tasks submitted in the same turn of this thread, sent as one script. */
interface Batch {
  ids: string[];
  tasks: Uint8Array[];
  done: Promise<void>;
}

const batches = new WeakMap<Submitted, Batch>();

/**
 * Adds a task to this turn's batch of its executor (the first one of the
 * turn sends the batch once the turn's other requests are in): a loop of
 * submit() calls costs one round trip, not one each.
 */
function enqueue(
  io: Io,
  op: Op,
  s: Submitted,
  id: string,
  task: Uint8Array,
  taskLease: number,
): Promise<void> {
  let batch = batches.get(s);
  if (batch === undefined) {
    const fresh: Batch = { ids: [], tasks: [], done: Promise.resolve() };
    // After the microtasks queued now: the other submits of this turn.
    fresh.done = Promise.resolve().then(() => {
      batches.delete(s);
      const args: Arg[] = [String(taskLease), channelOf(s.key)];
      fresh.ids.forEach((id, i) => args.push(id, fresh.tasks[i]));
      return io.redis.script(op, EXEC_SUBMIT, [s.key], args).then(() => {});
    });
    batches.set(s, batch = fresh);
  }
  batch.ids.push(id);
  batch.tasks.push(task);
  return batch.done;
}

defineOperation("exec.submit", {
  async run(io, op) {
    const { key, task, future, taskLease } = op.request as {
      key: string;
      task: Uint8Array;
      future: Future<unknown>;
      taskLease: number;
    };
    try {
      const s = submittedOf(io, key);
      // Listening first: a result published before would be missed.
      s.listening ??= io.redis.subscribe(op, resultsOf(key), s.listener)
        .catch((error) => {
          s.listening = undefined;
          throw error;
        });
      await s.listening;
      // Waiting before the task is: its result may come before the
      // script's answer does.
      const id = taskId();
      s.pending.set(id, future);
      s.sweep ??= setInterval(() => sweep(io, s), SWEEP_MS);
      try {
        await enqueue(io, op, s, id, task, taskLease);
      } catch (error) {
        s.pending.delete(id);
        throw error;
      }
    } catch (error) {
      fail(future, error);
    }
  },
});

/** Serve ids stopped in this process: their workers' next() answers null. */
const stopped = new WeakMap<Io, Set<string>>();

function stoppedOf(io: Io): Set<string> {
  let set = stopped.get(io);
  if (set === undefined) stopped.set(io, set = new Set());
  return set;
}

interface NextFields {
  key: string;
  /** The serve() this worker belongs to. */
  serve: string;
  /** The task it just ran: its member, outcome and resultTtl. */
  finished?: [string, Uint8Array, number];
}

defineOperation("exec.next", {
  async run(io, op) {
    const { key, serve, finished } = op.request as unknown as NextFields;
    let finish: Arg[] = [];
    if (finished !== undefined) {
      forgetTaken(io, key, "f", finished[0]);
      finish = [toBytes(finished[0]), finished[1], String(finished[2])];
    }
    const outcome = await taking<Got | -1 | null>(
      io,
      op,
      key,
      "f",
      async () => {
        const pending = finish;
        finish = [];
        if (stoppedOf(io).has(serve)) {
          if (pending.length > 0) {
            await io.redis.script(op, EXEC_FINISH, [key], [
              io.id,
              pending[0],
              pending[1],
              pending[2],
              resultsOf(key),
            ]);
          }
          return { done: true, value: null };
        }
        const r = await io.redis.script(op, EXEC_NEXT, [key], [
          io.id,
          channelOf(key),
          resultsOf(key),
          ...pending,
        ]) as unknown[];
        return took(io, key, "f", r, 0);
      },
      true,
    );
    // An executor's queue is never shut down: -1 cannot come.
    return outcome === -1 ? null : outcome ?? null;
  },
  async undo(io, op, value) {
    if (value === null) return;
    const { key } = op.request as { key: string };
    await returnItems(io, key, "f", [(value as Got)[0]], true);
  },
});

defineOperation("exec.stop", {
  run(io, op) {
    const { key, serve } = op.request as { key: string; serve: string };
    stoppedOf(io).add(serve);
    // Its workers waiting for a task look again, and stop.
    io.channels.poke(channelOf(key), "s");
    return Promise.resolve();
  },
});
