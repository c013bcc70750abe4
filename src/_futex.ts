// Blocking and non-blocking waits on one Int32 word of shared memory.
// Callers always loop on their own condition: these only sleep.
import { H_ALIVE, H_PARKED } from "./_layout.ts";
import { runtime } from "./_runtime.ts";

// Waking a parked thread costs tens of microseconds; a wake-up that comes
// sooner is caught by spinning about that long first, as long as every
// runnable thread (alive and not asleep) can have a core. With more runnable
// threads than cores, spinning would steal the time of the thread we wait
// for, so we spin only about a microsecond before parking.
const SPIN = 400;
const SPIN_CROWDED = 32;
const CORES = navigator.hardwareConcurrency || 1;
const pause: () => void =
  (Atomics as unknown as { pause?: () => void }).pause ?? (() => {});
let header: Int32Array | undefined;

/** How many spins a wait may do now: few when runnable threads outnumber cores. */
export function spinBudget(): number {
  header ??= runtime().registry.words;
  const runnable = Atomics.load(header, H_ALIVE) -
    Atomics.load(header, H_PARKED);
  return runnable > CORES ? SPIN_CROWDED : SPIN;
}

/** One polite spin step. */
export function spinPause(): void {
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

/** Atomics.wait, counting the calling thread as asleep meanwhile (see spinBudget). */
function park(
  arr: Int32Array,
  index: number,
  expected: number,
  timeout: number,
): void {
  header ??= runtime().registry.words;
  Atomics.add(header, H_PARKED, 1);
  Atomics.wait(arr, index, expected, timeout);
  Atomics.sub(header, H_PARKED, 1);
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

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the calling thread for `ms` milliseconds. */
export function sleepMs(ms: number): void {
  const deadline = performance.now() + ms;
  for (let left = ms; left > 0; left = deadline - performance.now()) {
    park(sleeper, 0, 0, left);
  }
}
