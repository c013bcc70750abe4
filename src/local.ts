/**
 * {@linkcode ThreadLocal}: attributes that each thread sees its own of.
 * Python's `threading.local`.
 *
 * @module
 */
import { markLib } from "./_core/lib_exports.ts";
import { runtime } from "./_threads/runtime.ts";
import { defineExtension } from "./_codec/codec.ts";
import {
  type CodeRef,
  describe,
  resolveClass,
  resolveClassSync,
} from "./_locate/locate.ts";
import { callerModules } from "./_core/call_sites.ts";
import { threadEpoch } from "./_threads/thread_state.ts";
import { moduleLevelId } from "./_sharing/module_level.ts";

type LocalClass = new (...args: unknown[]) => ThreadLocal;

interface Meta {
  id: number;
  cls: LocalClass;
  args: unknown[];
  modules: string[];
  /** The attributes of the thread that runs now, and which thread that is. */
  epoch: number;
  data: Record<PropertyKey, unknown> | undefined;
}

interface LocalState {
  id: number;
  cls: CodeRef;
  constructorArgs: unknown[];
}

const metas = new WeakMap<object, Meta>();
/** This isolate's local for each ThreadLocal id. */
const locals = new Map<number, WeakRef<ThreadLocal>>();
/** Set while a subclass's constructor runs again over an existing local. */
let reinit: ThreadLocal | undefined;

/**
 * This thread's attributes of a local; the first touch in a thread runs the
 * subclass's constructor again (its defaults), with the arguments it got.
 */
function dataOf(target: object): Record<PropertyKey, unknown> {
  const meta = metas.get(target)!;
  const epoch = threadEpoch();
  if (meta.epoch === epoch && meta.data !== undefined) return meta.data;
  const data = Object.create(null) as Record<PropertyKey, unknown>;
  meta.epoch = epoch;
  meta.data = data;
  if (meta.cls !== ThreadLocal) {
    // A proxy of its own for the constructor: private fields it adds (which
    // cannot be added twice to one object) land there, not on the local.
    reinit = new Proxy(target, handler) as ThreadLocal;
    shells.set(reinit, target);
    try {
      Reflect.construct(meta.cls, meta.args);
    } catch (error) {
      // As Python's: the next touch in this thread tries again.
      meta.data = undefined;
      throw error;
    } finally {
      reinit = undefined;
    }
  }
  return data;
}

const handler: ProxyHandler<object> = {
  get(target, key, receiver) {
    const data = dataOf(target);
    if (key in data) return Reflect.get(data, key, receiver);
    return Reflect.get(Object.getPrototypeOf(target), key, receiver);
  },
  set(target, key, value, receiver) {
    const data = dataOf(target);
    if (!(key in data)) {
      // A setter of the class runs with the local as `this`.
      const inherited = Object.getPrototypeOf(target);
      for (let p = inherited; p !== null; p = Object.getPrototypeOf(p)) {
        const d = Object.getOwnPropertyDescriptor(p, key);
        if (d === undefined) continue;
        if (d.set) return Reflect.apply(d.set, receiver, [value]), true;
        if (d.get || d.writable === false) return false;
        break;
      }
    }
    data[key] = value;
    return true;
  },
  has(target, key) {
    return key in dataOf(target) || key in Object.getPrototypeOf(target);
  },
  deleteProperty(target, key) {
    return delete dataOf(target)[key];
  },
  defineProperty(target, key, descriptor) {
    // A proxy may not report a non-configurable property its target lacks,
    // and one on the target would be every thread's. (A new property is
    // non-configurable unless the descriptor says otherwise.)
    const data = dataOf(target);
    if (
      descriptor.configurable === false ||
      (descriptor.configurable === undefined && !(key in data))
    ) {
      throw new TypeError(
        `Cannot define ThreadLocal attribute ${String(key)} as ` +
          `non-configurable: its attributes are per thread`,
      );
    }
    Object.defineProperty(data, key, { ...descriptor, configurable: true });
    return true;
  },
  getOwnPropertyDescriptor(target, key) {
    return Object.getOwnPropertyDescriptor(dataOf(target), key);
  },
  ownKeys(target) {
    return Reflect.ownKeys(dataOf(target));
  },
};

/**
 * Thread-local data: attributes set on it are seen only by the thread that
 * set them. Passed to another thread, it arrives as the same local with none
 * of the sender's values. When a worker is reused, the new thread sees none
 * of the previous thread's attributes.
 *
 * A subclass passes its constructor arguments to `super(...args)`; in every
 * other thread its constructor runs again, with those arguments, the first
 * time that thread touches the local (so defaults set in the constructor are
 * there in every thread). If it throws there, the touch throws, and the next
 * touch tries again. Like thread targets, the subclass must be exported from
 * an importable module. Private (`#`) fields of a subclass are not per thread.
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
    const again = reinit;
    reinit = undefined;
    if (again !== undefined) return again;
    const meta: Meta = {
      id: moduleLevelId(() => runtime().registry.nextLocalId()),
      cls: new.target as LocalClass,
      args,
      modules: new.target === ThreadLocal ? [] : callerModules(),
      epoch: threadEpoch(),
      data: Object.create(null),
    };
    return register(this, meta);
  }

  static {
    defineExtension(ThreadLocal, (local): LocalState => {
      const meta = metas.get(shells.get(local)!)!;
      return {
        id: meta.id,
        cls: describe(meta.cls as unknown as () => unknown, meta.modules),
        constructorArgs: meta.args,
      };
    }, (state, async) => {
      const s = state as LocalState;
      const known = locals.get(s.id)?.deref();
      if (known !== undefined) return known;
      const meta: Meta = {
        id: s.id,
        cls: ThreadLocal,
        args: s.constructorArgs,
        modules: s.cls.modules,
        epoch: -1,
        data: undefined,
      };
      const local = register(Object.create(ThreadLocal.prototype), meta);
      const adoptClass = (cls: LocalClass): void => {
        meta.cls = cls;
        Object.setPrototypeOf(shells.get(local)!, cls.prototype);
      };
      const now = resolveClassSync(s.cls) as LocalClass | undefined;
      if (now !== undefined) adoptClass(now);
      else if (async !== undefined) {
        async.push(
          resolveClass(s.cls).then((c) => adoptClass(c as LocalClass)),
        );
      } else {
        throw new TypeError(
          `Cannot rebuild ThreadLocal subclass ${s.cls.name}: it is not ` +
            `loaded in this thread; import its module here first`,
        );
      }
      return local;
    });
  }

  /**
   * Python's repr: `<MyLocal object at 0x00000001>`, the same in every thread.
   *
   * @returns The class and the local's id.
   */
  toString(): string {
    const meta = metas.get(shells.get(this) ?? this);
    return `<${meta?.cls.name ?? "ThreadLocal"} object at 0x${
      (meta?.id ?? 0).toString(16).padStart(8, "0")
    }>`;
  }
}

/** Each local's proxy target, which carries the class's prototype. */
const shells = new WeakMap<object, object>();

function register(shell: object, meta: Meta): ThreadLocal {
  metas.set(shell, meta);
  const local = new Proxy(shell, handler) as ThreadLocal;
  shells.set(local, shell);
  locals.set(meta.id, new WeakRef(local));
  return local;
}

markLib(ThreadLocal, "ThreadLocal");
