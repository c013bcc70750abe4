/**
 * Python `logging`-style formatters that show the calling thread's name, for
 * std/log (`ConsoleHandler`'s `formatter`) and LogTape text sinks.
 *
 * ```ts
 * import { logFormatter } from "@weft/threading/log";
 * import assert from "node:assert/strict";
 *
 * const format = logFormatter("[%(levelname)s] (%(threadName)-10s) %(message)s");
 * assert.equal(
 *   format({ levelName: "DEBUG", msg: "Starting" }),
 *   "[DEBUG] (MainThread) Starting",
 * );
 * ```
 *
 * @module
 */
import { currentThread, getIdent } from "./thread.ts";

/**
 * The fields a formatter reads. std/log's `LogRecord` (`levelName`, `msg`,
 * `loggerName`, `datetime`) and LogTape's `LogRecord` (`level`, `message`,
 * `category`, `timestamp`, `properties`) both fit, so the formatter is
 * assignable to either library's formatter type without importing it.
 */
export interface LogRecordLike {
  /** std/log: the level's name (`"DEBUG"`). */
  levelName?: string;
  /** std/log: the message. */
  msg?: string;
  /** std/log: the logger's name. */
  loggerName?: string;
  /** std/log: when the record was made. */
  datetime?: Date;
  /** LogTape: the level (`"debug"`); std/log: its number. */
  level?: unknown;
  /** LogTape: message parts, text and values interleaved. */
  message?: readonly unknown[];
  /** LogTape: the logger's category. */
  category?: readonly string[];
  /** LogTape: when the record was made, in ms since the epoch. */
  timestamp?: number;
  /** LogTape: extra properties; a `threadName` there wins over the thread's. */
  properties?: Record<string, unknown>;
}

/** A function that turns a record into a line of text. */
export type LogFormatter = (record: LogRecordLike) => string;

interface Field {
  key: string;
  left: boolean;
  zero: boolean;
  width: number;
  precision: number | undefined;
  conversion: string;
}

const SPEC =
  /%(?:\(([^)]*)\)([-0 +#]*)(\d*)(?:\.(\d+))?([sradifFeEgGxXo])|(%))/g;

const LEVEL_NAMES: Record<string, string> = {
  trace: "TRACE",
  debug: "DEBUG",
  info: "INFO",
  warning: "WARNING",
  error: "ERROR",
  fatal: "CRITICAL",
};
const LEVEL_NUMBERS: Record<string, number> = {
  TRACE: 5,
  DEBUG: 10,
  INFO: 20,
  WARNING: 30,
  WARN: 30,
  ERROR: 40,
  CRITICAL: 50,
};
const loadedAt = Date.now();

function levelName(r: LogRecordLike): string {
  if (r.levelName !== undefined) return r.levelName;
  const level = String(r.level ?? "");
  return LEVEL_NAMES[level] ?? level.toUpperCase();
}

function time(r: LogRecordLike): number {
  return r.datetime?.getTime() ?? r.timestamp ?? Date.now();
}

function message(r: LogRecordLike): string {
  if (r.msg !== undefined) return r.msg;
  const parts = r.message ?? [];
  let out = "";
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    out += typeof part === "string" ? part : Deno.inspect(part);
  }
  return out;
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

function asctime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ` +
    `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())},` +
    String(d.getMilliseconds()).padStart(3, "0");
}

const FIELDS: Record<string, (r: LogRecordLike) => unknown> = {
  threadName: (r) => r.properties?.threadName ?? currentThread().name,
  thread: () => getIdent(),
  levelname: levelName,
  levelno: (r) =>
    typeof r.level === "number" ? r.level : LEVEL_NUMBERS[levelName(r)] ?? 0,
  message,
  name: (r) => r.loggerName ?? r.category?.join(".") ?? "root",
  asctime: (r) => asctime(time(r)),
  created: (r) => time(r) / 1000,
  msecs: (r) => time(r) % 1000,
  relativeCreated: (r) => time(r) - loadedAt,
  process: () => Deno.pid,
  processName: () => "MainProcess",
};

function convert(value: unknown, f: Field): string {
  const p = f.precision;
  switch (f.conversion) {
    case "s":
      return p === undefined ? String(value) : String(value).slice(0, p);
    case "r":
    case "a":
      return Deno.inspect(value);
    case "d":
    case "i":
      return String(Math.trunc(Number(value)));
    case "f":
    case "F":
      return Number(value).toFixed(p ?? 6);
    case "e":
    case "E": {
      const s = Number(value).toExponential(p ?? 6).replace(
        /e([+-])(\d)$/,
        "e$10$2",
      );
      return f.conversion === "E" ? s.toUpperCase() : s;
    }
    case "g":
    case "G": {
      const s = String(Number(Number(value).toPrecision(p || 6)));
      return f.conversion === "G" ? s.toUpperCase() : s;
    }
    case "x":
      return Math.trunc(Number(value)).toString(16);
    case "X":
      return Math.trunc(Number(value)).toString(16).toUpperCase();
    default:
      return Math.trunc(Number(value)).toString(8);
  }
}

/**
 * Makes a formatter from a Python `logging` pattern. Fields: `threadName`,
 * `thread`, `levelname`, `levelno`, `message`, `name`, `asctime`, `created`,
 * `msecs`, `relativeCreated`, `process`, `processName`; conversions `s`, `r`,
 * `d`, `i`, `f`, `e`, `g`, `x`, `o` with widths, precision and `-` (left
 * alignment) or `0` (zero padding): `%(threadName)-10s`, `%(msecs)03d`.
 *
 * The thread name is the calling thread's, so each line shows the thread that
 * logged it. The result works as std/log's `FormatterFunction` and as a
 * LogTape `TextFormatter`.
 *
 * @param pattern The pattern, as in `logging.Formatter(fmt)`.
 * @returns The formatter.
 * @throws {TypeError} If `pattern` is not a string.
 * @throws {RangeError} If it names an unknown field or has a malformed `%`.
 *
 * @example With LogTape
 * ```ts
 * import { configureSync, getLogger, resetSync } from "npm:@logtape/logtape@^2.4.2";
 * import { logFormatter } from "@weft/threading/log";
 *
 * const format = logFormatter("(%(threadName)-10s) %(message)s");
 * configureSync({
 *   sinks: { out: (record) => console.log(format(record)) },
 *   loggers: [{ category: [], sinks: ["out"], lowestLevel: "debug" }],
 * });
 * getLogger(["app"]).debug("Starting"); // (MainThread) Starting
 * resetSync();
 * ```
 */
export function logFormatter(pattern: string): LogFormatter {
  if (typeof pattern !== "string") {
    throw new TypeError(`pattern must be a string, got ${typeof pattern}`);
  }
  const parts: (string | Field)[] = [];
  let last = 0;
  for (const m of pattern.matchAll(SPEC)) {
    const text = pattern.slice(last, m.index);
    if (text.includes("%")) {
      throw new RangeError(
        `Malformed format at "${text.slice(text.indexOf("%"))}"`,
      );
    }
    parts.push(text);
    last = m.index + m[0].length;
    if (m[6] !== undefined) {
      parts.push("%");
      continue;
    }
    if (!(m[1] in FIELDS)) {
      throw new RangeError(`Unknown log record field: ${m[1]}`);
    }
    parts.push({
      key: m[1],
      left: m[2].includes("-"),
      zero: m[2].includes("0"),
      width: m[3] === "" ? 0 : Number(m[3]),
      precision: m[4] === undefined ? undefined : Number(m[4]),
      conversion: m[5],
    });
  }
  const rest = pattern.slice(last);
  if (rest.includes("%")) {
    throw new RangeError(
      `Malformed format at "${rest.slice(rest.indexOf("%"))}"`,
    );
  }
  parts.push(rest);
  return (record) => {
    let out = "";
    for (const part of parts) {
      if (typeof part === "string") {
        out += part;
        continue;
      }
      const text = convert(FIELDS[part.key](record), part);
      if (part.left) out += text.padEnd(part.width);
      else if (part.zero && part.conversion !== "s") {
        out += text.padStart(part.width, "0");
      } else out += text.padStart(part.width);
    }
    return out;
  };
}
