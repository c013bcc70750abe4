// What the main thread does for the others, set up when it starts its first
// thread: it creates the workers other threads ask for (see _workers.ts), and
// it handles its own uncaught errors as Python does: print, wait for the
// non-daemon threads, exit with code 1.
import { H_NON_DAEMON } from "./_layout.ts";
import { runtime } from "./_runtime.ts";
import { startSpawnService } from "./_workers.ts";

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
}

/**
 * An uncaught error in the main program. With no non-daemon thread alive,
 * Deno's own handling (print, exit 1) is Python's too; otherwise Deno would
 * exit at once and stop them mid-work, so the error is printed as Deno
 * prints it and the exit code set, and the process exits once they end.
 */
function onUncaught(event: Event, error: unknown, inPromise: boolean): void {
  if (event.defaultPrevented) return;
  if (Atomics.load(runtime().registry.words, H_NON_DAEMON) <= 0) return;
  event.preventDefault();
  console.error(formatUncaught(error, inPromise));
  Deno.exitCode = 1;
}

const FRAME =
  /\((?<url>file:[^\s()]+?):(?<line>\d+):(?<column>\d+)\)|at (?<bare>file:[^\s()]+?):(?<bline>\d+):(?<bcolumn>\d+)/;

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
  const frame = FRAME.exec(error.stack)?.groups;
  const url = frame?.url ?? frame?.bare;
  if (url === undefined) return head + text;
  const line = Number(frame!.line ?? frame!.bline);
  const column = Number(frame!.column ?? frame!.bcolumn);
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
