// Python's logging.basicConfig(level=DEBUG, format=...) for the examples:
// LogTape with a thread-aware formatter. Every thread that imports an example
// runs this module's top level, so each thread configures its own LogTape,
// as std/log and LogTape keep their state per isolate.
import { configureSync, getLogger, type Logger } from "@logtape/logtape";
import { logFormatter } from "@weft/threading/log";

/** Configures logging in the calling thread and returns its logger. */
export function basicConfig(format: string): Logger {
  const formatter = logFormatter(format);
  configureSync({
    reset: true,
    sinks: { stdout: (record) => console.log(formatter(record)) },
    loggers: [
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
      { category: ["example"], sinks: ["stdout"], lowestLevel: "debug" },
    ],
  });
  return getLogger(["example"]);
}
