// Python's `with lock:` for every lock-like primitive: hold(fn) runs fn with
// the lock held; hold() without fn returns a Disposable for `using`. The
// callback form is the fast one: Deno's `using` costs ~300 ns a block by
// itself (a bare `using` of a no-op Disposable), a callback ~5 ns.
import { checkOptions, checkSignal, describeValue } from "./validate.ts";

/** What hold() works on: Lock, RLock, Semaphore. */
export interface Holdable {
  acquire(): boolean;
  acquireAsync(options: { signal?: AbortSignal }): Promise<boolean>;
  release(): void;
}

/** Options of `holdAsync()`. */
export interface HoldAsyncOptions {
  /** Aborting it rejects the pending call; the lock is then not taken. */
  signal?: AbortSignal;
}

function checkFn(fn: unknown): void {
  if (fn !== undefined && typeof fn !== "function") {
    throw new TypeError(
      `Cannot hold the lock: fn must be a function, received ${
        describeValue(fn)
      }`,
    );
  }
}

/** Takes `lock`; runs `fn` (releasing after), or returns `disposable`. */
export function holdLock<R>(
  lock: Holdable,
  disposable: Disposable,
  fn: (() => R) | undefined,
): R | Disposable {
  checkFn(fn);
  lock.acquire();
  if (fn === undefined) return disposable;
  try {
    return fn();
  } finally {
    lock.release();
  }
}

/** The asynchronous twin of {@linkcode holdLock}: `fn` may be async. */
export async function holdLockAsync<R>(
  lock: Holdable,
  disposable: Disposable,
  fnOrOptions: (() => R) | HoldAsyncOptions | undefined,
  options: HoldAsyncOptions | undefined,
): Promise<Awaited<R> | Disposable> {
  const fn = typeof fnOrOptions === "function" ? fnOrOptions : undefined;
  const opts = fn === undefined ? fnOrOptions as HoldAsyncOptions : options;
  const signal = checkSignal(checkOptions(opts)?.signal);
  await lock.acquireAsync({ signal });
  if (fn === undefined) return disposable;
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
