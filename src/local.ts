/**
 * {@linkcode ThreadLocal}: attributes that each thread sees its own of.
 * Python's `threading.local`.
 *
 * @module
 */
import { runtime } from "./_runtime.ts";
import { decode, encode, registerShareable } from "./_marshal.ts";
import {
  callerModules,
  type CodeRef,
  describe,
  markLib,
  resolve,
  resolveSync,
} from "./_locate.ts";

interface Meta {
  id: number;
  args: unknown[];
  modules: string[];
}

interface LocalState {
  id: number;
  cls: CodeRef;
  args: unknown;
}

const metas = new WeakMap<object, Meta>();
/** This thread's object for each ThreadLocal id. */
const locals = new Map<number, WeakRef<object>>();
/** Set while another thread's local is rebuilt here. */
let adopting: { target: object; meta: Meta } | undefined;

/**
 * Thread-local data: attributes set on it are seen only by the thread that
 * set them. Passed to another thread, it arrives as the same local with none
 * of the sender's values.
 *
 * A subclass passes its constructor arguments to `super(...args)`; in every
 * other thread its constructor runs again, with those arguments, when the
 * local arrives there (so defaults set in the constructor are there in every
 * thread). Like thread targets, the subclass must be exported from an
 * importable module.
 *
 * @example
 * ```ts
 * import { Thread, ThreadLocal } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * const local = new ThreadLocal();
 * local.value = 1000;
 * const seen = new Int32Array(new SharedArrayBuffer(4));
 * const t = new Thread({
 *   target: (data: ThreadLocal, out: Int32Array) => {
 *     out[0] = "value" in data ? 1 : 2;
 *     data.value = 7;
 *   },
 *   args: [local, seen],
 * });
 * t.start();
 * t.join();
 * assert.equal(seen[0], 2);
 * assert.equal(local.value, 1000);
 * ```
 */
export class ThreadLocal {
  /** Attributes, each thread its own. */
  [attribute: string]: unknown;

  /**
   * Creates thread-local data.
   *
   * @param args Arguments of a subclass's constructor, kept to run it again in
   * other threads.
   */
  constructor(...args: unknown[]) {
    const adopt = adopting;
    adopting = undefined;
    if (adopt !== undefined) {
      Object.setPrototypeOf(adopt.target, new.target.prototype);
      metas.set(adopt.target, adopt.meta);
      return adopt.target as ThreadLocal;
    }
    const meta = {
      id: runtime().registry.nextLocalId(),
      args,
      modules: callerModules(),
    };
    metas.set(this, meta);
    locals.set(meta.id, new WeakRef(this));
  }

  static {
    registerShareable("ThreadLocal", ThreadLocal, (local): LocalState => {
      const meta = metas.get(local)!;
      return {
        id: meta.id,
        cls: describe(Object.getPrototypeOf(local).constructor, meta.modules),
        args: encode(meta.args, "ThreadLocal arguments", meta.modules),
      };
    }, (state, pending) => {
      const s = state as LocalState;
      const known = locals.get(s.id)?.deref();
      if (known !== undefined) return known as ThreadLocal;
      const target = {};
      locals.set(s.id, new WeakRef(target));
      const args = decode(s.args, pending) as unknown[];
      const construct = (cls: unknown): void => {
        adopting = { target, meta: { id: s.id, args, modules: [] } };
        Reflect.construct(cls as typeof ThreadLocal, args);
      };
      const now = resolveSync(s.cls, pending === undefined);
      if (now !== undefined) construct(now.fn);
      else {
        const before = Promise.all([...pending!]);
        pending!.push(
          before.then(() => resolve(s.cls)).then(({ fn }) => construct(fn)),
        );
      }
      return target as ThreadLocal;
    });
  }

  /**
   * Python's repr: `<MyLocal object at 0x00000001>`, the same in every thread.
   *
   * @returns The class and the local's id.
   */
  toString(): string {
    const id = metas.get(this)?.id ?? 0;
    return `<${Object.getPrototypeOf(this).constructor.name} object at 0x${
      id.toString(16).padStart(8, "0")
    }>`;
  }
}

markLib(ThreadLocal, "ThreadLocal");

/**
 * Internal: a reused worker runs a new thread, which must see every local
 * fresh: attributes dropped, a subclass's constructor run again.
 */
export function _resetLocals(): void {
  for (const [id, ref] of locals) {
    const local = ref.deref() as Record<string, unknown> | undefined;
    const meta = local && metas.get(local);
    if (local === undefined || meta === undefined) {
      locals.delete(id);
      continue;
    }
    for (const key of Object.keys(local)) delete local[key];
    const cls = Object.getPrototypeOf(local).constructor;
    if (cls !== ThreadLocal) {
      adopting = { target: local, meta };
      Reflect.construct(cls, meta.args);
    }
  }
}
