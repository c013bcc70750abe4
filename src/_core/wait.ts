// Waiting: every blocking and asynchronous wait of this library sleeps here,
// on one Int32 word of the heap. Callers always loop on their own condition:
// these functions only sleep.
//
// While the main thread sleeps in a blocking wait, other threads may need it:
// only main creates workers quickly (see _workers.ts), so main records the
// word it sleeps on, and a thread that needs a worker wakes it through that
// word. The waker repeats its notify until main answers, which covers a
// notify that lands between main's last look and its sleep.
import {
  EC_ASLEEP,
  EC_SEQ,
  H_ALIVE,
  H_MAIN_PARKED,
  H_PARKED,
} from "./layout.ts";
import { heap, heapBuffer } from "./heap.ts";
import { isMainThread } from "node:worker_threads";

// Waking a parked thread costs tens of microseconds; a wake-up that comes
// sooner is caught by spinning about that long first, as long as every
// runnable thread (alive and not asleep) can have a core. With more runnable
// threads than cores, spinning would steal the time of the thread we wait
// for, so we spin only about a microsecond before parking.
const SPINS = 400;
const SPINS_CROWDED = 32;
const CORES = navigator.hardwareConcurrency || 1;
const pause: () => void =
  (Atomics as unknown as { pause?: () => void }).pause ?? (() => {});
let header: Int32Array | undefined;

function registry(): Int32Array {
  return header ??= heap().i32;
}

/** How many spins a wait may do now: few when runnable threads outnumber cores. */
function spinBudget(): number {
  const h = registry();
  const runnable = Atomics.load(h, H_ALIVE) - Atomics.load(h, H_PARKED);
  return runnable > CORES ? SPINS_CROWDED : SPINS;
}

/** One polite spin step. */
function spinPause(): void {
  pause();
}

/** Spins while `arr[index] === expected`; true if it changed meanwhile. */
export function spinWhile(
  arr: Int32Array,
  index: number,
  expected: number,
): boolean {
  for (let i = spinBudget(); i > 0; i--) {
    if (Atomics.load(arr, index) !== expected) return true;
    pause();
  }
  return false;
}

/**
 * Sleeps while `arr[index] === expected`, at most until `deadline`
 * (performance.now() scale), spinning first unless `spin` is false (callers
 * that count their sleepers spin before registering). Returns false when the
 * deadline had already passed, true otherwise (woken, value changed, or timed
 * out now).
 */
export function waitWord(
  arr: Int32Array,
  index: number,
  expected: number,
  deadline: number,
  spin = true,
): boolean {
  if (spin && spinWhile(arr, index, expected)) return true;
  const remaining = deadline === Infinity
    ? Infinity
    : deadline - performance.now();
  if (remaining <= 0) return false;
  park(arr, index, expected, remaining);
  return true;
}

let mainService: (() => boolean) | undefined;

/**
 * Registers what the main thread does when woken in a blocking wait by
 * another thread; it returns whether it found work.
 */
export function setMainService(service: () => boolean): void {
  mainService = service;
}

/** Atomics.wait, counting the calling thread as asleep meanwhile (see spinBudget). */
function park(
  arr: Int32Array,
  index: number,
  expected: number,
  timeout: number,
): void {
  const h = registry();
  Atomics.add(h, H_PARKED, 1);
  if (
    isMainThread && mainService !== undefined && arr.buffer === heapBuffer()
  ) {
    Atomics.store(h, H_MAIN_PARKED, arr.byteOffset / 4 + index);
    if (!mainService()) Atomics.wait(arr, index, expected, timeout);
    Atomics.store(h, H_MAIN_PARKED, 0);
    mainService();
  } else {
    Atomics.wait(arr, index, expected, timeout);
  }
  Atomics.sub(h, H_PARKED, 1);
}

/** Wakes the main thread if it sleeps in a blocking wait (see above). */
export function nudgeMain(): void {
  const h = registry();
  const at = Atomics.load(h, H_MAIN_PARKED);
  if (at !== 0) Atomics.notify(heap().i32, at);
}

// Atomics.waitAsync does not keep the event loop alive (denoland/deno#15358),
// so one ref'd interval is held while any asynchronous wait is pending.
let pendingAsync = 0;
let keepAlive: ReturnType<typeof setInterval> | undefined;

function hold(): void {
  if (pendingAsync++ === 0) keepAlive = setInterval(() => {}, 1 << 30);
}

function unhold(): void {
  if (--pendingAsync === 0) clearInterval(keepAlive);
}

/**
 * The asynchronous twin of {@linkcode waitWord}: resolves when woken, when the
 * value differs, or at the deadline; rejects with the signal's reason when
 * aborted. An aborted wait that is woken later passes the wake-up on, so no
 * other waiter loses it.
 */
export function waitWordAsync(
  arr: Int32Array,
  index: number,
  expected: number,
  deadline: number,
  signal?: AbortSignal,
): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  const timeout = deadline === Infinity
    ? undefined
    : Math.max(0, deadline - performance.now());
  const result = Atomics.waitAsync(arr, index, expected, timeout);
  if (!result.async) return Promise.resolve();
  hold();
  if (signal === undefined) return result.value.then(unhold);
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const onAbort = (): void => {
      settled = true;
      unhold();
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    result.value.then((outcome) => {
      if (settled) {
        if (outcome === "ok") Atomics.notify(arr, index, 1);
        return;
      }
      settled = true;
      signal.removeEventListener("abort", onAbort);
      unhold();
      resolve();
    });
  });
}

/**
 * Blocks the calling thread for `ms` milliseconds, asleep on `words[index]`:
 * a word of the heap that never changes (the thread's own, in the registry).
 */
export function sleepMs(ms: number, words: Int32Array, index: number): void {
  const deadline = performance.now() + ms;
  for (let left = ms; left > 0; left = deadline - performance.now()) {
    park(words, index, 0, left);
  }
}

// Mutexes on one Int32 word (Drepper's "Futexes are tricky", mutex 2): 0
// unlocked, 1 locked, 2 locked with possible sleepers. Unlocking notifies
// only when the word says someone may sleep.

/** One attempt, no waiting. */
export function tryLockWord(w: Int32Array, i: number): boolean {
  return Atomics.compareExchange(w, i, 0, 1) === 0;
}

/** Takes the mutex, sleeping until `deadline`; false when it passed. */
export function lockWord(w: Int32Array, i: number, deadline: number): boolean {
  // A holder on another core usually lets go soon: take it as 0 -> 1 while
  // spinning, which keeps the release cheap (no notify).
  for (let n = spinBudget(); n > 0; n--) {
    if (Atomics.load(w, i) === 0 && Atomics.compareExchange(w, i, 0, 1) === 0) {
      return true;
    }
    spinPause();
  }
  // Every pass tries once more before giving up, so a waiter woken at its
  // deadline never swallows the wake-up meant for another.
  for (;;) {
    if (Atomics.exchange(w, i, 2) === 0) return true;
    if (!waitWord(w, i, 2, deadline)) return false;
  }
}

/** The asynchronous twin of {@linkcode lockWord}; rejects when aborted. */
export async function lockWordAsync(
  w: Int32Array,
  i: number,
  deadline: number,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  for (;;) {
    if (Atomics.exchange(w, i, 2) === 0) return true;
    if (performance.now() >= deadline) return false;
    await waitWordAsync(w, i, 2, deadline, signal);
  }
}

/** Releases the mutex; false if it was not locked. */
export function unlockWord(w: Int32Array, i: number): boolean {
  const previous = Atomics.exchange(w, i, 0);
  if (previous === 2) Atomics.notify(w, i, 1);
  return previous !== 0;
}

// Protocols. A wait that involves more than one word (a queue's lock and its
// condition, a condition's lock and its waiter node...) is written once, as
// a generator that yields steps, and run by `run` (blocking) or `runAsync`
// (not blocking the event loop; an AbortSignal stops it).

/** Take the mutex at `words[index]` (above), until `deadline`. */
export const LOCK = 0;
/** Sleep while `words[index] === expected`, until `deadline`. */
export const WAIT = 1;
/**
 * Spin a while, while `words[index] === expected`: true if it changed. Only
 * a blocking run spins; an asynchronous one answers false at once.
 */
export const SPIN = 2;

/**
 * What a protocol yields. One object per protocol run, refilled each time.
 * The protocol gets back whether the step succeeded: the lock taken, or the
 * sleep woken (false: the deadline passed first).
 */
export interface Step {
  kind: number;
  words: Int32Array;
  index: number;
  expected: number;
  deadline: number;
  /** The eventcount slept on (its words at `ec`), or -1: a plain word. */
  ec: number;
  /** Whether a sleep on an eventcount spins first. */
  spin: boolean;
}

/** A protocol: yields steps, gets their outcome, returns its result. */
export type Protocol<R> = Generator<Step, R, boolean>;

const NO_WORDS = new Int32Array(0);

/** A fresh step object for one protocol run. */
export function newStep(): Step {
  return {
    kind: LOCK,
    words: NO_WORDS,
    index: 0,
    expected: 0,
    deadline: Infinity,
    ec: -1,
    spin: true,
  };
}

const blockingStep = newStep();

/**
 * The step object of this thread's blocking runs: `run` reads each step
 * before it acts on it and a protocol only fills it, so runs nested in a
 * sleep (the main thread's service) may share it. Asynchronous runs, which
 * read it again after awaiting, each need a `newStep()`.
 */
export function syncStep(): Step {
  return blockingStep;
}

/** Fills `step` to take a lock. */
export function lockStep(
  step: Step,
  words: Int32Array,
  index: number,
  deadline: number,
): Step {
  step.kind = LOCK;
  step.words = words;
  step.index = index;
  step.deadline = deadline;
  return step;
}

/** Fills `step` to spin while a word holds `expected`. */
export function spinStep(
  step: Step,
  words: Int32Array,
  index: number,
  expected: number,
): Step {
  step.kind = SPIN;
  step.words = words;
  step.index = index;
  step.expected = expected;
  return step;
}

/**
 * Fills `step` to sleep while a word holds `expected`, spinning first
 * unless `spin` is false (a waiter that spun already, before it counted
 * itself as a sleeper).
 */
export function waitStep(
  step: Step,
  words: Int32Array,
  index: number,
  expected: number,
  deadline: number,
  spin = true,
): Step {
  step.kind = WAIT;
  step.words = words;
  step.index = index;
  step.expected = expected;
  step.deadline = deadline;
  step.ec = -1;
  step.spin = spin;
  return step;
}

/**
 * Fills `step` to sleep on the eventcount at `ec` until its sequence moves
 * past `seq` (the waiter registered itself first, under the owner's lock),
 * spinning first unless `spin` is false.
 */
export function eventStep(
  step: Step,
  words: Int32Array,
  ec: number,
  seq: number,
  deadline: number,
  spin = true,
): Step {
  waitStep(step, words, ec + EC_SEQ, seq, deadline);
  step.ec = ec;
  step.spin = spin;
  return step;
}

function sleepStep(step: Step): boolean {
  const { words, index, expected, deadline, ec } = step;
  if (ec < 0) return waitWord(words, index, expected, deadline, step.spin);
  // Spin counted as awake: a notifier then needs no Atomics.notify.
  if (step.spin && spinWhile(words, index, expected)) return true;
  const remaining = deadline === Infinity
    ? Infinity
    : deadline - performance.now();
  if (remaining <= 0) return false;
  Atomics.add(words, ec + EC_ASLEEP, 1);
  park(words, index, expected, remaining);
  Atomics.sub(words, ec + EC_ASLEEP, 1);
  return true;
}

/** Runs a protocol, blocking the calling thread. */
export function run<R>(protocol: Protocol<R>): R {
  let next = protocol.next();
  while (!next.done) {
    const step = next.value;
    next = protocol.next(
      step.kind === LOCK
        ? lockWord(step.words, step.index, step.deadline)
        : step.kind === SPIN
        ? spinWhile(step.words, step.index, step.expected)
        : sleepStep(step),
    );
  }
  return next.value;
}

/**
 * Runs a protocol without blocking the event loop. Aborting `signal` throws
 * its reason into the protocol at the sleep it waits in (taking a lock is
 * not abortable: protocols take their short-held internal locks only);
 * what the protocol then does to clean up is not abortable either.
 */
export async function runAsync<R>(
  protocol: Protocol<R>,
  signal?: AbortSignal,
): Promise<R> {
  let next = protocol.next();
  let contended = false;
  while (!next.done) {
    const step = next.value;
    let outcome: boolean;
    try {
      if (step.kind === LOCK) {
        // Taken and used in one synchronous stretch: an await between
        // taking an internal lock and the protocol's next step would hold
        // it while this thread runs other code (a put() right after a
        // pending getAsync() would wait for itself). Once it has slept, a
        // waiter takes the word as 2 (contended), so that the unlock wakes
        // the next sleeper.
        if (
          (!contended && tryLockWord(step.words, step.index)) ||
          Atomics.exchange(step.words, step.index, 2) === 0
        ) {
          outcome = true;
        } else if (performance.now() >= step.deadline) {
          outcome = false;
        } else {
          contended = true;
          await waitWordAsync(step.words, step.index, 2, step.deadline);
          continue;
        }
        contended = false;
      } else if (step.kind === SPIN) {
        outcome = false;
      } else {
        if (step.deadline <= performance.now()) outcome = false;
        else {
          const ec = step.ec;
          if (ec >= 0) Atomics.add(step.words, ec + EC_ASLEEP, 1);
          try {
            await waitWordAsync(
              step.words,
              step.index,
              step.expected,
              step.deadline,
              signal,
            );
          } finally {
            if (ec >= 0) Atomics.sub(step.words, ec + EC_ASLEEP, 1);
          }
          outcome = true;
        }
      }
    } catch (reason) {
      signal = undefined;
      next = protocol.throw(reason);
      continue;
    }
    next = protocol.next(outcome);
  }
  return next.value;
}

/**
 * Wakes one waiter of the eventcount at `ec`: bumps its sequence (which
 * spinning waiters see) and notifies one sleeper, if one sleeps. A woken
 * waiter that finds more than it needs wakes the next (the owner's protocol
 * does). (A token that let a burst of changes notify only once was tried: no
 * faster here, and a notify that lands before its sleeper sleeps must not
 * leave the token taken.)
 */
export function wakeOne(words: Int32Array, ec: number): void {
  Atomics.add(words, ec + EC_SEQ, 1);
  if (Atomics.load(words, ec + EC_ASLEEP) > 0) {
    Atomics.notify(words, ec + EC_SEQ, 1);
  }
}

/** Wakes every waiter of the eventcount at `ec`. */
export function wakeAll(words: Int32Array, ec: number): void {
  Atomics.add(words, ec + EC_SEQ, 1);
  if (Atomics.load(words, ec + EC_ASLEEP) > 0) {
    Atomics.notify(words, ec + EC_SEQ);
  }
}
