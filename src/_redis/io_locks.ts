// Operations of Lock, RLock, Semaphore, BoundedSemaphore and Event, in the
// I/O thread. What this process holds is remembered here (any thread of the
// process may release a Lock or a Semaphore unit, as in Python; an RLock is
// its thread's) and its leases are renewed here.
import { ThreadError } from "../errors.ts";
import { defineOperation, type Holding, type Io, type Op } from "./io.ts";
import { periodOf, Renewal, renewalLimits } from "./io_leases.ts";
import type { Channel } from "./io_wait.ts";
import {
  EVENT_SET,
  LOCK_ACQUIRE,
  LOCK_RELEASE,
  LOCK_RENEW,
  SEM_ACQUIRE,
  SEM_RELEASE,
  SEM_RENEW,
  SEM_VALUE,
} from "./scripts_locks.ts";
import { ownLimits } from "./io.ts";

/** A lock held by this process (for an RLock: by one of its threads). */
interface LockHold extends Holding {
  key: string;
  token: string;
  fence: bigint;
  /** The RLock's owner thread, 0 for a Lock. */
  ident: number;
  count: number;
  lost: boolean;
  renewal: Renewal;
}

/** Semaphore units this process holds on one semaphore. */
interface UnitsHold extends Holding {
  key: string;
  tokens: string[];
  lost: number;
  renewal: Renewal;
}

const locks = new WeakMap<Io, Map<string, LockHold>>();
const units = new WeakMap<Io, Map<string, UnitsHold>>();

function locksOf(io: Io): Map<string, LockHold> {
  let map = locks.get(io);
  if (map === undefined) locks.set(io, map = new Map());
  return map;
}

function unitsOf(io: Io): Map<string, UnitsHold> {
  let map = units.get(io);
  if (map === undefined) units.set(io, map = new Map());
  return map;
}

const channelOf = (key: string): string => `${key}:ch`;
const fenceKey = (key: string): string => `${key}:fence`;

/**
 * Tries `attempt` until it succeeds, the deadline passes or the caller
 * withdraws, sleeping between tries until a message of `letters` on
 * `channel` or `retryIn` ms (what the attempt said: a lease that ends).
 * Without `blocking`, tries once.
 */
export async function untilDone<T>(
  io: Io,
  op: Op,
  channel: string,
  letters: string,
  attempt: () => Promise<
    { done: true; value: T } | { done: false; retryIn: number }
  >,
  blocking: boolean,
): Promise<T | undefined> {
  // Most calls need no wait: they try before they listen. One that must
  // wait listens, then tries again before it sleeps, so no message sent
  // between the two tries is missed.
  const first = await attempt();
  if (first.done) return first.value;
  if (!blocking || op.expired() || op.cancelled()) return undefined;
  const ch: Channel = await io.channels.join(channel, op);
  try {
    for (;;) {
      // A caller that left is not served afterwards.
      if (op.cancelled()) return undefined;
      const mark = io.channels.mark(ch, letters);
      const outcome = await attempt();
      if (outcome.done) return outcome.value;
      if (op.expired() || op.cancelled()) return undefined;
      const until = Math.min(op.deadline, performance.now() + outcome.retryIn);
      await io.channels.wait(ch, letters, mark, until, op.withdrawn);
    }
  } finally {
    io.channels.leave(ch);
  }
}

function holdLock(
  io: Io,
  key: string,
  token: string,
  fence: bigint,
  ident: number,
  lease: number,
): LockHold {
  const period = periodOf(lease);
  const hold: LockHold = {
    key,
    token,
    fence,
    ident,
    count: 1,
    lost: false,
    renewal: new Renewal(io, period, async () => {
      const ok = await io.redis.script(
        renewalLimits(period),
        LOCK_RENEW,
        [key],
        [token, String(lease)],
      );
      if (ok === 1) return true;
      hold.lost = true;
      return false;
    }),
    giveBack: async (io: Io) => {
      hold.renewal.stop();
      io.holdings.delete(hold);
      if (!hold.lost) {
        await io.redis.script(ownLimits(2_000), LOCK_RELEASE, [key], [
          token,
          "0",
          channelOf(key),
        ]);
      }
    },
  };
  io.holdings.add(hold);
  return hold;
}

function dropHold(io: Io, hold: LockHold): void {
  hold.renewal.stop();
  io.holdings.delete(hold);
  locksOf(io).delete(hold.key);
}

function lostError(what: string, lease: unknown): ThreadError {
  return new ThreadError(
    `Cannot release the ${what}: this process's lease on it was lost (it ` +
      `expired, ${lease} ms without renewal: the process paused or lost ` +
      `its connection), so another holder may have it now; nothing changed`,
  );
}

defineOperation("lock.acquire", {
  async run(io, op) {
    const { key, lease, reentrant, ident, blocking } = op.request as {
      key: string;
      lease: number;
      reentrant: boolean;
      ident: number;
      blocking: boolean;
    };
    const held = locksOf(io).get(key);
    if (reentrant && held !== undefined && held.ident === ident && !held.lost) {
      await io.redis.script(op, LOCK_ACQUIRE, [key, fenceKey(key)], [
        held.token,
        String(lease),
        "1",
      ]);
      held.count++;
      return held.fence;
    }
    const token = reentrant ? `${io.id}:t${ident}` : io.token();
    const fence = await untilDone<bigint>(
      io,
      op,
      channelOf(key),
      "r",
      async () => {
        const r = await io.redis.script(
          op,
          LOCK_ACQUIRE,
          [key, fenceKey(key)],
          [
            token,
            String(lease),
            reentrant ? "1" : "0",
          ],
        ) as [number, number];
        return r[0] === 1
          ? { done: true, value: BigInt(r[1]) }
          : { done: false, retryIn: r[1] > 0 ? r[1] + 1 : 50 };
      },
      blocking,
    );
    if (fence === undefined) return false;
    const previous = locksOf(io).get(key);
    if (previous !== undefined) dropHold(io, previous);
    locksOf(io).set(key, holdLock(io, key, token, fence, ident, lease));
    return fence;
  },
  async undo(io, op, value) {
    // Only what this request took (false: it took nothing).
    if (value === false) return;
    const { key, reentrant, ident } = op.request as {
      key: string;
      reentrant: boolean;
      ident: number;
    };
    await release(io, key, reentrant, ident, 0);
  },
});

async function release(
  io: Io,
  key: string,
  reentrant: boolean,
  ident: number,
  lease: number,
): Promise<void> {
  const hold = locksOf(io).get(key);
  const what = reentrant ? "RLock" : "Lock";
  if (hold === undefined || (reentrant && hold.ident !== ident)) {
    throw new ThreadError(
      reentrant ? "cannot release un-acquired lock" : "release unlocked lock",
    );
  }
  if (hold.lost) {
    dropHold(io, hold);
    throw lostError(what, lease);
  }
  const left = await io.redis.script(ownLimits(30_000), LOCK_RELEASE, [key], [
    hold.token,
    reentrant ? "1" : "0",
    channelOf(key),
  ]) as number;
  if (left < 0) {
    dropHold(io, hold);
    throw lostError(what, lease);
  }
  hold.count--;
  if (left === 0) dropHold(io, hold);
}

defineOperation("lock.release", {
  async run(io, op) {
    const { key, reentrant, ident, lease } = op.request as {
      key: string;
      reentrant: boolean;
      ident: number;
      lease: number;
    };
    await release(io, key, reentrant, ident, lease);
  },
});

defineOperation("lock.locked", {
  async run(io, op) {
    const { key } = op.request as { key: string };
    return await io.redis.run(op, ["EXISTS", key]) === 1;
  },
});

defineOperation("lock.fence", {
  run(io, op) {
    const { key, reentrant, ident } = op.request as {
      key: string;
      reentrant: boolean;
      ident: number;
    };
    const hold = locksOf(io).get(key);
    if (hold === undefined || hold.lost) return Promise.resolve(undefined);
    if (reentrant && hold.ident !== ident) return Promise.resolve(undefined);
    return Promise.resolve(hold.fence);
  },
});

function holdUnits(io: Io, key: string, lease: number): UnitsHold {
  const map = unitsOf(io);
  const existing = map.get(key);
  if (existing !== undefined) return existing;
  const period = periodOf(lease);
  const hold: UnitsHold = {
    key,
    tokens: [],
    lost: 0,
    renewal: new Renewal(io, period, async () => {
      if (hold.tokens.length === 0) return true;
      const tokens = [...hold.tokens];
      const r = await io.redis.script(
        renewalLimits(period),
        SEM_RENEW,
        [key],
        [String(lease), ...tokens],
      ) as number[];
      r.forEach((ok, i) => {
        if (ok !== 1) {
          const at = hold.tokens.indexOf(tokens[i]);
          if (at >= 0) {
            hold.tokens.splice(at, 1);
            hold.lost++;
          }
        }
      });
      return true;
    }),
    giveBack: async (io: Io) => {
      hold.renewal.stop();
      io.holdings.delete(hold);
      map.delete(key);
      if (hold.tokens.length > 0) {
        await io.redis.script(ownLimits(2_000), SEM_RELEASE, [key], [
          channelOf(key),
          ...hold.tokens,
        ]);
      }
    },
  };
  map.set(key, hold);
  io.holdings.add(hold);
  return hold;
}

defineOperation("sem.acquire", {
  async run(io, op) {
    const { key, lease, value, blocking } = op.request as {
      key: string;
      lease: number;
      value: number;
      blocking: boolean;
    };
    const token = io.token();
    const got = await untilDone<true>(io, op, channelOf(key), "r", async () => {
      const r = await io.redis.script(op, SEM_ACQUIRE, [key, `${key}:value`], [
        token,
        String(lease),
        String(value),
      ]) as [number, number];
      return r[0] === 1
        ? { done: true, value: true }
        : { done: false, retryIn: r[1] + 1 };
    }, blocking);
    if (got === undefined) return false;
    holdUnits(io, key, lease).tokens.push(token);
    // The unit's token: what an undo gives back (the caller sees true).
    return token;
  },
  async undo(io, op, value) {
    if (typeof value !== "string") return;
    const { key } = op.request as { key: string };
    const hold = unitsOf(io).get(key);
    const at = hold?.tokens.indexOf(value) ?? -1;
    if (at < 0) return;
    hold!.tokens.splice(at, 1);
    await io.redis.script(ownLimits(30_000), SEM_RELEASE, [key], [
      channelOf(key),
      value,
    ]);
  },
});

defineOperation("sem.release", {
  async run(io, op) {
    const { key, n, lease } = op.request as {
      key: string;
      n: number;
      lease: number;
    };
    const hold = unitsOf(io).get(key);
    const held = hold?.tokens.length ?? 0;
    if (hold === undefined || held < n) {
      const lost = hold?.lost ?? 0;
      if (hold !== undefined) hold.lost = 0;
      throw new ThreadError(
        `Cannot release ${n} unit${n === 1 ? "" : "s"} of the semaphore: ` +
          `this process holds ${held}` +
          (lost > 0
            ? ` (the leases of ${lost} expired, ${lease} ms without renewal)`
            : "") +
          ` (units are leases held by the process that acquired them)`,
      );
    }
    const tokens = hold.tokens.splice(hold.tokens.length - n, n);
    const released = await io.redis.script(op, SEM_RELEASE, [key], [
      channelOf(key),
      ...tokens,
    ]) as number;
    if (released < n) {
      throw new ThreadError(
        `Cannot release ${n} unit${n === 1 ? "" : "s"} of the semaphore: ` +
          `the leases of ${n - released} expired (${lease} ms without ` +
          `renewal), so other holders may have them now`,
      );
    }
  },
});

defineOperation("sem.value", {
  async run(io, op) {
    const { key, value } = op.request as { key: string; value: number };
    return await io.redis.script(op, SEM_VALUE, [key, `${key}:value`], [
      String(value),
    ]);
  },
});

defineOperation("event.set", {
  async run(io, op) {
    const { key } = op.request as { key: string };
    await io.redis.script(op, EVENT_SET, [key], [channelOf(key)]);
  },
});

defineOperation("event.clear", {
  async run(io, op) {
    const { key } = op.request as { key: string };
    await io.redis.run(op, ["DEL", key]);
  },
});

defineOperation("event.isSet", {
  async run(io, op) {
    const { key } = op.request as { key: string };
    return await io.redis.run(op, ["EXISTS", key]) === 1;
  },
});

defineOperation("event.wait", {
  async run(io, op) {
    const { key } = op.request as { key: string };
    const ch = await io.channels.join(channelOf(key), op);
    try {
      for (;;) {
        const mark = io.channels.mark(ch, "s");
        if (await io.redis.run(op, ["EXISTS", key]) === 1) return true;
        if (op.expired() || op.cancelled()) return false;
        await io.channels.wait(ch, "s", mark, op.deadline, op.withdrawn);
        // A set() wakes its waiters even when clear() follows at once.
        if (ch.seen("s") !== mark[0]) return true;
      }
    } finally {
      io.channels.leave(ch);
    }
  },
});

defineOperation("io.sent", {
  run(io) {
    return Promise.resolve(io.redis.sent);
  },
});
