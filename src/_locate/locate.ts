// Finding a function or class again in another thread. Functions cannot be
// sent between isolates, so a thread's target (or Thread subclass, or class of
// an argument) travels as a description: its name, its source, the module
// that exports it (its home: found by the sender, see locate()) and other
// candidate modules. The receiving thread finds it in the namespaces it can
// reach without evaluating anything (see _modules.ts), or, asynchronously,
// imports those modules (their top level runs there, as in Python) and picks
// the export with that source.
import { freeNames, SAFE_GLOBALS } from "./free_names.ts";
import { callerModules, isLibrary } from "../_core/call_sites.ts";
import { closeWindow, openWindow } from "../_sharing/module_level.ts";
import { libName, libValue } from "../_core/lib_exports.ts";
import {
  declaresName,
  exportsName,
  importsFrom,
  knownNamespaces,
  mayExport,
  modulesFrom,
  type Namespace,
  namespaceIfKnown,
  namespaceOf,
  rememberNamespace,
  type Walk,
} from "./modules.ts";

/** Where a function or class can be found again. */
export interface CodeRef {
  /** `fn.name`. */
  name: string;
  /** `fn.toString()`: tells same-named exports apart, and is the fallback. */
  source: string;
  /** Candidate modules, most specific first (the home first). */
  modules: string[];
  /**
   * The module that exports it, as the sender found it: by identity when it
   * could reach that module's namespace, else by the module's text.
   */
  home?: string;
  /** Set for this library's own exports (Timer...). */
  lib?: string;
}

/** A class's description, and why it cannot cross when it cannot. */
export interface ClassRef extends CodeRef {
  /** Set when no module this thread can see exports the class: why. */
  unexported?: string;
}

/** A located function, and whether it is an inline copy of its source. */
export interface Located {
  fn: (...args: unknown[]) => unknown;
  inline: boolean;
}

type Constructor = abstract new (...args: never[]) => unknown;

/** What locate() found out about a function or class. */
interface Whereabouts {
  home?: string;
  modules: string[];
  unexported?: string;
}

/**
 * Where `value` (a function or class named `name`) is exported, looking
 * from `roots` (where its user thinks it is), the modules on the stack and
 * those this thread imported, and everything they import (at most `depth`
 * imports away): the module whose text exports the name. A module whose
 * namespace is known and does not hold this very value is not it; when
 * several remain, those whose namespaces can be reached without evaluating
 * anything tell by identity (require() costs ~20 ms the first time in a
 * thread: it is asked only then), else the first on the walk is taken.
 * Not found: `unexported` says why when the modules that were read show it
 * is not exported (declared without export, or declared nowhere they can
 * see) and none was unreadable (remote, or no read permission), which
 * would leave it open.
 */
function locate(
  value: object,
  name: string,
  roots: string[],
  depth = Infinity,
): Whereabouts {
  const running = callerModules();
  const walk: Walk = { opaque: false };
  const candidates: string[] = [];
  const modules: string[] = [];
  const found = (url: string): Whereabouts => ({
    home: url,
    modules: unique([url, ...candidates, ...roots]),
  });
  for (const url of modulesFrom([...roots, ...running], walk, depth)) {
    modules.push(url);
    if (!exportsName(url, name)) continue;
    const known = namespaceIfKnown(url);
    if (known === undefined) candidates.push(url);
    else if (holds(known, value)) return found(url);
  }
  for (const [url, ns] of knownNamespaces()) {
    // Exported under another name, or as a default.
    if (holds(ns, value)) return found(url);
  }
  if (candidates.length > 1) {
    const open = candidates.filter((url) => {
      const ns = namespaceOf(url, running);
      return typeof ns === "string" || holds(ns, value);
    });
    const home = open.find((url) => namespaceIfKnown(url) !== undefined) ??
      open[0];
    if (home !== undefined) return found(home);
  } else if (candidates.length === 1) return found(candidates[0]);
  if (name === "") return { modules: roots, unexported: "it has no name" };
  const declared = modules.find((url) => declaresName(url, name));
  if (declared !== undefined) {
    return {
      modules: roots,
      unexported: `${declared} declares it without exporting it`,
    };
  }
  if (walk.opaque || depth !== Infinity) return { modules: roots };
  return {
    modules: roots,
    unexported: `no module this thread has loaded (${
      modules.slice(0, 3).join(", ") || "none"
    }${modules.length > 3 ? ", ..." : ""}) declares it`,
  };
}

function holds(ns: Namespace, value: object): boolean {
  for (const key of Object.keys(ns)) {
    try {
      if (ns[key] === value) return true;
    } catch {
      // An export still in its temporal dead zone.
    }
  }
  return false;
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}

const described = new WeakMap<object, { roots: string[]; ref: CodeRef }>();
/**
 * How many imports away from its user's modules a function is looked for:
 * as far as a receiving thread's search goes (a function needs no refusal,
 * and a thread's first start should not wait for the whole program read).
 */
const FUNCTION_DEPTH = 2;

/** Describes `fn` for another thread; `modules`: where it may be exported. */
export function describe(
  fn: (...args: never[]) => unknown,
  modules: string[],
): CodeRef {
  const cached = described.get(fn);
  if (cached !== undefined && sameList(cached.roots, modules)) {
    return cached.ref;
  }
  const lib = libName(fn);
  let ref: CodeRef;
  if (lib !== undefined) {
    ref = { name: fn.name, source: "", modules: [], lib };
  } else {
    const source = Function.prototype.toString.call(fn);
    // A function without a name is not looked for: it runs inline.
    const where = fn.name === ""
      ? { modules }
      : locate(fn, fn.name, modules, FUNCTION_DEPTH);
    ref = where.home === undefined
      ? { name: fn.name, source, modules: where.modules }
      : { name: fn.name, source, modules: where.modules, home: where.home };
  }
  described.set(fn, { roots: modules, ref });
  return ref;
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The key that tells functions and classes apart across threads: home (or
 * candidate modules), name and source.
 */
export function classKey(ref: CodeRef): string {
  return ref.lib ??
    `${ref.home ?? ref.modules.join(" ")}\u0000${ref.name}\u0000${ref.source}`;
}

/** Classes this thread has met, by key: found at once when they come back. */
const classes = new Map<string, Constructor>();
/** Each class's description in this thread: one search per class. */
const classRefs = new WeakMap<object, ClassRef>();

/**
 * Describes a class whose instance crosses threads, and remembers it here so
 * that instances coming back find this very class. `modules` (asked for once
 * per class) are where its user may think it is exported. A class this
 * thread received is described as it came.
 */
export function describeClass(
  cls: Constructor,
  modules: string[] | (() => string[]),
): ClassRef {
  let ref = classRefs.get(cls);
  if (ref !== undefined) return ref;
  const lib = libName(cls);
  if (lib !== undefined) {
    ref = { name: cls.name, source: "", modules: [], lib };
  } else {
    const roots = typeof modules === "function" ? modules() : modules;
    const source = Function.prototype.toString.call(cls);
    // A module of this library names itself as its class's home: it is
    // not read, the library vouches for its own exports.
    const where = roots.length === 1 && isLibrary(roots[0])
      ? { home: roots[0], modules: roots }
      : locate(cls, cls.name, roots);
    ref = { name: cls.name, source, modules: where.modules };
    if (where.home !== undefined) ref.home = where.home;
    if (where.unexported !== undefined) ref.unexported = where.unexported;
  }
  classRefs.set(cls, ref);
  if (ref.unexported === undefined) classes.set(classKey(ref), cls);
  return ref;
}

// An inline copy runs with this library's exports in scope: its public
// entry, loaded at run time, by URL (the entry imports the thread machinery,
// which imports this). Loading it also declares every kind of primitive.
const LIBRARY_ENTRY = new URL("../../mod.ts", import.meta.url).href;
let libScope: Record<string, unknown> | undefined;

/** Loads this library's public entry in this thread (once). */
export async function loadLibrary(): Promise<void> {
  libScope ??= await import(LIBRARY_ENTRY);
}

const found = new Map<string, Promise<Located>>();
const foundSync = new Map<string, Located>();

/** Finds `ref` in this thread, importing its candidate modules as needed. */
export function resolve(ref: CodeRef): Promise<Located> {
  const key = classKey(ref);
  let pending = found.get(key);
  if (pending === undefined) {
    pending = search(ref, true);
    found.set(key, pending);
    pending.then((located) => foundSync.set(key, located), () => {});
  }
  return pending;
}

/**
 * Finds `ref` without waiting: from what this thread already resolved or can
 * reach, or as an inline copy.
 *
 * @throws {TypeError} When it cannot be found that way.
 */
export function resolveSync(ref: CodeRef): Located {
  const key = classKey(ref);
  const known = foundSync.get(key);
  if (known !== undefined) return known;
  if (ref.lib !== undefined) return fromLib(ref);
  const exported = findSync(ref);
  const located = exported !== undefined
    ? { fn: exported, inline: false }
    : { fn: inlineCopy(ref), inline: true };
  foundSync.set(key, located);
  return located;
}

/**
 * The class `ref` names, if this thread can reach it now: one it described
 * or resolved before, or an export of a module it can reach without
 * evaluating anything. Never an inline copy: an instance must be of the
 * very class this thread's modules define.
 */
export function resolveClassSync(ref: CodeRef): Constructor | undefined {
  const key = classKey(ref);
  const known = classes.get(key);
  if (known !== undefined) return known;
  if (ref.lib !== undefined) return fromLib(ref).fn as unknown as Constructor;
  const cls = findSync(ref) as unknown as Constructor | undefined;
  if (cls !== undefined) adoptClass(key, cls, ref);
  return cls;
}

function adoptClass(key: string, cls: Constructor, ref: CodeRef): void {
  classes.set(key, cls);
  if (!classRefs.has(cls)) classRefs.set(cls, ref);
}

/** The class `ref` names, importing the modules the sender named if needed. */
export async function resolveClass(ref: CodeRef): Promise<Constructor> {
  const now = resolveClassSync(ref);
  if (now !== undefined) return now;
  let located: Located;
  try {
    located = await search(ref, false);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    throw new TypeError(
      ref.home === undefined
        ? `no module the sender named (${
          ref.modules.join(", ") || "none"
        }) exports it`
        : `${ref.home}, imported here, exports no class with this source`,
    );
  }
  const cls = located.fn as unknown as Constructor;
  adoptClass(classKey(ref), cls, ref);
  return cls;
}

function fromLib(ref: CodeRef): Located {
  const fn = libValue(ref.lib!);
  if (typeof fn !== "function") {
    throw new TypeError(`@weft/threading has no export named ${ref.lib}`);
  }
  return { fn: fn as Located["fn"], inline: false };
}

/**
 * `ref` from the namespaces this thread can reach now: its home's (which it
 * must come from, when the sender named one), else any it knows.
 */
function findSync(ref: CodeRef): Located["fn"] | undefined {
  if (ref.home !== undefined) {
    const ns = namespaceIfKnown(ref.home) ??
      namespaceOf(ref.home, callerModules());
    return typeof ns === "string" ? undefined : pick(ns, ref);
  }
  for (const url of ref.modules) {
    const ns = namespaceIfKnown(url);
    const fn = ns && pick(ns, ref);
    if (fn !== undefined) return fn;
  }
  for (const [, ns] of knownNamespaces()) {
    const fn = pick(ns, ref);
    if (fn !== undefined) return fn;
  }
  return undefined;
}

/**
 * Why the class `ref` names cannot be rebuilt here now, for an error that
 * names the class and its module and says what to do.
 */
export function cannotRebuild(ref: CodeRef): string {
  const what = `class ${ref.name || "(anonymous)"}`;
  const fix = "import the module here, or receive the value with getAsync() " +
    "(or await the future), which imports it";
  const home = ref.home;
  if (home === undefined) {
    return `Cannot rebuild an instance of ${what}: no module loaded in this ` +
      `thread exports it (the sender named ${
        ref.modules.join(", ") || "no module"
      }). Export the class from its module, and ${fix}.`;
  }
  const start = `Cannot rebuild an instance of ${what} (exported by ${home})`;
  const ns = namespaceIfKnown(home) ?? namespaceOf(home, callerModules());
  if (typeof ns !== "string") {
    return `${start}: that module, as loaded in this thread, exports no ` +
      `class with this source (the class has not been declared yet, or ` +
      `the module is another version of it).`;
  }
  switch (ns) {
    case "entry running":
      return `${start}: the class is declared in the program's entry ` +
        `module, whose exports are reached only from the turn of the event ` +
        `loop after its top level has finished or waits at an await, and ` +
        `its top level is still running. Declare the class in a module of ` +
        `its own that the entry module imports (it is found at any time), ` +
        `or receive the value later, or with getAsync() (or await the ` +
        `future), which waits for it.`;
    case "top-level await":
      return `${start}: that module or one it imports uses top-level ` +
        `await, so its exports can only be reached asynchronously: ` +
        `receive the value with getAsync() (or await the future).`;
    case "evaluating":
      return `${start}: that module is still evaluating (an import cycle ` +
        `with the code running now); receive the value once it has ` +
        `finished.`;
    case "no permission":
      return `${start}: reaching that module needs read access: run with ` +
        `--allow-read (-R).`;
    case "remote":
      return `${start}: that module is remote, and this thread has not ` +
        `imported it: ${fix}.`;
    default:
      return `${start}: the class's module is not loaded in this thread ` +
        `(a module imported only for its types is not loaded): ${fix}.`;
  }
}

async function search(ref: CodeRef, inline: boolean): Promise<Located> {
  if (ref.lib !== undefined) {
    // Marked when its module loads: the library's entry loads them all.
    if (libValue(ref.lib) === undefined) await loadLibrary();
    return fromLib(ref);
  }
  const home = ref.home === undefined ? undefined : await tryImport(ref.home);
  if (home !== undefined) {
    // The module the sender found it in, and no other: another module's
    // function with the same source would run with that module's imports.
    const fn = pick(home, ref);
    if (fn !== undefined) return { fn, inline: false };
  } else {
    const fn = await searchModules(ref);
    if (fn !== undefined) return { fn, inline: false };
  }
  if (!inline) throw new TypeError(notFound(ref));
  await loadLibrary();
  return { fn: inlineCopy(ref), inline: true };
}

/** The candidate modules, then what they import, two levels deep. */
async function searchModules(
  ref: CodeRef,
): Promise<Located["fn"] | undefined> {
  const visited = new Set<string>();
  let frontier = ref.modules;
  for (let depth = 0; depth < 3 && frontier.length > 0; depth++) {
    const next: string[] = [];
    for (const url of frontier) {
      if (visited.has(url)) continue;
      visited.add(url);
      // Importing a module runs its top level: skip modules that visibly do
      // not export the name (a script that only imports its target must not
      // run again in every thread it starts).
      if (mayExport(url, ref.name)) {
        const ns = await tryImport(url);
        const fn = ns && pick(ns, ref);
        if (fn !== undefined) return fn;
      }
      next.push(...importsFrom(url));
    }
    frontier = next;
  }
  return undefined;
}

/** The message for a function that cannot be found in the thread. */
export function notFound(ref: CodeRef): string {
  const where = ref.home ??
    (ref.modules.length > 0
      ? ref.modules.join(", ")
      : "any module on the caller's stack");
  return `"${ref.name || "(anonymous)"}" cannot be found in the new thread: ` +
    `it is not exported from ${where} (or the modules they import), and its ` +
    `source is not a self-contained function. Export it from its module ` +
    `(and pass { module } if that module is not the caller's).`;
}

async function tryImport(url: string): Promise<Namespace | undefined> {
  openWindow();
  try {
    const ns = await import(url);
    rememberNamespace(url, ns);
    return ns;
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) {
      throw new Deno.errors.NotCapable(
        `Cannot load ${url} in the new thread: ${error.message}. Run again ` +
          (url.startsWith("file:")
            ? `with --allow-read (-R)`
            : `with --allow-import`),
        { cause: error },
      );
    }
    return undefined;
  } finally {
    closeWindow();
  }
}

function pick(ns: Namespace, ref: CodeRef): Located["fn"] | undefined {
  const toString = Function.prototype.toString;
  const matches = (value: unknown): boolean =>
    typeof value === "function" && toString.call(value) === ref.source;
  try {
    const named = ns[ref.name];
    if (matches(named)) return named as Located["fn"];
  } catch {
    // In its temporal dead zone: not declared yet.
  }
  for (const key of Object.keys(ns)) {
    try {
      if (matches(ns[key])) return ns[key] as Located["fn"];
    } catch {
      // Another export in its temporal dead zone.
    }
  }
  return undefined;
}

const METHOD = /^(async\s+)?(\*\s*)?([A-Za-z_$][\w$]*)\s*\(/;

/**
 * Evaluates a function's source on its own, with this library in scope, if
 * it reads no name besides its own, the language's globals and this
 * library's exports: anything else would silently mean something else here.
 */
function inlineCopy(ref: CodeRef): Located["fn"] {
  const source = ref.source;
  if (source.endsWith("{ [native code] }")) throw new TypeError(notFound(ref));
  const scope = libScope ?? namespaceIfKnown(LIBRARY_ENTRY);
  if (scope === undefined) {
    throw new TypeError(
      `"${ref.name || "(anonymous)"}" cannot run here yet: it is not ` +
        `exported from any module it could import, and an inline copy of ` +
        `it needs this library loaded in this thread first (receive it ` +
        `asynchronously, or export the function)`,
    );
  }
  const outside = [...freeNames(source)].filter((name) =>
    !SAFE_GLOBALS.has(name) && !Object.hasOwn(scope, name)
  );
  if (outside.length > 0) {
    throw new TypeError(
      `"${ref.name || "(anonymous)"}" cannot run in the new thread: it is ` +
        `not exported from ${
          ref.modules.join(", ") || "any module on the caller's stack"
        }, and it uses ${
          outside.map((n) => `"${n}"`).join(", ")
        }, which would not be the same there (only its parameters and ` +
        `locals, JavaScript's globals and this library's exports are). ` +
        `Export the function from its module, or pass ` +
        `${outside.length > 1 ? "those values" : "the value"} in args.`,
    );
  }
  const names = Object.keys(scope);
  const values = names.map((name) => scope[name]);
  const build = (expr: string): Located["fn"] =>
    new Function(...names, `"use strict"; return (${expr});`)(...values);
  try {
    return build(source);
  } catch (error) {
    // A method (`run() {...}`) is no expression; as a function it is.
    const method = METHOD.exec(source);
    if (!(error instanceof SyntaxError)) throw error;
    if (method === null) throw new TypeError(notFound(ref));
    try {
      return build(
        `${method[1] ?? ""}function${method[2] ? "*" : ""} ${method[3]}${
          source.slice(method[0].length - 1)
        }`,
      );
    } catch {
      throw new TypeError(notFound(ref));
    }
  }
}
