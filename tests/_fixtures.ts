// Thread targets and classes for the tests: exported, so threads find them.
import v8 from "node:v8";
import { logFormatter } from "../src/log.ts";
import { decode, decodeAsync } from "../src/_codec/codec.ts";
import {
  activeCount,
  type Barrier,
  BrokenBarrierError,
  type Condition,
  currentThread,
  enumerate,
  type Event,
  type ExceptHookArgs,
  getIdent,
  getNativeId,
  Lock,
  mainThread,
  Queue,
  type RLock,
  type Semaphore,
  type SharedValue,
  type SimpleQueue,
  sleep,
  Thread,
  ThreadLocal,
} from "../mod.ts";

// Counts how many times this module's top level ran in this isolate.
const g = globalThis as { fixtureLoads?: number };
g.fixtureLoads = (g.fixtureLoads ?? 0) + 1;

/** A string in shared memory, as a class whose instances keep their methods. */
export class SharedText {
  bytes: Uint8Array = new Uint8Array(new SharedArrayBuffer(4096));
  length: Int32Array = new Int32Array(new SharedArrayBuffer(4));
  write(text: string): void {
    const encoded = new TextEncoder().encode(text);
    this.bytes.set(encoded);
    Atomics.store(this.length, 0, encoded.length);
    Atomics.notify(this.length, 0);
  }
  read(): string {
    return new TextDecoder().decode(
      this.bytes.slice(0, Atomics.load(this.length, 0)),
    );
  }
}

export function recordIdentity(out: Int32Array): void {
  out[0] = getIdent();
  out[1] = getNativeId();
  out[2] = mainThread().ident!;
  out[3] = mainThread().nativeId!;
  out[4] = currentThread().ident === getIdent() ? 1 : 0;
  out[5] = enumerate().includes(currentThread()) ? 1 : 0;
  out[6] = activeCount();
  out[7] = g.fixtureLoads!;
  Atomics.store(out, 8, 1);
}

export function reportName(text: SharedText): void {
  text.write(
    `${currentThread().name}|${mainThread().name}|${currentThread().daemon}`,
  );
}

export function renameSelf(name: string, done: Event, proceed: Event): void {
  currentThread().name = name;
  done.set();
  proceed.wait();
}

export function waitOn(event: Event): void {
  event.wait();
}

export function signalThenWait(started: Event, release: Event): void {
  started.set();
  release.wait();
}

export function spin(cell: Int32Array): void {
  while (Atomics.load(cell, 0) === 0) Atomics.add(cell, 1, 1);
}

export function incrementMany(lock: Lock, cell: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    lock.acquire();
    cell[0]++;
    lock.release();
  }
}

export function incrementRecursively(
  lock: RLock,
  cell: Int32Array,
  n: number,
): void {
  for (let i = 0; i < n; i++) {
    using _ = lock.hold();
    using _again = lock.hold();
    cell[0]++;
  }
}

export function holdUntil(
  lock: Lock | RLock,
  held: Event,
  release: Event,
): void {
  lock.acquire();
  held.set();
  release.wait();
  lock.release();
}

export function tryRelease(lock: Lock | RLock, out: SharedText): void {
  try {
    lock.release();
    out.write("released");
  } catch (error) {
    out.write(`${(error as Error).name}: ${(error as Error).message}`);
  }
}

export function acquireWithTimeout(
  lock: Lock,
  ms: number,
  out: Int32Array,
): void {
  const start = performance.now();
  out[0] = lock.acquire({ timeout: ms }) ? 1 : 2;
  out[1] = Math.round(performance.now() - start);
  if (out[0] === 1) lock.release();
  Atomics.store(out, 2, 1);
}

export async function asyncTarget(go: Event, out: Int32Array): Promise<void> {
  await go.waitAsync();
  await new Promise((r) => setTimeout(r, 5));
  Atomics.store(out, 0, 1);
}

export function joinOther(other: Thread, out: SharedText): void {
  const joined = other.join(10_000);
  out.write(`${other.name}|${joined}|${other.isAlive()}`);
}

export function inspectArgs(value: unknown, out: SharedText): void {
  const v = value as {
    lock: Lock;
    point: Point;
    nested: { list: Point[]; map: Map<string, Point>; shared: Int32Array };
    date: Date;
  };
  v.nested.shared[0] = 99;
  out.write(JSON.stringify({
    lock: v.lock instanceof Lock,
    locked: v.lock.locked(),
    point: v.point instanceof Point ? v.point.norm() : -1,
    list: v.nested.list.map((p) => p instanceof Point),
    map: v.nested.map.get("a") instanceof Point,
    same: v.nested.list[0] === v.point,
    date: v.date instanceof Date,
  }));
}

export class Point {
  constructor(public x: number, public y: number) {}
  norm(): number {
    return Math.hypot(this.x, this.y);
  }
}

export class RecordingThread extends Thread {
  label = "";
  out: SharedText | undefined;
  constructor(label: string, out: SharedText) {
    super({ name: `recording-${label}` });
    this.label = label;
    this.out = out;
  }
  override run(): void {
    this.out!.write(
      `${this.label}|${this instanceof RecordingThread}|${this.name}`,
    );
  }
}

export class Boom extends Error {
  constructor(public cell: Int32Array) {
    super("boom in thread");
  }
}

export function fail(cell: Int32Array): void {
  throw new Boom(cell);
}

export async function failAsync(cell: Int32Array): Promise<void> {
  await new Promise((r) => setTimeout(r, 1));
  throw new Boom(cell);
}

export function recordingHook(args: ExceptHookArgs): void {
  const error = args.error as Boom;
  Atomics.store(error.cell, 0, 1);
  Atomics.store(error.cell, 1, args.thread?.ident ?? -1);
}

export function sleepThenMark(ms: number, cell: Int32Array): void {
  sleep(ms);
  Atomics.store(cell, 0, 1);
}

export function countWhile(cell: Int32Array): void {
  Atomics.store(cell, 1, 1);
  Atomics.notify(cell, 1);
  while (Atomics.load(cell, 0) === 0) Atomics.add(cell, 2, 1);
}

export function noop(): void {}

export function startChild(child: SharedText, release: Event): void {
  const t = new Thread({ target: waitOn, args: [release], name: "grandchild" });
  t.start();
  child.write(`${t.name}|${enumerate().map((x) => x.name).join(",")}`);
}

export function tryAcquireCount(
  lock: Lock,
  go: Event,
  out: Int32Array,
  index: number,
): void {
  go.wait();
  let got = 0;
  for (let i = 0; i < 1000; i++) {
    if (lock.tryAcquire()) {
      got++;
      lock.release();
    }
  }
  Atomics.store(out, index, got);
}

export function waitAndCount(
  event: Event,
  ready: Int32Array,
  out: Int32Array,
): void {
  Atomics.add(ready, 0, 1);
  Atomics.notify(ready, 0);
  if (event.wait(10_000)) Atomics.add(out, 0, 1);
}

export function formatInThread(pattern: string, out: SharedText): void {
  out.write(logFormatter(pattern)({ levelName: "INFO", msg: "from a thread" }));
}

// Condition

/** Waits on `cond` once; counts itself in out[0] when woken. */
export function condWaiter(cond: Condition, out: Int32Array): void {
  using _ = cond.hold();
  if (cond.wait(30_000)) Atomics.add(out, 0, 1);
  Atomics.notify(out, 0);
}

/** Holds an RLock three levels deep across a wait, then releases them all. */
export function recursiveWaiter(cond: Condition, out: SharedText): void {
  cond.acquire();
  cond.acquire();
  cond.acquire();
  const notified = cond.wait(30_000);
  let released = 0;
  try {
    for (let i = 0; i < 3; i++, released++) cond.release();
    cond.release();
  } catch (error) {
    out.write(`${notified}|${released}|${(error as Error).name}`);
  }
}

/** Plays one side of a ping-pong on `turn` (0 or 1) for `rounds` rounds. */
export function pingPong(
  cond: Condition,
  state: Int32Array,
  me: number,
  rounds: number,
): void {
  for (let i = 0; i < rounds; i++) {
    using _ = cond.hold();
    while (state[0] !== me) cond.wait();
    state[0] = 1 - me;
    state[1]++;
    cond.notify();
  }
}

/** Puts `count` numbers into a bounded buffer guarded by `cond`. */
export function produce(
  cond: Condition,
  buffer: Int32Array,
  start: number,
  count: number,
): void {
  // buffer: [0] length, [1..16] items
  for (let i = 0; i < count; i++) {
    using _ = cond.hold();
    cond.waitFor(() => buffer[0] < 16);
    buffer[1 + buffer[0]++] = start + i;
    cond.notifyAll();
  }
}

/** Takes `count` numbers from the buffer, adding them up in sums[index]. */
export function consume(
  cond: Condition,
  buffer: Int32Array,
  sums: Float64Array,
  index: number,
  count: number,
): void {
  for (let i = 0; i < count; i++) {
    using _ = cond.hold();
    cond.waitFor(() => buffer[0] > 0);
    sums[index] += buffer[buffer[0]--];
    cond.notifyAll();
  }
}

// Semaphore

/** Acquires once (counted in out[0] when acquired), then waits for `release`. */
export function semWaiter(
  sem: Semaphore,
  out: Int32Array,
  ready: Int32Array,
): void {
  Atomics.add(ready, 0, 1);
  Atomics.notify(ready, 0);
  if (sem.acquire({ timeout: 30_000 })) Atomics.add(out, 0, 1);
  Atomics.notify(out, 0);
}

/** Holds `sem` `n` times, tracking current holders in s[0] and the maximum in s[1]. */
export function semHolder(sem: Semaphore, s: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    using _ = sem.hold();
    const now = Atomics.add(s, 0, 1) + 1;
    for (let max = Atomics.load(s, 1); now > max; max = Atomics.load(s, 1)) {
      Atomics.compareExchange(s, 1, max, now);
    }
    Atomics.sub(s, 0, 1);
  }
}

// Barrier

/** Passes `rounds` rounds; checks every party arrived before any left. */
export function barrierRounds(
  barrier: Barrier,
  arrivals: Int32Array,
  seen: Int32Array,
  rounds: number,
): void {
  const parties = barrier.parties;
  for (let r = 0; r < rounds; r++) {
    Atomics.add(arrivals, 0, 1);
    const index = barrier.wait(30_000);
    if (Atomics.load(arrivals, 0) < (r + 1) * parties) {
      Atomics.add(arrivals, 1, 1); // an error
    }
    Atomics.add(seen, r * parties + index, 1);
    barrier.wait(30_000); // nobody starts round r + 1 before all checked round r
  }
}

/** Waits once; records the outcome in out[slot]: 1 passed, 2 broken, 3 other error. */
export function barrierOnce(
  barrier: Barrier,
  out: Int32Array,
  slot: number,
  timeout?: number,
): void {
  Atomics.add(out, 15, 1);
  Atomics.notify(out, 15);
  try {
    barrier.wait(timeout);
    out[slot] = 1;
  } catch (error) {
    out[slot] = error instanceof BrokenBarrierError ? 2 : 3;
  }
}

/** A barrier action: counts rounds in the process environment (shared by every thread). */
export function countAction(): void {
  const n = Number(Deno.env.get("WEFT_BARRIER_ACTIONS") ?? "0") + 1;
  Deno.env.set("WEFT_BARRIER_ACTIONS", String(n));
  Deno.env.set("WEFT_BARRIER_ACTION_THREAD", String(getIdent()));
}

/** A barrier action that fails. */
export function failingAction(): void {
  throw new RangeError("action failed");
}

/** Waits at a barrier whose action counts rounds; records what it saw after each round. */
export function actionRounds(
  barrier: Barrier,
  out: Int32Array,
  rounds: number,
): void {
  for (let r = 0; r < rounds; r++) {
    barrier.wait(30_000);
    if (Number(Deno.env.get("WEFT_BARRIER_ACTIONS")) === 2 * r + 1) {
      Atomics.add(out, 0, 1);
    }
    barrier.wait(30_000);
  }
}

// ThreadLocal

/** Sets its own value, waits for every thread to set theirs, then checks its own. */
export function localIsolation(
  local: ThreadLocal,
  barrier: Barrier,
  out: Int32Array,
  i: number,
): void {
  if ("value" in local) out[i] = -1;
  local.value = i;
  barrier.wait(30_000);
  if (out[i] === 0) out[i] = local.value === i ? 1 : -2;
}

export class CountingLocal extends ThreadLocal {
  constructor(start: number, tag: string) {
    super(start, tag);
    this.inits = ((this.inits as number | undefined) ?? 0) + 1;
    this.start = start;
    this.tag = tag;
  }
}

/** Reports what a CountingLocal holds in this thread, and whether two arrivals are one object. */
export function inspectLocal(
  a: CountingLocal,
  b: CountingLocal,
  out: SharedText,
): void {
  out.write(JSON.stringify({
    same: a === b,
    cls: a instanceof CountingLocal,
    inits: a.inits,
    start: a.start,
    tag: a.tag,
    repr: String(a),
  }));
}

// SharedValue

export function addMany(value: SharedValue<number>, n: number): void {
  for (let i = 0; i < n; i++) value.update((v) => v + 1);
}

/** Marks out[0] = 1 and out[1] = its argument. */
export function mark(out: Int32Array, value: number): void {
  Atomics.store(out, 1, value);
  Atomics.store(out, 0, 1);
  Atomics.notify(out, 0);
}

/** Marks that it started, then waits for `release`, then marks it finished. */
export function markThenWait(out: Int32Array, release: Event): void {
  Atomics.store(out, 0, 1);
  Atomics.notify(out, 0);
  release.wait();
  Atomics.store(out, 1, 1);
}

// Queues

/** Puts `count` numbers from `start`. */
export function producer(q: Queue<number>, start: number, count: number): void {
  for (let i = 0; i < count; i++) q.put(start + i);
}

/** Takes `count` numbers, counting each in seen[n]. */
export function consumer(
  q: Queue<number>,
  seen: Int32Array,
  count: number,
): void {
  for (let i = 0; i < count; i++) {
    Atomics.add(seen, q.get(), 1);
    q.taskDone();
  }
}

/** Marks that it is about to get, then gets one item and records it. */
export function getOne(
  q: Queue<unknown>,
  out: SharedText,
  started: Event,
  timeout = 30_000,
): void {
  started.set();
  try {
    out.write(JSON.stringify({ item: q.get({ timeout }) }));
  } catch (error) {
    out.write(JSON.stringify({ error: (error as Error).name }));
  }
}

/** Marks that it is about to put, then puts one item. */
export function putOne(
  q: Queue<unknown>,
  item: unknown,
  out: SharedText,
  started: Event,
): void {
  started.set();
  try {
    q.put(item, { timeout: 30_000 });
    out.write("put");
  } catch (error) {
    out.write((error as Error).name);
  }
}

/** Takes one item whose shared parts it changes: a Lock it releases, a typed array it writes. */
export function useShared(
  q: Queue<{ lock: Lock; cells: Int32Array; nested: { list: Int32Array[] } }>,
): void {
  const item = q.get();
  item.cells[0] = 7;
  item.nested.list[0][1] = 8;
  if (item.lock instanceof Lock) item.lock.release();
  q.taskDone();
}

/** Gets items and marks them done one by one, after `go`. */
export function drainAfter(q: Queue<number>, go: Event, count: number): void {
  go.wait();
  for (let i = 0; i < count; i++) {
    q.get();
    q.taskDone();
  }
}

/** Orders by the second element, descending. */
export function bySecondDescending(
  a: [number, number],
  b: [number, number],
): number {
  return b[1] - a[1];
}

/** Puts Points from a thread. */
export function putPoints(q: Queue<Point>, n: number): void {
  for (let i = 0; i < n; i++) q.put(new Point(i, i));
}

// Worker reuse

/** Records what a (possibly reused) worker shows the new thread. */
export function freshness(
  out: Int32Array,
  local: CountingLocal,
  text: SharedText,
): void {
  out[0] = getIdent();
  out[1] = "mark" in local ? 1 : 0;
  out[2] = local.inits as number;
  local.mark = true;
  // Ticks of an earlier thread's interval that ran while a later thread ran.
  const g = globalThis as { leftoverTicks?: number };
  out[3] = g.leftoverTicks ?? 0;
  g.leftoverTicks = 0;
  const me = getIdent();
  setInterval(() => {
    if (getIdent() !== me) g.leftoverTicks!++;
  }, 1);
  text.write(currentThread().name);
}

/** Answers pings with pongs, counting each answer in count[0] before setting pong. */
export function eventPong(
  ping: Event,
  pong: Event,
  rounds: number,
  count: Int32Array,
): void {
  for (let i = 0; i < rounds; i++) {
    if (!ping.wait(20_000)) return;
    ping.clear();
    Atomics.add(count, 0, 1);
    pong.set();
  }
}

/** A synchronous target that leaves a rejected promise nobody handles. */
export function rejectUnhandled(cell: Int32Array): void {
  Promise.reject(new Boom(cell));
}

/** Sets attributes a plain assignment would not: a symbol, a hidden one. */
export function hideAttributes(local: ThreadLocal, out: Int32Array): void {
  const key = Symbol.for("weft.test.symbol");
  out[0] = Reflect.ownKeys(local).length;
  (local as unknown as Record<symbol, unknown>)[key] = 1;
  Object.defineProperty(local, "hidden", {
    value: 2,
    enumerable: false,
    configurable: true,
  });
  out[1] = Reflect.ownKeys(local).length;
}

/** A ThreadLocal subclass whose constructor fails in every thread but main. */
export class FailingLocal extends ThreadLocal {
  constructor(home: number) {
    super(home);
    if (getIdent() !== home) throw new Error("no defaults in this thread");
    this.ok = true;
  }
}

/** Touches a FailingLocal twice; both touches throw; records what they threw. */
export function touchFailing(local: FailingLocal, out: SharedText): void {
  const seen: string[] = [];
  for (let i = 0; i < 2; i++) {
    try {
      seen.push(String(local.ok));
    } catch (error) {
      seen.push((error as Error).message);
    }
  }
  out.write(seen.join("|"));
}

/** Starts a child thread (pool off: main must create its worker) and joins it. */
export function startAndJoinChild(cell: Int32Array): void {
  const t = new Thread({ target: markCell, args: [cell], name: "child" });
  t.start();
  t.join();
}

export function markCell(cell: Int32Array): void {
  Atomics.add(cell, 0, 1);
}

// Codec and queue classes (tests/codec_test.ts, the class tests at the end of
// tests/queue_test.ts). Nothing here may import tests/_codec_late_class.ts or
// tests/_queue_late_class.ts statically, nor tests/_unloaded_class.ts at all:
// those tests need threads that have not loaded those classes (a dynamic
// import of the first two, run only when asked, is fine).

/** Decodes an encoded Point synchronously here; reports what came back. */
export function decodePointSync(bytes: Uint8Array, out: SharedText): void {
  try {
    const value = decode(bytes.slice());
    out.write(JSON.stringify({
      instance: value instanceof Point,
      norm: (value as Point).norm(),
    }));
  } catch (error) {
    out.write(JSON.stringify({ error: String(error) }));
  }
}

/**
 * Decodes an encoded LateCodecThing synchronously (this thread has not loaded
 * its class: expected to fail), then asynchronously; reports both.
 */
export async function decodeLateClass(
  bytes: Uint8Array,
  out: SharedText,
): Promise<void> {
  const report: Record<string, unknown> = {};
  try {
    decode(bytes.slice());
    report.sync = "no error";
  } catch (error) {
    report.sync = `${(error as Error).name}: ${(error as Error).message}`;
  }
  try {
    const value = await decodeAsync(bytes.slice()) as {
      label: string;
      total(): number;
    };
    const { LateCodecThing } = await import("./_codec_late_class.ts");
    report.instance = value instanceof LateCodecThing;
    report.label = value.label;
    report.total = value.total();
  } catch (error) {
    report.async = String(error);
  }
  out.write(JSON.stringify(report));
}

/**
 * Takes `n` items with a synchronous get(); for item i, out[2i] is 1 when it
 * is a Point here (instanceof), -1 otherwise, and out[2i + 1] its norm x 1000.
 * out[15] is set to 1 at the end.
 */
export function getPointsSync(
  q: Queue<unknown>,
  n: number,
  out: Int32Array,
): void {
  try {
    for (let i = 0; i < n; i++) {
      const item = q.get({ timeout: 10_000 });
      out[2 * i] = item instanceof Point ? 1 : -1;
      out[2 * i + 1] = Math.round((item as Point).norm() * 1000);
    }
  } finally {
    Atomics.store(out, 15, 1);
  }
}

/**
 * Takes three items: a synchronous get() of an instance of a class this
 * thread has not loaded (expected to throw, the item in the error), a
 * getAsync() of another (which imports the class), then a get(); reports
 * each and qsize() after.
 */
export async function getUnloadedClass(
  q: Queue<unknown>,
  out: SharedText,
): Promise<void> {
  const report: Record<string, unknown> = {};
  try {
    q.get({ timeout: 10_000 });
    report.sync = "no error";
  } catch (error) {
    report.sync = `${(error as Error).name}: ${(error as Error).message}`;
    report.value = (error as { value?: unknown }).value;
  }
  try {
    const item = await q.getAsync({ timeout: 10_000 }) as {
      label: string;
      thing: { describe(): string };
    };
    const { LateQueueThing } = await import("./_queue_late_class.ts");
    report.label = item.label;
    report.instance = item.thing instanceof LateQueueThing;
    report.describe = item.thing.describe();
  } catch (error) {
    report.async = String(error);
  }
  report.last = q.get({ timeout: 10_000 });
  report.left = q.qsize();
  out.write(JSON.stringify(report));
}

/** Takes one item from `from` and puts it into `to`, `ready` set first. */
export function relayOne(
  from: Queue<unknown>,
  to: Queue<unknown>,
  ready: Event,
): void {
  ready.set();
  to.put(from.get({ timeout: 30_000 }));
}

/** Puts an item holding a copied typed array next to a secret string. */
export function putWithSecret(q: Queue<unknown>, secret: string): void {
  const backing = new Uint8Array(64);
  backing.set(new TextEncoder().encode(secret), 0);
  backing.set([1, 2, 3, 4], 40);
  q.put({ secret, data: backing.subarray(40, 44) });
}

/** Waits in q.join(); out[0] = 1 when it returned, 2 on error. */
export function joinQueue(
  q: Queue<unknown>,
  started: Event,
  out: Int32Array,
): void {
  started.set();
  try {
    q.join();
    Atomics.store(out, 0, 1);
  } catch {
    Atomics.store(out, 0, 2);
  }
  Atomics.notify(out, 0);
}

/** Waits on `barrier` (blocking); records the arrival index at out[slot]. */
export function barrierIndex(
  barrier: Barrier,
  out: Int32Array,
  slot: number,
): void {
  out[slot] = barrier.wait() + 1;
}

/** Acquires `sem` once and records that it did in out[0]. */
export function acquireOnce(sem: Semaphore, out: Int32Array): void {
  if (sem.acquire({ timeout: 30_000 })) Atomics.store(out, 0, 1);
}

/** Stores the thread's V8 heap limit (MB) in out[0]. */
export function recordHeapLimit(out: Int32Array): void {
  out[0] = Math.floor(v8.getHeapStatistics().heap_size_limit / 2 ** 20);
}

/** Drawn once per worker: the module is loaded once in each. */
const workerToken = 1 + Math.floor(Math.random() * 2 ** 30);

/** Stores a number that tells apart the workers the thread ran on. */
export function recordWorkerToken(out: Int32Array): void {
  out[0] = workerToken;
}

// Classes that are not exported, and items that cannot be rebuilt
// (tests/queue_test.ts, executor_test.ts, thread_test.ts, the containers').

/** Not exported: its instances are refused where they are sent. */
class Hidden {
  secret = "kept here";
}

/** An instance of a class this module does not export. */
export function makeHidden(): object {
  return new Hidden();
}

/**
 * Gets three items synchronously, calling taskDone() after each (not on a
 * SimpleQueue, which has none), and writes
 * what each was: `{ item }`, or `{ error, value }` for a get that threw.
 */
export function takeThree(
  q: Queue<unknown> | SimpleQueue<unknown>,
  out: SharedText,
): void {
  const got: unknown[] = [];
  for (let i = 0; i < 3; i++) {
    try {
      got.push({ item: q.get({ timeout: 10_000 }) });
    } catch (error) {
      got.push({
        error: `${(error as Error).name}: ${(error as Error).message}`,
        value: (error as { value?: unknown }).value,
      });
    }
    if (q instanceof Queue) q.taskDone();
  }
  out.write(JSON.stringify(got));
}
