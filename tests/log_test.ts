import assert from "node:assert/strict";
import {
  configureSync,
  getLogger,
  type LogRecord as LogTapeRecord,
  resetSync,
  type TextFormatter,
} from "@logtape/logtape";
import { currentThread, getIdent, Thread } from "../mod.ts";
import { logFormatter, type LogRecordLike } from "../src/log.ts";
import { test } from "./_helpers.ts";
import { formatInThread, SharedText } from "./_fixtures.ts";

/** A structural copy of std/log's LogRecord (std/log is not importable here). */
class StdLogRecord {
  readonly msg: string;
  readonly args: unknown[] = [];
  readonly datetime: Date;
  readonly level: number;
  readonly levelName: string;
  readonly loggerName: string;
  constructor(msg: string, levelName: string, level: number, datetime: Date) {
    this.msg = msg;
    this.levelName = levelName;
    this.level = level;
    this.loggerName = "app";
    this.datetime = datetime;
  }
}
type StdFormatterFunction = (logRecord: StdLogRecord) => string;

test("logFormatter() is assignable to std/log's and LogTape's formatter types", () => {
  const std: StdFormatterFunction = logFormatter("%(levelname)s %(message)s");
  const tape: TextFormatter = logFormatter("%(levelname)s %(message)s");
  const when = new Date(2010, 10, 15, 9, 24, 53, 544);
  assert.equal(std(new StdLogRecord("hi", "DEBUG", 10, when)), "DEBUG hi");
  const record: LogTapeRecord = {
    category: ["app", "db"],
    level: "warning",
    message: ["count is ", 3, ""],
    rawMessage: "count is {count}",
    timestamp: when.getTime(),
    properties: {},
  };
  assert.equal(tape(record), "WARNING count is 3");
});

test("logFormatter() formats Python's fields with widths and alignment", () => {
  const when = new Date(2010, 10, 15, 9, 24, 53, 544);
  const record: LogRecordLike = {
    levelName: "DEBUG",
    msg: "Starting",
    loggerName: "svc",
    datetime: when,
  };
  assert.equal(
    logFormatter("[%(levelname)s] (%(threadName)-10s) %(message)s")(record),
    "[DEBUG] (MainThread) Starting",
  );
  assert.equal(
    logFormatter("(%(threadName)-12s)|%(levelname)7s|")(record),
    "(MainThread  )|  DEBUG|",
  );
  assert.equal(
    logFormatter("%(asctime)s %(name)s")(record),
    "2010-11-15 09:24:53,544 svc",
  );
  assert.equal(
    logFormatter("%(thread)d %(process)d")(record),
    `${getIdent()} ${Deno.pid}`,
  );
  assert.equal(
    logFormatter("%(msecs)03d %(levelno)d %(created).1f")(record),
    `544 10 ${(when.getTime() / 1000).toFixed(1)}`,
  );
  assert.equal(logFormatter("100%% %(message).4s")(record), "100% Star");
  assert.equal(logFormatter("%(name)s")({ category: ["a", "b"] }), "a.b");
  assert.equal(logFormatter("%(levelname)s")({ level: "fatal" }), "CRITICAL");
  assert.equal(
    logFormatter("%(threadName)s")({ properties: { threadName: "given" } }),
    "given",
  );
});

test("logFormatter() rejects unknown fields and malformed patterns", () => {
  assert.throws(() => logFormatter("%(nope)s"), RangeError);
  assert.throws(() => logFormatter("%(message)"), RangeError);
  assert.throws(() => logFormatter("50% off"), RangeError);
  assert.throws(() => logFormatter(5 as unknown as string), TypeError);
});

test("logFormatter() shows the name of the thread that logs", () => {
  const text = new SharedText();
  const t = new Thread({
    target: formatInThread,
    args: ["%(threadName)s: %(message)s", text],
    name: "logger-thread",
  });
  t.start();
  t.join();
  assert.equal(text.read(), "logger-thread: from a thread");
  assert.equal(currentThread().name, "MainThread");
});

test("logFormatter() works as a LogTape sink's formatter", () => {
  const lines: string[] = [];
  const format = logFormatter(
    "[%(levelname)s] (%(threadName)-10s) %(message)s",
  );
  configureSync({
    sinks: { memory: (record) => lines.push(format(record)) },
    loggers: [
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
      { category: ["app"], sinks: ["memory"], lowestLevel: "debug" },
    ],
  });
  try {
    getLogger(["app"]).debug("Starting {what}", { what: "up" });
    getLogger(["app"]).info`Exiting ${1}`;
  } finally {
    resetSync();
  }
  assert.deepEqual(lines, [
    "[DEBUG] (MainThread) Starting up",
    "[INFO] (MainThread) Exiting 1",
  ]);
});
