// How a request waits in the I/O thread: on a Pub/Sub channel of the object
// it waits for (every script that changes an object publishes a one-letter
// message there: "r" a lock released, "p" an item put...), on a timer, and on
// its caller withdrawing it.
//
// No wakeup is lost: a waiter subscribes first, notes how many messages of
// each letter the channel has seen, tries its operation, and sleeps only if
// no message of its letters came since the note. A message may also wake it
// for nothing (another process took the item first): it tries again. When
// the connection goes down or comes back, every waiter wakes and tries again
// (its command then retries or fails as src/_redis/io_redis.ts says), since
// messages sent meanwhile are lost.
import type { Buffer } from "node:buffer";
import type { Limits, RedisIO } from "./io_redis.ts";

/** A channel this thread listens to. */
export class Channel {
  readonly counts = new Map<string, number>();
  readonly waiters = new Set<Waiter>();
  users = 0;
  ready: Promise<void> | undefined;
  linger: ReturnType<typeof setTimeout> | undefined;
  constructor(readonly name: string) {}

  /** How many messages of `letter` came so far. */
  seen(letter: string): number {
    return this.counts.get(letter) ?? 0;
  }
}

interface Waiter {
  letters: string;
  wake(): void;
}

/** A snapshot of a channel's counts, for {@linkcode Channels.wait}. */
export type Mark = number[];

/** How long a channel nobody waits on stays subscribed. */
const LINGER_MS = 10_000;

/** The channels of one connection. */
export class Channels {
  readonly #io: RedisIO;
  readonly #channels = new Map<string, Channel>();
  /** Waiters of every channel, woken when the connection changes. */
  readonly #all = new Set<Waiter>();

  constructor(io: RedisIO) {
    this.#io = io;
    io.onChange.add(() => {
      for (const w of [...this.#all]) w.wake();
    });
  }

  /**
   * Subscribes to `name` (once; retrying within `limits`) and counts a user
   * until `leave()`.
   */
  async join(name: string, limits: Limits): Promise<Channel> {
    let ch = this.#channels.get(name);
    if (ch === undefined) {
      ch = new Channel(name);
      this.#channels.set(name, ch);
    }
    ch.users++;
    if (ch.linger !== undefined) {
      clearTimeout(ch.linger);
      ch.linger = undefined;
    }
    const target = ch;
    ch.ready ??= this.#io.subscribe(
      limits,
      name,
      (message: Buffer) =>
        this.#deliver(target, String.fromCharCode(message[0] ?? 0)),
    ).then(() => {}, (error: unknown) => {
      target.ready = undefined;
      throw error;
    });
    try {
      await ch.ready;
    } catch (error) {
      this.leave(ch);
      throw error;
    }
    return ch;
  }

  /** One user less; the channel is dropped after a while without users. */
  leave(ch: Channel): void {
    if (--ch.users > 0) return;
    ch.linger = setTimeout(() => {
      if (ch.users > 0) return;
      this.#channels.delete(ch.name);
      if (ch.ready !== undefined && this.#io.up) {
        this.#io.sub.unsubscribe(ch.name).catch(() => {});
      }
    }, LINGER_MS);
    Deno.unrefTimer(ch.linger);
  }

  #deliver(ch: Channel, letter: string): void {
    ch.counts.set(letter, ch.seen(letter) + 1);
    for (const w of [...ch.waiters]) {
      if (w.letters.includes(letter)) w.wake();
    }
  }

  /**
   * Delivers a message of `letter` on channel `name` here only, as if it
   * had come from Redis: its waiters, and those about to wait, look again.
   */
  poke(name: string, letter: string): void {
    const ch = this.#channels.get(name);
    if (ch !== undefined) this.#deliver(ch, letter);
  }

  /** Notes the channel's counts of `letters`. */
  mark(ch: Channel, letters: string): Mark {
    const out: number[] = [];
    for (const l of letters) out.push(ch.seen(l));
    return out;
  }

  /**
   * Sleeps until a message of `letters` came after `mark`, `until`
   * (performance.now(); Infinity: no timer), `cancelled` settles, or the
   * connection changes.
   */
  wait(
    ch: Channel,
    letters: string,
    mark: Mark,
    until: number,
    cancelled: Promise<void>,
  ): Promise<void> {
    for (let i = 0; i < letters.length; i++) {
      if (ch.seen(letters[i]) !== mark[i]) return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter: Waiter = {
        letters,
        wake: () => {
          if (timer !== undefined) clearTimeout(timer);
          ch.waiters.delete(waiter);
          this.#all.delete(waiter);
          resolve();
        },
      };
      ch.waiters.add(waiter);
      this.#all.add(waiter);
      if (until !== Infinity) {
        timer = setTimeout(
          waiter.wake,
          Math.max(0, Math.ceil(until - performance.now())),
        );
      }
      cancelled.then(waiter.wake);
    });
  }

  /** Sleeps until `until` or the caller withdraws (no channel). */
  sleep(until: number, cancelled: Promise<void>): Promise<void> {
    return new Promise<void>((resolve) => {
      const waiter: Waiter = {
        letters: "",
        wake: () => {
          clearTimeout(timer);
          this.#all.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(
        waiter.wake,
        Math.max(0, Math.ceil(until - performance.now())),
      );
      this.#all.add(waiter);
      cancelled.then(waiter.wake);
    });
  }
}
