// Per-isolate state: the registry this isolate shares, which thread it runs,
// and (in the main thread) the guard that keeps the process alive while
// non-daemon threads run.
import { isMainThread, workerData } from "node:worker_threads";
import { H_NON_DAEMON } from "../_core/layout.ts";
import { bootHeap } from "../_core/heap.ts";
import { Registry } from "./registry.ts";
import type { Boot } from "./workers.ts";

/** The isolate's runtime. */
export interface Runtime {
  readonly registry: Registry;
  /** Set in a worker this library started. */
  readonly boot: Boot | undefined;
  /** The registry slot of the thread running in this isolate now. */
  slot: number;
  /** Its generation. */
  gen: number;
  /** The Thread object of the code running in this isolate. */
  current: unknown;
  /**
   * The Thread object of the thread in a slot (thread.ts installs it when it
   * loads: modules below it reach Thread objects through this).
   */
  threadIn: (slot: number) => unknown;
  /** Thread objects this isolate knows, by slot, for identity. */
  readonly known: Map<number, unknown>;
  /** Workers started from this isolate (not main) and not yet exited. */
  children: number;
  /** Called when `children` drops to 0. */
  onNoChildren: (() => void) | undefined;
  /** The main thread's slot is 0 everywhere. */
  readonly mainSlot: 0;
}

const KEY = Symbol.for("@weft/threading/runtime");

function create(): Runtime {
  const boot = !isMainThread && bootHeap(workerData) !== undefined
    ? workerData as Boot
    : undefined;
  const registry = new Registry();
  if (boot === undefined) {
    registry.allocate({ name: "MainThread", daemon: false }, true);
    guardProcess(registry);
  }
  return {
    registry,
    boot,
    slot: 0,
    gen: 0,
    current: undefined,
    threadIn: () => {
      throw new Error("@weft/threading: thread.ts is not loaded");
    },
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
