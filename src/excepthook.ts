/**
 * What happens to an error that escapes a thread's `run()`: Python's
 * `threading.excepthook`.
 *
 * @module
 */
import { runtime } from "./_threads/runtime.ts";
import { describe, resolve } from "./_locate/locate.ts";
import { callerModules } from "./_core/call_sites.ts";
import type { Thread } from "./thread.ts";

/** What an excepthook receives. */
export interface ExceptHookArgs {
  /** The error (or any thrown value) that escaped the thread. */
  error: unknown;
  /** The thread it escaped from. */
  thread: Thread | null;
}

/** An excepthook. */
export type ExceptHook = (args: ExceptHookArgs) => unknown;

function format(error: unknown): string {
  if (error instanceof Error) {
    return error.stack ?? `${error.name}: ${error.message}`;
  }
  return `Uncaught ${Deno.inspect(error)}`;
}

/**
 * The default excepthook: prints `Exception in thread NAME:` and the error's
 * stack to stderr. The process and the other threads carry on.
 *
 * @param args The error and the thread it escaped from.
 *
 * @example Calling the default hook directly
 * ```ts
 * import { currentThread, excepthook } from "@weft/threading";
 *
 * excepthook({ error: new Error("boom"), thread: currentThread() });
 * ```
 */
export function excepthook(args: ExceptHookArgs): void {
  const name = args.thread?.name ?? "<unknown>";
  console.error(`Exception in thread ${name}:\n${format(args.error)}`);
}

let hook: ExceptHook = excepthook;
let hookSeq = 0;

/**
 * Replaces the excepthook in every thread; `null` restores the default. The
 * hook runs in the thread the error escaped from, so, like a thread target,
 * it must be exported from an importable module or be self-contained.
 *
 * @param newHook The hook, or `null` for the default.
 * @throws {TypeError} If `newHook` is neither a function nor `null`.
 *
 * @example
 * ```ts
 * import { setExcepthook } from "@weft/threading";
 *
 * setExcepthook(({ error, thread }) => console.error(thread?.name, error));
 * setExcepthook(null);
 * ```
 */
export function setExcepthook(newHook: ExceptHook | null): void {
  if (newHook !== null && typeof newHook !== "function") {
    throw new TypeError("The excepthook must be a function or null");
  }
  const reg = runtime().registry;
  reg.writeHook(
    newHook === null ? "" : JSON.stringify(describe(newHook, callerModules())),
  );
  hook = newHook ?? excepthook;
  hookSeq = reg.hookSeq();
}

async function currentHook(): Promise<ExceptHook> {
  const reg = runtime().registry;
  if (reg.hookSeq() !== hookSeq) {
    const { seq, text } = reg.readHook();
    hook = text === "" ? excepthook : (await resolve(JSON.parse(text))).fn;
    hookSeq = seq;
  }
  return hook;
}

/** Internal: hands an error that escaped `thread` to the excepthook. */
export async function _reportError(
  error: unknown,
  thread: Thread,
): Promise<void> {
  try {
    await (await currentHook())({ error, thread });
  } catch (hookError) {
    console.error(`Exception in threading.excepthook:\n${format(hookError)}`);
  }
}

/**
 * Internal: hands an error to the excepthook from wherever the caller is (a
 * blocking wait included): the default hook prints at once; another one is
 * called asynchronously, from a clean stack (the returned promise).
 */
export function _reportErrorNow(
  error: unknown,
  thread: Thread,
): Promise<void> | undefined {
  if (hook === excepthook && runtime().registry.hookSeq() === hookSeq) {
    excepthook({ error, thread });
    return undefined;
  }
  return _reportError(error, thread);
}
