// Operations of the queues, in the I/O thread. This process is one consumer
// per queue: the items its threads took and have not marked done are
// remembered here, and its heartbeat for the queue is renewed (every third
// of the visibility) while it has any, so they are delivered again only when
// the process stops renewing it: it died or lost its connection for
// `visibility` ms. Closing the last connection gives them back at once.
import { Buffer } from "node:buffer";
import { QueueEmpty, QueueFull, QueueShutDown } from "../queue_errors.ts";
import {
  defineOperation,
  type Holding,
  type Io,
  type Op,
  ownLimits,
} from "./io.ts";
import { isConnectionFault } from "./io_redis.ts";
import { periodOf, Renewal, renewalLimits } from "./io_leases.ts";
import { untilDone } from "./io_locks.ts";
import {
  QUEUE_DONE,
  QUEUE_GET,
  QUEUE_PUT,
  QUEUE_RENEW,
  QUEUE_RETURN,
  QUEUE_SHUTDOWN,
  QUEUE_SIZE,
  QUEUE_UNPUT,
} from "./scripts_queues.ts";
import { ConnectionError } from "./errors.ts";

/** What this process has taken from one queue and not marked done. */
interface Taken extends Holding {
  key: string;
  kind: string;
  members: Set<string>;
  visibility: number;
  /** A get's reply was lost: the next renewal audits the list. */
  audit: boolean;
  renewal: Renewal | undefined;
}

const taken = new WeakMap<Io, Map<string, Taken>>();

function takenOf(io: Io, key: string, kind: string): Taken {
  let map = taken.get(io);
  if (map === undefined) taken.set(io, map = new Map());
  let t = map.get(key);
  if (t === undefined) {
    const entry: Taken = {
      key,
      kind,
      members: new Set(),
      visibility: 0,
      audit: false,
      renewal: undefined,
      giveBack: async (io: Io) => {
        entry.renewal?.stop();
        io.holdings.delete(entry);
        if (entry.members.size === 0) return;
        await io.redis.script(ownLimits(2_000), QUEUE_RETURN, [key], [
          kind,
          io.id,
          channelOf(key),
          "1",
          ...[...entry.members].map(toBytes),
        ]);
        entry.members.clear();
      },
    };
    map.set(key, t = entry);
  }
  return t;
}

/** Starts renewing the heartbeat, with the longest visibility asked for. */
function track(io: Io, t: Taken, visibility: number): void {
  if (visibility <= t.visibility && t.renewal !== undefined) return;
  t.visibility = Math.max(t.visibility, visibility);
  t.renewal?.stop();
  io.holdings.add(t);
  const period = periodOf(t.visibility);
  const renewal: Renewal = new Renewal(io, period, async () => {
    if (t.members.size === 0) {
      // Nothing held: stop until the next get.
      t.renewal = undefined;
      io.holdings.delete(t);
      return false;
    }
    const audit = t.audit ? [...t.members].map(toBytes) : [];
    const ok = await io.redis.script(renewalLimits(period), QUEUE_RENEW, [
      t.key,
    ], [t.kind, io.id, String(t.visibility), channelOf(t.key), ...audit]);
    t.audit = false;
    // Given to others meanwhile: done() still counts each once.
    if (ok !== 1) t.members.clear();
    return true;
  });
  t.renewal = renewal;
}

/** Where items that come are announced (see scripts_queues.ts). */
export const channelOf = (key: string): string => `${key}:ch`;

// Members are bytes (a priority's sort key is binary): here they are
// strings of one char per byte, so they can be compared and kept in sets.

/** A member as a string, one char per byte. */
export function fromBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString(
    "latin1",
  );
}

/** A member's bytes again, as a command argument. */
export function toBytes(member: string): Uint8Array {
  return Buffer.from(member, "latin1");
}

interface PutFields {
  key: string;
  kind: string;
  item: Uint8Array;
  sort: Uint8Array;
  maxsize: number;
  blocking: boolean;
}

defineOperation("queue.put", {
  async run(io, op) {
    const f = op.request as unknown as PutFields;
    const outcome = await untilDone<string | -1>(
      io,
      op,
      `${channelOf(f.key)}:room`,
      "gs",
      async () => {
        const r = await io.redis.script(op, QUEUE_PUT, [f.key], [
          f.kind,
          f.item,
          f.sort,
          String(f.maxsize),
          channelOf(f.key),
        ]) as number | Uint8Array;
        return r === 0
          ? { done: false, retryIn: 60_000 }
          : { done: true, value: r === -1 ? -1 : fromBytes(r as Uint8Array) };
      },
      f.blocking,
    );
    if (outcome === -1) throw new QueueShutDown();
    if (outcome === undefined) throw new QueueFull();
    return outcome;
  },
  async undo(io, op, value) {
    // Put just as its caller left: taken back (unless taken already).
    const f = op.request as unknown as PutFields;
    await io.redis.script(ownLimits(30_000), QUEUE_UNPUT, [f.key], [
      f.kind,
      toBytes(f.kind === "p" ? fromBytes(f.sort) + value : value as string),
    ]);
  },
});

interface GetFields {
  key: string;
  kind: string;
  visibility: number;
  blocking: boolean;
}

/** What a get answers: the item's member and its bytes. */
export type Got = [string, Uint8Array];

/** What one try to take an item came to (see TAKE). */
export type Taking =
  | { done: true; value: Got | -1 }
  | { done: false; retryIn: number };

/**
 * Reads TAKE's answer: an item (now this process's to renew, with the
 * visibility the script used, fourth, or `visibility`), shut down, or
 * when to try again.
 */
export function took(
  io: Io,
  key: string,
  kind: string,
  r: unknown[],
  visibility: number,
): Taking {
  if (r[0] === -1) return { done: true, value: -1 };
  if (r[0] === 0) {
    const lapse = r[1] as number;
    return { done: false, retryIn: lapse > 0 ? lapse + 1 : 60_000 };
  }
  const member = fromBytes(r[1] as Uint8Array);
  const used = (r[3] as number | undefined) ?? visibility;
  if (used > 0) {
    const t = takenOf(io, key, kind);
    t.members.add(member);
    track(io, t, used);
  }
  return { done: true, value: [member, r[2] as Uint8Array] };
}

/**
 * Runs `attempt` (a try to take an item) as the request's wait says; a
 * connection fault meanwhile makes the next renewal audit what this
 * process holds (a take may have run without its answer reaching us).
 */
export async function taking<T>(
  io: Io,
  op: Op,
  key: string,
  kind: string,
  attempt: () => Promise<
    { done: true; value: T } | { done: false; retryIn: number }
  >,
  blocking: boolean,
): Promise<T | undefined> {
  try {
    return await untilDone<T>(io, op, channelOf(key), "ps", attempt, blocking);
  } catch (error) {
    if (error instanceof ConnectionError || isConnectionFault(error)) {
      takenOf(io, key, kind).audit = true;
    }
    throw error;
  }
}

defineOperation("queue.get", {
  async run(io, op) {
    const f = op.request as unknown as GetFields;
    const outcome = await taking<Got | -1>(io, op, f.key, f.kind, async () => {
      const r = await io.redis.script(op, QUEUE_GET, [f.key], [
        f.kind,
        io.id,
        String(f.visibility),
        channelOf(f.key),
      ]) as unknown[];
      return took(io, f.key, f.kind, r, f.visibility);
    }, f.blocking);
    if (outcome === -1) throw new QueueShutDown();
    if (outcome === undefined) throw new QueueEmpty();
    return outcome;
  },
  async undo(io, op, value) {
    const f = op.request as unknown as GetFields;
    const [member] = value as Got;
    await returnItems(io, f.key, f.kind, [member], true);
  },
});

/** This process no longer renews `member` (it is done with elsewhere). */
export function forgetTaken(
  io: Io,
  key: string,
  kind: string,
  member: string,
): void {
  takenOf(io, key, kind).members.delete(member);
}

/** Ends the delivery of `members` (see QUEUE_RETURN). */
export async function returnItems(
  io: Io,
  key: string,
  kind: string,
  members: string[],
  requeue: boolean,
): Promise<void> {
  const t = takenOf(io, key, kind);
  for (const m of members) t.members.delete(m);
  await io.redis.script(ownLimits(30_000), QUEUE_RETURN, [key], [
    kind,
    io.id,
    channelOf(key),
    requeue ? "1" : "0",
    ...members.map(toBytes),
  ]);
}

defineOperation("queue.done", {
  async run(io, op) {
    const { key, kind, member } = op.request as {
      key: string;
      kind: string;
      member: string;
    };
    takenOf(io, key, kind).members.delete(member);
    return await io.redis.script(op, QUEUE_DONE, [key], [
      io.id,
      toBytes(member),
      channelOf(key),
    ]);
  },
});

defineOperation("queue.unreadable", {
  async run(io, op) {
    const { key, kind, member } = op.request as {
      key: string;
      kind: string;
      member: string;
    };
    await returnItems(io, key, kind, [member], false);
  },
});

defineOperation("queue.join", {
  async run(io, op) {
    const { key } = op.request as { key: string };
    await untilDone<true>(io, op, `${channelOf(key)}:done`, "j", async () => {
      const left = await io.redis.run(op, ["GET", `${key}:unfinished`]);
      const n = left === null ? 0 : Number(new TextDecoder().decode(
        left as Uint8Array,
      ));
      return n <= 0
        ? { done: true, value: true }
        : { done: false, retryIn: 60_000 };
    }, true);
  },
});

defineOperation("queue.shutdown", {
  async run(io, op) {
    const { key, kind, immediate } = op.request as {
      key: string;
      kind: string;
      immediate: boolean;
    };
    await io.redis.script(op, QUEUE_SHUTDOWN, [key], [
      kind,
      immediate ? "1" : "0",
      channelOf(key),
    ]);
  },
});

defineOperation("queue.size", {
  async run(io, op) {
    const { key, kind } = op.request as { key: string; kind: string };
    return await io.redis.script(op, QUEUE_SIZE, [key], [kind]);
  },
});
