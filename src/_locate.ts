// Finding a function or class again in another thread. Functions cannot be
// sent between isolates, so a thread's target (or Thread subclass, or class of
// an argument) travels as a description: its name, its source, and the modules
// it may be exported from. The receiving thread imports those modules (their
// top level runs there, as in Python) and picks the export with that source.
import { freeNames, SAFE_GLOBALS } from "./_free_names.ts";
import { closeWindow, openWindow } from "./_module_level.ts";
import { libName, libValue } from "./_lib_exports.ts";

/** Where a function or class can be found again. */
export interface CodeRef {
  /** `fn.name`. */
  name: string;
  /** `fn.toString()`: tells same-named exports apart, and is the fallback. */
  source: string;
  /** Candidate modules, most specific first. */
  modules: string[];
  /** Set for this library's own exports (Timer...). */
  lib?: string;
}

/** A located function, and whether it is an inline copy of its source. */
export interface Located {
  fn: (...args: unknown[]) => unknown;
  inline: boolean;
}

type Constructor = abstract new (...args: never[]) => unknown;

const LIB_DIR = new URL(".", import.meta.url).href;
const LIB_MOD = new URL("../mod.ts", import.meta.url).href;
const FRAME = /((?:file|https?|jsr|npm|data):[^\s()]+?):\d+:\d+/g;

/**
 * The modules on the current call stack outside this library, innermost
 * first: where a target or subclass handed to us is most likely exported.
 */
export function callerModules(): string[] {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 64;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  const out: string[] = [];
  for (const match of stack.matchAll(FRAME)) {
    const url = match[1];
    if (url.startsWith(LIB_DIR) || url === LIB_MOD) continue;
    if (!out.includes(url)) out.push(url);
  }
  return out;
}

const described = new WeakMap<object, CodeRef>();

/** Describes `fn` for another thread. */
export function describe(
  fn: (...args: never[]) => unknown,
  modules: string[],
): CodeRef {
  const cached = described.get(fn);
  if (cached !== undefined && sameList(cached.modules, modules)) return cached;
  const lib = libName(fn);
  const ref: CodeRef = lib === undefined
    ? { name: fn.name, source: Function.prototype.toString.call(fn), modules }
    : { name: fn.name, source: "", modules: [], lib };
  described.set(fn, ref);
  return ref;
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The key that tells classes apart across threads: name and source. */
export function classKey(ref: CodeRef): string {
  return ref.lib ?? `${ref.name}\u0000${ref.source}`;
}

/** Classes this thread has met, by key: found at once when they come back. */
const classes = new Map<string, Constructor>();
const classModules = new WeakMap<object, string[]>();

/**
 * Describes a class whose instance crosses threads, and remembers it here so
 * that instances coming back find this very class. `modules` (asked for once
 * per class) are where it may be exported.
 */
export function describeClass(
  cls: Constructor,
  modules: string[] | (() => string[]),
): CodeRef {
  let where = classModules.get(cls);
  if (where === undefined) {
    where = typeof modules === "function" ? modules() : modules;
    classModules.set(cls, where);
  }
  const ref = describe(cls as unknown as () => unknown, where);
  classes.set(classKey(ref), cls);
  return ref;
}

let libScope: Record<string, unknown> = {};

/** Gives inline copies this library's exports as their scope. */
export function setLibScope(scope: Record<string, unknown>): void {
  libScope = scope;
}

const found = new Map<string, Promise<Located>>();
const foundSync = new Map<string, Located>();
/** Namespaces of the modules this thread imported to find code. */
const namespaces = new Map<string, Record<string, unknown>>();

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
 * Finds `ref` without waiting: from what this thread already resolved or
 * imported, or as an inline copy.
 *
 * @throws {TypeError} When it cannot be found that way.
 */
export function resolveSync(ref: CodeRef): Located {
  const key = classKey(ref);
  const known = foundSync.get(key);
  if (known !== undefined) return known;
  if (ref.lib !== undefined) return fromLib(ref);
  const exported = fromNamespaces(ref);
  const located = exported !== undefined
    ? { fn: exported, inline: false }
    : { fn: inlineCopy(ref), inline: true };
  foundSync.set(key, located);
  return located;
}

/**
 * The class `ref` names, if this thread has it already: one it described or
 * resolved before, or an export of a module it imported. Never an inline copy:
 * an instance must be of the very class this thread's modules define.
 */
export function resolveClassSync(ref: CodeRef): Constructor | undefined {
  const key = classKey(ref);
  const known = classes.get(key);
  if (known !== undefined) return known;
  if (ref.lib !== undefined) return fromLib(ref).fn as unknown as Constructor;
  const exported = fromNamespaces(ref) as unknown as Constructor | undefined;
  if (exported !== undefined) classes.set(key, exported);
  return exported;
}

/** The class `ref` names, importing the modules the sender named if needed. */
export async function resolveClass(ref: CodeRef): Promise<Constructor> {
  const now = resolveClassSync(ref);
  if (now !== undefined) return now;
  const located = await search(ref, false);
  const cls = located.fn as unknown as Constructor;
  classes.set(classKey(ref), cls);
  return cls;
}

function fromLib(ref: CodeRef): Located {
  const fn = libValue(ref.lib!);
  if (typeof fn !== "function") {
    throw new TypeError(`@weft/threading has no export named ${ref.lib}`);
  }
  return { fn: fn as Located["fn"], inline: false };
}

function fromNamespaces(ref: CodeRef): Located["fn"] | undefined {
  for (const url of ref.modules) {
    const ns = namespaces.get(url);
    const fn = ns && pick(ns, ref);
    if (fn !== undefined) return fn;
  }
  for (const ns of namespaces.values()) {
    const fn = pick(ns, ref);
    if (fn !== undefined) return fn;
  }
  return undefined;
}

async function search(ref: CodeRef, inline: boolean): Promise<Located> {
  if (ref.lib !== undefined) return fromLib(ref);
  const visited = new Set<string>();
  let frontier = ref.modules;
  // The candidate modules, then what they import, two levels deep.
  for (let depth = 0; depth < 3 && frontier.length > 0; depth++) {
    const next: string[] = [];
    for (const url of frontier) {
      if (visited.has(url)) continue;
      visited.add(url);
      const text = sourceOf(url);
      // Importing a module runs its top level: skip modules that visibly do
      // not export the name (a script that only imports its target must not
      // run again in every thread it starts).
      if (text === undefined || mayExport(text, ref.name)) {
        const ns = await tryImport(url);
        const fn = ns && pick(ns, ref);
        if (fn !== undefined) return { fn, inline: false };
      }
      if (text !== undefined) next.push(...staticImports(url, text));
    }
    frontier = next;
  }
  if (!inline) throw new TypeError(notFound(ref));
  return { fn: inlineCopy(ref), inline: true };
}

/** The message for a function that cannot be found in the thread. */
export function notFound(ref: CodeRef): string {
  const where = ref.modules.length > 0
    ? ref.modules.join(", ")
    : "any module on the caller's stack";
  return `"${ref.name || "(anonymous)"}" cannot be found in the new thread: ` +
    `it is not exported from ${where} (or the modules they import), and its ` +
    `source is not a self-contained function. Export it from its module ` +
    `(and pass { module } if that module is not the caller's).`;
}

async function tryImport(
  url: string,
): Promise<Record<string, unknown> | undefined> {
  openWindow();
  try {
    const ns = await import(url);
    namespaces.set(url, ns);
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

function pick(
  ns: Record<string, unknown>,
  ref: CodeRef,
): Located["fn"] | undefined {
  const toString = Function.prototype.toString;
  try {
    const named = ns[ref.name];
    if (typeof named === "function" && toString.call(named) === ref.source) {
      return named as Located["fn"];
    }
    for (const value of Object.values(ns)) {
      if (typeof value === "function" && toString.call(value) === ref.source) {
        return value as Located["fn"];
      }
    }
  } catch {
    // An export still in its temporal dead zone: keep looking elsewhere.
  }
  return undefined;
}

const IMPORT_FROM =
  /(?:^|[;\n])\s*(?:import|export)\s[^;]*?from\s*["']([^"']+)["']/g;
const IMPORT_BARE = /(?:^|[;\n])\s*import\s*["']([^"']+)["']/g;

/** A local module's source, or undefined (remote, or no read permission). */
function sourceOf(url: string): string | undefined {
  if (!url.startsWith("file:")) return undefined;
  try {
    return Deno.readTextFileSync(new URL(url));
  } catch {
    return undefined;
  }
}

/** Whether `text` may export `name` (`export *` and default exports may). */
function mayExport(text: string, name: string): boolean {
  if (/\bexport\s*(\*|default\b)/.test(text)) return true;
  if (name === "" || !/^[\w$]+$/.test(name)) return true;
  const declared = new RegExp(
    `\\bexport\\s+(?:declare\\s+)?(?:async\\s+)?(?:function\\s*\\*?|class|const|let|var)\\s*${
      name.replace(/\$/g, "\\$")
    }\\b`,
  );
  const listed = new RegExp(
    `\\bexport\\s*(?:type\\s*)?\\{[^}]*\\b${name.replace(/\$/g, "\\$")}\\b`,
  );
  return declared.test(text) || listed.test(text);
}

function staticImports(url: string, text: string): string[] {
  const out: string[] = [];
  for (const re of [IMPORT_FROM, IMPORT_BARE]) {
    for (const match of text.matchAll(re)) {
      const spec = match[1];
      try {
        out.push(
          spec.startsWith(".") || spec.startsWith("/")
            ? new URL(spec, url).href
            : import.meta.resolve(spec),
        );
      } catch {
        // Unresolvable here: it cannot hold the export either.
      }
    }
  }
  return out;
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
  const outside = [...freeNames(source)].filter((name) =>
    !SAFE_GLOBALS.has(name) && !Object.hasOwn(libScope, name)
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
  const names = Object.keys(libScope);
  const values = names.map((name) => libScope[name]);
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
