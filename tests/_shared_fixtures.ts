// Thread targets and child programs for shared_test.ts.
import {
  type Event,
  Lock,
  setModuleSharing,
  shared,
  type SharedMap,
  Thread,
} from "../mod.ts";
import { shareOf } from "../src/_core/handles.ts";
import { namesHeld } from "../src/_sharing/registry.ts";

/** A class whose instances travel in shared values. */
export class Tally {
  constructor(public count = 0, public lock = new Lock()) {}
  bump(): number {
    return this.lock.hold(() => ++this.count);
  }
}

/** Waits for `go`, asks for `name`; writes its value's block at out[i]. */
export function askRacing(
  name: string,
  made: Int32Array,
  out: Int32Array,
  i: number,
  go: Int32Array,
): void {
  Atomics.add(go, 1, 1);
  while (Atomics.load(go, 0) === 0) Atomics.pause();
  const lock = shared(name, () => {
    Atomics.add(made, 0, 1);
    return new Lock();
  });
  Atomics.store(out, i, shareOf(lock)!.ref);
}

/** Claims `name`, says so, waits for `go`, then throws. */
export function claimThenThrow(name: string, claimed: Event, go: Event): void {
  try {
    shared(name, () => {
      claimed.set();
      go.wait();
      throw new Error("make failed");
    });
  } catch (error) {
    if ((error as Error).message !== "make failed") throw error;
  }
}

/** Asks for `name` with a make of its own; reports what it got. */
export function askAfter(name: string, asking: Event, out: Int32Array): void {
  asking.set();
  const got = shared(name, () => 7);
  Atomics.store(out, 0, got);
}

/** Reports the parts of a composite shared value. */
export function readComposite(out: Int32Array): void {
  const value = shared("composite", () => {
    throw new Error("made already: never called");
  }) as { tally: Tally; map: SharedMap<string, number>; n: number };
  Atomics.store(out, 0, value.tally instanceof Tally ? 1 : 0);
  Atomics.store(out, 1, value.tally.bump());
  Atomics.store(out, 2, value.map.get("a") ?? -1);
  Atomics.store(out, 3, value.n);
  Atomics.store(out, 4, shareOf(value.map)!.ref);
}

const FACTORY = new URL("./_shared_factory.ts", import.meta.url);

if (import.meta.main) {
  const gc = (globalThis as unknown as { gc: () => void }).gc;
  const collect = async (until: () => boolean): Promise<boolean> => {
    const deadline = performance.now() + 20_000;
    while (!until() && performance.now() < deadline) {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    return until();
  };
  switch (Deno.args[0]) {
    case "lifetime": {
      const before = namesHeld();
      let made = 0;
      const make = () => (made++, new Lock());
      (() => shared("dropped lock", make))();
      const composite = () => ({ lock: new Lock(), n: made++ });
      (() => shared("dropped object", composite))();
      const held = namesHeld() - before;
      const freed = await collect(() => namesHeld() === before);
      shared("dropped lock", make);
      console.log(`held ${held} freed ${freed} made again ${made === 3}`);
      break;
    }
    case "off": {
      setModuleSharing("off");
      const { reportLock, lock } = await import("./_shared_factory.ts");
      const out = new Int32Array(new SharedArrayBuffer(4));
      const t = new Thread({
        target: reportLock,
        args: [out],
        module: FACTORY,
      });
      t.start();
      t.join();
      console.log(
        `same lock in the thread: ${out[0] === shareOf(lock)!.ref}`,
      );
      break;
    }
    case "factory": {
      const { reportLock, lock } = await import("./_shared_factory.ts");
      const out = new Int32Array(new SharedArrayBuffer(4));
      for (let i = 0; i < 3; i++) {
        const t = new Thread({
          target: reportLock,
          args: [out],
          module: FACTORY,
        });
        t.start();
        t.join();
      }
      console.log(
        `same lock in the thread: ${out[0] === shareOf(lock)!.ref}`,
      );
      break;
    }
  }
}
