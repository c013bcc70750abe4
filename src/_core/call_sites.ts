// Call sites: the one owner of reading the stack. V8's structured call
// sites (through Error.prepareStackTrace) and the lines of `stack` strings
// both name modules by URL; this library's own frames are told apart by
// its directory.
//
// Measured on Deno 2.9.6: capturing a stack costs microseconds whatever its
// depth, and each frame's file or position costs more (Deno maps positions
// to sources); a frame's function name and kind are cheap. So callers ask
// for names first and positions only when they need them.

/** A frame, as V8 describes it (the parts this library reads). */
export interface CallSite {
  getFileName(): string | null | undefined;
  getLineNumber(): number | null;
  getColumnNumber(): number | null;
  getFunctionName(): string | null;
  isConstructor(): boolean;
}

const LIB_DIR = new URL("../", import.meta.url);
const LIB_MOD = new URL("../../mod.ts", import.meta.url).href;
// A frame names a local module by its path or URL, a remote one by its URL.
const LIB_PREFIXES = LIB_DIR.protocol === "file:"
  ? [LIB_DIR.href, decodeURIComponent(LIB_DIR.pathname)]
  : [LIB_DIR.href];
const FRAME = /((?:file|https?|jsr|npm|data):[^\s()]+?):(\d+):(\d+)/g;

/** Whether `file` (a URL or path) is one of this library's modules. */
export function isLibrary(file: string | null | undefined): boolean {
  if (file === null || file === undefined) return false;
  return file === LIB_MOD || LIB_PREFIXES.some((p) => file.startsWith(p));
}

const collect = (_: unknown, sites: CallSite[]): CallSite[] => sites;

/**
 * The frames of the calling code, innermost first, starting below `cut`
 * (a function whose frame and everything above it are left out); at most
 * `limit`. An empty list when the stack cannot be read.
 */
// deno-lint-ignore ban-types
export function callSites(cut: Function, limit: number): CallSite[] {
  const E = Error as unknown as {
    prepareStackTrace: unknown;
    stackTraceLimit: number;
  };
  const prepare = E.prepareStackTrace;
  const max = E.stackTraceLimit;
  const holder: { stack?: unknown } = {};
  try {
    E.prepareStackTrace = collect;
    E.stackTraceLimit = limit;
    Error.captureStackTrace(holder, cut);
    const frames = holder.stack;
    return Array.isArray(frames) ? frames : [];
  } finally {
    E.prepareStackTrace = prepare;
    E.stackTraceLimit = max;
  }
}

/** `file:line:column` of a frame. */
export function position(frame: CallSite): string {
  return `${frame.getFileName()}:${frame.getLineNumber()}:${frame.getColumnNumber()}`;
}

/** A frame's place for people: `app.ts:12`. */
export function shortPosition(frame: CallSite): string {
  const file = String(frame.getFileName());
  return `${file.slice(file.lastIndexOf("/") + 1)}:${frame.getLineNumber()}`;
}

/**
 * The modules on the current call stack outside this library, innermost
 * first, each once (read from a stack string: cheaper than call sites for
 * many frames).
 */
export function callerModules(limit = 64): string[] {
  const max = Error.stackTraceLimit;
  Error.stackTraceLimit = limit;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = max;
  const out: string[] = [];
  for (const match of stack.matchAll(FRAME)) {
    const url = match[1];
    if (isLibrary(url)) continue;
    if (!out.includes(url)) out.push(url);
  }
  return out;
}

/** Where the caller outside this library is, as `app.ts:12`, or undefined. */
export function callerPosition(limit = 32): string | undefined {
  const max = Error.stackTraceLimit;
  Error.stackTraceLimit = limit;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = max;
  for (const match of stack.matchAll(FRAME)) {
    const url = match[1];
    if (isLibrary(url)) continue;
    return `${url.slice(url.lastIndexOf("/") + 1)}:${match[2]}`;
  }
  return undefined;
}

/** Where the first frame of an error's `stack` points, if it is a local file. */
export function firstLocalFrame(
  stack: string,
): { url: string; line: number; column: number } | undefined {
  const frame = LOCAL_FRAME.exec(stack)?.groups;
  const url = frame?.url ?? frame?.bare;
  if (frame === undefined || url === undefined) return undefined;
  return {
    url,
    line: Number(frame.line ?? frame.bline),
    column: Number(frame.column ?? frame.bcolumn),
  };
}

const LOCAL_FRAME =
  /\((?<url>file:[^\s()]+?):(?<line>\d+):(?<column>\d+)\)|at (?<bare>file:[^\s()]+?):(?<bline>\d+):(?<bcolumn>\d+)/;
