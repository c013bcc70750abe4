// Operations of an Executor, in the I/O thread: on the submitting side, the
// futures of tasks submitted from this process, settled when their results
// are published (each future is a real Future of this library, in shared
// memory, so wait() and asCompleted() work on it in any thread); on the
// serving side, taking and finishing tasks for serve()'s workers.
import type { Buffer } from "node:buffer";
import { _futureRef, type Future } from "../future.ts";
import { markRunning, settle, stateOf } from "../_future_state.ts";
import { dropMessage, storeEncoded, storeMessage } from "../_message.ts";
import { FUTURE_CANCELLED } from "../_layout.ts";
import { foreignMessage } from "./codec.ts";
import { ConnectionError } from "./errors.ts";
import { defineOperation, type Holding, type Io, ownLimits } from "./io.ts";
import {
  channelOf,
  forgetTaken,
  fromBytes,
  getItem,
  returnItems,
  toBytes,
} from "./io_queues.ts";
import {
  EXEC_CANCEL,
  EXEC_FINISH,
  EXEC_SUBMIT,
  EXEC_TAKE,
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
    message = storeEncoded(
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
      const id = await io.redis.script(op, EXEC_SUBMIT, [key], [
        task,
        String(taskLease),
        channelOf(key),
      ]);
      if (typeof id === "number") {
        throw new ConnectionError(`The executor's queue refused the task`);
      }
      s.pending.set(fromBytes(id as Uint8Array), future);
      s.sweep ??= setInterval(() => sweep(io, s), SWEEP_MS);
    } catch (error) {
      fail(future, error);
    }
  },
});

defineOperation("exec.take", {
  run(io, op) {
    const { key } = op.request as { key: string };
    return getItem(
      io,
      op,
      { key, kind: "f", visibility: 0, blocking: true },
      EXEC_TAKE,
      [io.id, channelOf(key), resultsOf(key)],
    );
  },
  async undo(io, op, value) {
    const { key } = op.request as { key: string };
    await returnItems(io, key, "f", [(value as [string, Uint8Array])[0]], true);
  },
});

defineOperation("exec.finish", {
  async run(io, op) {
    const { key, member, outcome, resultTtl } = op.request as {
      key: string;
      member: string;
      outcome: Uint8Array;
      resultTtl: number;
    };
    forgetTaken(io, key, "f", member);
    await io.redis.script(op, EXEC_FINISH, [key], [
      io.id,
      toBytes(member),
      outcome,
      String(resultTtl),
      resultsOf(key),
    ]);
  },
});
