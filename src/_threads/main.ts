// What the main thread does for the others, set up when it starts its first
// thread: it creates the workers other threads ask for (see _workers.ts), it
// handles its own uncaught errors as Python does (print, wait for the
// non-daemon threads, exit with code 1), and it keeps the process alive
// while executor tasks are pending, as Python's exit joins executor threads.
import { firstLocalFrame } from "../_core/call_sites.ts";
import { H_NON_DAEMON, H_PENDING_TASKS } from "../_core/layout.ts";
import { runtime } from "./runtime.ts";
import { startSpawnService } from "./workers.ts";
import { waitWordAsync } from "../_core/wait.ts";

let started = false;

/** Main: starts serving the other threads (once). */
export function startMainServices(): void {
  if (started) return;
  started = true;
  startSpawnService();
  addEventListener("error", (event) => onUncaught(event, event.error, false));
  addEventListener(
    "unhandledrejection",
    (event) => onUncaught(event, event.reason, true),
  );
  addEventListener("beforeunload", onExit);
}

/**
 * The event loop is empty: the program is done. Executor tasks submitted
 * and not done (their workers are daemon threads) still run: the event
 * loop waits for the count to drop, then asks again. (Deno dispatches
 * `beforeunload` again once more work scheduled here has run.)
 */
function onExit(event: Event): void {
  const words = runtime().registry.words;
  const pending = Atomics.load(words, H_PENDING_TASKS);
  if (pending <= 0) return;
  event.preventDefault();
  waitWordAsync(words, H_PENDING_TASKS, pending, Infinity);
}

/**
 * An uncaught error in the main program. With no non-daemon thread alive,
 * Deno's own handling (print, exit 1) is Python's too; otherwise Deno would
 * exit at once and stop them mid-work, so the error is printed as Deno
 * prints it and the exit code set, and the process exits once they end.
 */
function onUncaught(event: Event, error: unknown, inPromise: boolean): void {
  if (event.defaultPrevented) return;
  const words = runtime().registry.words;
  if (
    Atomics.load(words, H_NON_DAEMON) <= 0 &&
    Atomics.load(words, H_PENDING_TASKS) <= 0
  ) return;
  event.preventDefault();
  console.error(formatUncaught(error, inPromise));
  Deno.exitCode = 1;
}

/** Deno's form: `error: Uncaught (in promise) Error: ...`, the line, a caret. */
export function formatUncaught(error: unknown, inPromise: boolean): string {
  const color = !Deno.noColor;
  const head = `${color ? "\x1b[1m\x1b[31merror\x1b[0m" : "error"}: Uncaught ${
    inPromise ? "(in promise) " : ""
  }`;
  const text = Deno.inspect(error, { colors: color });
  if (!(error instanceof Error) || typeof error.stack !== "string") {
    return head + text;
  }
  const lines = text.split("\n");
  const frame = firstLocalFrame(error.stack);
  if (frame === undefined) return head + text;
  const { url, line, column } = frame;
  let source: string | undefined;
  try {
    source = Deno.readTextFileSync(new URL(url)).split("\n")[line - 1];
  } catch {
    // No read permission, or gone: Deno prints the frame without it then.
  }
  if (source === undefined) return head + text;
  const caret = " ".repeat(Math.max(0, column - 1)) +
    (color ? "\x1b[31m^\x1b[0m" : "^");
  return [head + lines[0], source, caret, ...lines.slice(1)].join("\n");
}
