// A program whose entry module declares the classes that cross threads, run
// by tests/codec_test.ts as `deno run -A tests/_entry_program.ts MODE`; it
// prints one JSON line. MODE says when its main program runs:
// - "after": once the top level has finished (setTimeout);
// - "await": from `await main()` at top level, after an await of its own
//   (the top level waits at an await meanwhile);
// - "sync": during the top level, synchronously (the classes cannot be
//   reached yet: the errors must say so, and lose nothing).
import { Queue, SharedMap, Thread, ThreadPoolExecutor } from "../mod.ts";

const PATIENCE = 20_000;

export class Point {
  constructor(public x: number, public y: number) {}
  norm(): number {
    return Math.hypot(this.x, this.y);
  }
}

export class CustomTaskError extends Error {
  constructor(message: string, public code: number, options?: ErrorOptions) {
    super(message, options);
    this.name = "CustomTaskError";
  }
}

export function makePoint(x: number, y: number): Point {
  return new Point(x, y);
}

export function failWith(code: number): never {
  throw new CustomTaskError(`failed with ${code}`, code, {
    cause: new RangeError("the cause"),
  });
}

interface Mail {
  seen: { arg: boolean; item: boolean };
  back: Point[];
  error: CustomTaskError;
}

/** Thread target: reports what it got, and sends Points and an error back. */
export function echo(
  arg: Point,
  inbox: Queue<Point>,
  outbox: Queue<Mail>,
  map: SharedMap<string, unknown>,
): void {
  const item = inbox.get({ timeout: PATIENCE });
  reply(arg, item, outbox, map);
}

/** echo(), with getAsync(). */
export async function echoAsync(
  arg: Point,
  inbox: Queue<Point>,
  outbox: Queue<Mail>,
  map: SharedMap<string, unknown>,
): Promise<void> {
  const item = await inbox.getAsync({ timeout: PATIENCE });
  reply(arg, item, outbox, map);
}

function reply(
  arg: Point,
  item: Point,
  outbox: Queue<Mail>,
  map: SharedMap<string, unknown>,
): void {
  map.set("point", new Point(8, 15));
  map.set("error", tryFail(3));
  outbox.put({
    seen: { arg: arg instanceof Point, item: item instanceof Point },
    back: [arg, item, new Point(5, 12)],
    error: tryFail(2),
  });
}

function tryFail(code: number): CustomTaskError {
  try {
    failWith(code);
  } catch (error) {
    return error as CustomTaskError;
  }
}

/** What a received error is: its class, fields, cause and stack. */
function described(e: unknown): Record<string, unknown> {
  const error = e as CustomTaskError;
  return {
    custom: e instanceof CustomTaskError,
    name: error.name,
    code: error.code,
    message: error.message,
    cause: error.cause instanceof RangeError &&
      error.cause.message === "the cause",
    stack: typeof error.stack === "string" &&
      error.stack.includes("failWith"),
  };
}

function isPoint(p: unknown, norm: number): boolean {
  return p instanceof Point && p.norm() === norm;
}

/** Round trips through an executor, Thread args, Queues and a SharedMap. */
async function main(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const executor = new ThreadPoolExecutor({ maxWorkers: 2 });
  try {
    out.resultSync = isPoint(
      executor.submit(makePoint, 3, 4).result(PATIENCE),
      5,
    );
    out.resultAsync = isPoint(await executor.submit(makePoint, 6, 8), 10);
    try {
      executor.submit(failWith, 7).result(PATIENCE);
    } catch (error) {
      out.errorSync = described(error);
    }
    try {
      await executor.submit(failWith, 8);
    } catch (error) {
      out.errorAsync = described(error);
    }
    out.exception = described(
      executor.submit(failWith, 9).exception(PATIENCE),
    );
  } finally {
    executor.shutdown();
  }
  for (const async of [false, true]) {
    const inbox = new Queue<Point>();
    const outbox = new Queue<Mail>();
    const map = new SharedMap<string, unknown>();
    const thread = new Thread({
      target: async ? echoAsync : echo,
      args: [new Point(1, 0), inbox, outbox, map],
    });
    thread.start();
    inbox.put(new Point(0, 2));
    const mail = async
      ? await outbox.getAsync({ timeout: PATIENCE })
      : outbox.get({ timeout: PATIENCE });
    thread.join(PATIENCE);
    out[async ? "threadAsync" : "threadSync"] = {
      seen: mail.seen,
      back: mail.back.map((p) => p instanceof Point),
      norms: mail.back.map((p) => p.norm()),
      error: described(mail.error),
      mapPoint: isPoint(map.get("point"), 17),
      mapError: described(map.get("error")),
    };
  }
  return out;
}

/**
 * During the top level: what a synchronous get() and result() of an entry
 * class say, what they carry, and that nothing is stuck behind them.
 */
function duringTopLevel(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  try {
    const future = executor.submit(makePoint, 3, 4);
    try {
      future.result(PATIENCE);
      out.result = "no error";
    } catch (error) {
      out.result = {
        type: (error as Error).constructor.name,
        message: (error as Error).message,
        value: (error as { value?: unknown }).value,
      };
    }
  } finally {
    executor.shutdown();
  }
  const q = new Queue<unknown>();
  const thread = new Thread({ target: putPoints, args: [q] });
  thread.start();
  thread.join(PATIENCE);
  const got: unknown[] = [];
  for (let i = 0; i < 3; i++) {
    try {
      got.push(q.get({ timeout: PATIENCE }));
    } catch (error) {
      got.push({
        type: (error as Error).constructor.name,
        value: (error as { value?: unknown }).value,
      });
    }
    q.taskDone();
  }
  out.got = got;
  q.join();
  out.joined = true;
  return out;
}

/** Thread target: "before", a Point, "after". */
export function putPoints(q: Queue<unknown>): void {
  q.put("before");
  q.put({ label: "p", point: new Point(6, 8) });
  q.put("after");
}

if (import.meta.main) {
  const mode = Deno.args[0];
  if (mode === "after") {
    setTimeout(async () => console.log(JSON.stringify(await main())));
  } else if (mode === "await") {
    await sleepAsync(1);
    console.log(JSON.stringify(await main()));
  } else if (mode === "sync") {
    console.log(JSON.stringify(duringTopLevel()));
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
}

function sleepAsync(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
