// Per-isolate state: the registry this isolate shares, which thread it runs,
// and (in the isolate that created the registry) the guard that keeps the
// process alive while non-daemon threads run.
import {
  isMainThread,
  type MessagePort,
  workerData,
} from "node:worker_threads";
import { H_NON_DAEMON } from "./_layout.ts";
import { Registry } from "./_registry.ts";
import type { CodeRef } from "./_locate.ts";

/** What a worker receives when it is started as a thread. */
export interface Boot {
  weftRegistry: SharedArrayBuffer;
  slot: number;
  gen: number;
  payload: Payload;
  /** The thread's port to the relay (see _relay.ts). */
  relay: MessagePort;
  /** Whether the worker may park for reuse when its thread ends (see _pool.ts). */
  pooled: boolean;
}

/** How the thread's code is found again in the worker. */
export interface Payload {
  /** The class to instantiate when the thread is a subclass. */
  cls?: CodeRef;
  /** The target, for a plain Thread. */
  target?: CodeRef;
  /** Encoded arguments of the target. */
  args: unknown;
  /** Encoded own fields of the thread object. */
  fields: unknown;
  /** Encoded extra state of the library's own Thread subclasses. */
  extra: unknown;
}

/** The isolate's runtime. */
export interface Runtime {
  readonly registry: Registry;
  /** Set when this isolate runs threads started by this module: the current one's. */
  boot: Boot | undefined;
  /** The Thread object of the code running in this isolate. */
  current: unknown;
  /** Thread objects this isolate knows, by slot, for identity. */
  readonly known: Map<number, unknown>;
  /** Workers started from this isolate and not yet exited. */
  children: number;
  /** Called when `children` drops to 0. */
  onNoChildren: (() => void) | undefined;
  /** The main thread's slot is 0 everywhere. */
  readonly mainSlot: 0;
}

const KEY = Symbol.for("@weft/threading/runtime");

function isBoot(data: unknown): data is Boot {
  return typeof data === "object" && data !== null &&
    (data as Boot).weftRegistry instanceof SharedArrayBuffer;
}

function create(): Runtime {
  const boot = !isMainThread && isBoot(workerData) ? workerData : undefined;
  const registry = new Registry(boot?.weftRegistry);
  if (boot === undefined) {
    registry.allocate({ name: "MainThread", daemon: false }, true);
    guardProcess(registry);
  }
  return {
    registry,
    boot,
    current: undefined,
    known: new Map(),
    children: 0,
    onNoChildren: undefined,
    mainSlot: 0,
  };
}

/**
 * Python's process lifetime: while any non-daemon thread is alive, a ref'd
 * timer keeps the process running; workers themselves are unref'd, so daemon
 * threads never hold the process, even when blocked or busy.
 */
function guardProcess(registry: Registry): void {
  let timer: ReturnType<typeof setInterval> | undefined;
  const watch = (): void => {
    for (;;) {
      const count = Atomics.load(registry.words, H_NON_DAEMON);
      if (count > 0 && timer === undefined) {
        timer = setInterval(() => {}, 1 << 30);
      } else if (count <= 0 && timer !== undefined) {
        clearInterval(timer);
        timer = undefined;
      }
      const wait = Atomics.waitAsync(registry.words, H_NON_DAEMON, count);
      if (wait.async) {
        wait.value.then(watch);
        return;
      }
    }
  };
  watch();
}

/** This isolate's runtime, shared by every copy of the module loaded in it. */
export function runtime(): Runtime {
  const global = globalThis as unknown as Record<symbol, Runtime | undefined>;
  return global[KEY] ??= create();
}
