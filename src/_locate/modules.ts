// Which modules this thread has loaded, and their namespaces, reached
// without evaluating anything new: how a class (or function) that arrives as
// "NAME, exported by MODULE" is found synchronously.
//
// `import()` is asynchronous. `require()` (node:module's createRequire)
// returns, synchronously, the very namespace object of an ES module that has
// finished evaluating; it throws for a module still evaluating ("in a
// cycle") and for a graph with top-level await, and it loads and evaluates a
// module that is not loaded yet. So it is only ever called on a module
// proven loaded here:
// - a module on the current call stack (it is running);
// - a module this library imported (a thread's target module, ...);
// - a static import of a loaded module that survives compilation. Deno drops
//   an import whose names a TypeScript module uses only as types (measured:
//   such a module is not evaluated), so a TypeScript import counts only with
//   evidence that one of its names is used as a value (`new X`, `instanceof
//   X`, a call, an argument, a property of an object literal argument...);
//   a side-effect import, a re-export and any import of a JavaScript module
//   count as they are.
// The static imports of a module that runs have all been evaluated, or are
// evaluating (a cycle: `require()` refuses those), so nothing new runs.
//
// The entry module (the script given to `deno run`) is always loaded, but
// its namespace is out of reach while its top level runs synchronously:
// `require()` says "in a cycle", and an `import()` made then settles only
// once the whole top level is done (with top-level await, at its very end).
// So the main thread imports it from a microtask, which runs once the top
// level has finished or first waits at an `await`; that import settles
// within a turn of the event loop (Deno 2.9, measured; an `import()` of a
// module whose top level waits settles at once, although the specification
// would have it wait for the end). So its classes are reached from the next
// turn of the event loop after the top level has finished or first waits
// at an `await`. `require()` is not asked for it: it could only refuse
// sooner (and each refusal costs milliseconds).
//
// Sources are read (with read permission only: a read is never prompted
// for) and looked at as text, after blanking comments and the contents of
// strings, templates and regular expressions: no parser, and the evidence
// patterns are chosen so that a name used only in a type never counts.
import process from "node:process";
import { isLibrary } from "../_core/call_sites.ts";
import { fileURLToPath } from "node:url";
import { isMainThread } from "node:worker_threads";

/** A module namespace object. */
export type Namespace = Record<string, unknown>;

/** The entry module, in the main thread. */
export const ENTRY: string | undefined = isMainThread
  ? Deno.mainModule
  : undefined;

let requireHere: ((path: string) => unknown) | undefined;

/**
 * `require()`, made when first needed: node:module costs ~30 ms to load,
 * which every thread would pay at startup. It is only given absolute paths,
 * so it is made from the file system's root (this library may be remote).
 */
function requireModule(path: string): unknown {
  requireHere ??= (process.getBuiltinModule(
    "node:module",
  ) as typeof import("node:module")).createRequire("file:///");
  return requireHere(path);
}

const namespaces = new Map<string, Namespace>();

if (ENTRY !== undefined) {
  // Not now: this library is evaluated before the entry module's top level.
  queueMicrotask(() => {
    import(ENTRY!).then(
      (ns: Namespace) => namespaces.set(ENTRY!, ns),
      () => {},
    );
  });
}

/** Records the namespace of a module this library imported. */
export function rememberNamespace(url: string, ns: Namespace): void {
  namespaces.set(url, ns);
}

/** The namespaces known already (imported, required or the entry's). */
export function knownNamespaces(): IterableIterator<[string, Namespace]> {
  return namespaces.entries();
}

/** The namespace of `url` if it is known already. */
export function namespaceIfKnown(url: string): Namespace | undefined {
  return namespaces.get(url);
}

// Sources. --------------------------------------------------------------------

interface Import {
  url: string;
  /** Local names it binds as values (not `type` ones). */
  names: string[];
  /** A side-effect import or a re-export: it survives compilation. */
  always: boolean;
  /** Where the statement lies in the text. */
  start: number;
  end: number;
}

/** A local module's source, and what is read from it, each when needed. */
class Source {
  readonly url: string;
  readonly text: string;
  #code: string | undefined;
  #edges: string[] | undefined;
  #imports: Import[] | undefined;
  #values: string | undefined;
  /** Per imported module: whether the import survives compilation. */
  readonly kept = new Map<string, boolean>();

  constructor(url: string, text: string) {
    this.url = url;
    this.text = text;
  }

  /** The text, comments and literal contents blanked (same positions). */
  get code(): string {
    return this.#code ??= blank(this.text);
  }

  /**
   * Every module its text seems to import (`from "x"`, `import "x"`), read
   * without blanking: to walk the graph, where an extra module costs only
   * a look.
   */
  get edges(): string[] {
    return this.#edges ??= edgesOf(this.url, this.text);
  }

  /** Its static imports, exactly (for evidence of what they bind). */
  get imports(): Import[] {
    return this.#imports ??= importsOf(this.url, this.text, this.code);
  }

  /** The code where a name can be used as a value: no imports, no types. */
  get values(): string {
    return this.#values ??= valueCode(this);
  }
}

const sources = new Map<string, Source | null>();
let readsGranted: boolean | undefined;

/**
 * The source of a local module, or null: a remote module, no read
 * permission (never prompted for), or no such file.
 */
function sourceOf(url: string): Source | null {
  let source = sources.get(url);
  if (source !== undefined) return source;
  source = null;
  if (url.startsWith("file:")) {
    try {
      const file = new URL(url);
      readsGranted ??=
        Deno.permissions.querySync({ name: "read" }).state === "granted";
      if (
        readsGranted ||
        Deno.permissions.querySync({ name: "read", path: file }).state ===
          "granted"
      ) {
        source = new Source(url, Deno.readTextFileSync(file));
      }
    } catch {
      // Unreadable: nothing can be said about it.
    }
  }
  sources.set(url, source);
  return source;
}

/** A specifier resolved from the module `url`, or undefined. */
function resolved(spec: string, url: string): string | undefined {
  try {
    return spec.startsWith(".") || spec.startsWith("/")
      ? new URL(spec, url).href
      : import.meta.resolve(spec);
  } catch {
    return undefined;
  }
}

const EDGE = /(?:\bfrom|^\s*import|[;}]\s*import)\s*(["'])([^"'\n]+)\1/gm;

function edgesOf(url: string, text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(EDGE)) {
    const target = resolved(m[2], url);
    if (target !== undefined) out.add(target);
  }
  return [...out];
}

const SPACE = /[^\n]/g;

/** `[A-Za-z0-9_$]`, or any non-ASCII character (identifiers may hold them). */
function isWord(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) ||
    (c >= 48 && c <= 57) || c === 95 || c === 36 || c > 127;
}

const WORD_BEFORE_REGEX = new Set(
  "return typeof instanceof in of new delete void throw case do else yield await"
    .split(" "),
);
// After one of these characters (or at the start), `/` opens a regular
// expression; after anything else it divides.
const BEFORE_REGEX = new Set(
  [..."(,=:[!&|?{};+-*%<>~^"].map((c) => c.charCodeAt(0)),
);

const SLASH = 47, STAR = 42, BACKSLASH = 92, NEWLINE = 10, BACKTICK = 96;
const DOLLAR = 36, OPEN_BRACE = 123, CLOSE_BRACE = 125, OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93, QUOTE = 39, DOUBLE_QUOTE = 34;
/** `last` after a word. */
const WORD = -1;

/**
 * From just after "`" (or the "}" closing a substitution) to the end of the
 * template's text, hidden: just after its "`", or, negated, just after the
 * "${" opening a substitution.
 */
function templateText(text: string, start: number, hidden: number[]): number {
  const n = text.length;
  for (let j = start; j < n;) {
    const c = text.charCodeAt(j);
    if (c === BACKSLASH) j += 2;
    else if (c === BACKTICK) {
      hidden.push(start, j);
      return j + 1;
    } else if (c === DOLLAR && text.charCodeAt(j + 1) === OPEN_BRACE) {
      hidden.push(start, j);
      return -(j + 2);
    } else j++;
  }
  hidden.push(start, n);
  return n;
}

/**
 * `text` with comments and the contents of strings, templates and regular
 * expressions replaced by spaces (newlines kept), so that positions match;
 * the code of template substitutions is kept.
 */
function blank(text: string): string {
  const n = text.length;
  // Pairs of [start, end) to hide, in order.
  const hidden: number[] = [];
  // Brace depth at each open template substitution.
  const substitutions: number[] = [];
  let depth = 0;
  let last = 0; // the last significant character (0: none yet)
  let wordStart = 0; // the last token, when it is a word (last === WORD)
  let wordEnd = 0;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c <= 32) {
      i++;
      continue;
    }
    if (
      c === BACKTICK || (c === CLOSE_BRACE && substitutions.length > 0 &&
        substitutions[substitutions.length - 1] === depth - 1)
    ) {
      if (c === CLOSE_BRACE) {
        substitutions.pop();
        depth--;
      }
      i = templateText(text, i + 1, hidden);
      if (i < 0) {
        i = -i;
        substitutions.push(depth);
        depth++;
      }
      last = BACKTICK;
    } else if (c === SLASH && text.charCodeAt(i + 1) === SLASH) {
      const end = text.indexOf("\n", i);
      hidden.push(i, end < 0 ? n : end);
      i = end < 0 ? n : end;
    } else if (c === SLASH && text.charCodeAt(i + 1) === STAR) {
      const end = text.indexOf("*/", i + 2);
      hidden.push(i, end < 0 ? n : end + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === QUOTE || c === DOUBLE_QUOTE) {
      let j = i + 1;
      for (; j < n; j++) {
        const d = text.charCodeAt(j);
        if (d === c || d === NEWLINE) break;
        if (d === BACKSLASH) j++;
      }
      hidden.push(i + 1, Math.min(j, n));
      i = j + 1;
      last = c;
    } else if (
      c === SLASH && (last === 0 || BEFORE_REGEX.has(last) ||
        (last === WORD && wordEnd - wordStart <= 10 &&
          WORD_BEFORE_REGEX.has(text.slice(wordStart, wordEnd))))
    ) {
      let j = i + 1;
      let inClass = false;
      for (; j < n; j++) {
        const d = text.charCodeAt(j);
        if (d === NEWLINE) break;
        if (d === BACKSLASH) j++;
        else if (d === OPEN_BRACKET) inClass = true;
        else if (d === CLOSE_BRACKET) inClass = false;
        else if (d === SLASH && !inClass) break;
      }
      hidden.push(i + 1, Math.min(j, n));
      i = j + 1;
      last = SLASH;
    } else if (isWord(c)) {
      wordStart = i;
      i++;
      while (i < n && isWord(text.charCodeAt(i))) i++;
      wordEnd = i;
      last = WORD;
    } else {
      if (c === OPEN_BRACE) depth++;
      else if (c === CLOSE_BRACE) depth--;
      last = c;
      i++;
    }
  }
  if (hidden.length === 0) return text;
  const parts: string[] = [];
  let from = 0;
  for (let k = 0; k < hidden.length; k += 2) {
    const start = hidden[k];
    const end = hidden[k + 1];
    if (end <= start) continue;
    parts.push(text.slice(from, start), spaces(text, start, end));
    from = end;
  }
  parts.push(text.slice(from));
  return parts.join("");
}

/** Spaces for `text` from `start` to `end`, its newlines kept. */
function spaces(text: string, start: number, end: number): string {
  const newline = text.indexOf("\n", start);
  if (newline < 0 || newline >= end) return " ".repeat(end - start);
  return text.slice(start, end).replace(SPACE, " ");
}

// `import ... from "x"` and `export ... from "x"` (their clauses hold only
// names, braces, commas and `*`), and `import "x"`; on blanked code, whose
// quotes are kept.
const FROM = new RegExp(
  String.raw`(?:^|[;\n}])[ \t\r]*(?:(import)\s+(type\s+)?((?:[\w$]+\s*,?\s*)?` +
    String.raw`(?:\*\s*as\s+[\w$]+|\{[^{}]*\})?)|(export)\s+(type\s+)?` +
    String.raw`(\*(?:\s*as\s+[\w$]+)?|\{[^{}]*\}))\s*from\s*(["'])`,
  "g",
);
const BARE = /(?:^|[;\n}])[ \t\r]*import\s*(["'])/g;
const JAVASCRIPT = /\.(?:js|mjs|cjs|jsx)$/;

function importsOf(url: string, text: string, code: string): Import[] {
  const out: Import[] = [];
  const add = (
    quote: number,
    start: number,
    names: string[],
    always: boolean,
  ): void => {
    const close = code.indexOf(code[quote], quote + 1);
    if (close < 0) return;
    const target = resolved(text.slice(quote + 1, close), url);
    if (target === undefined) return;
    out.push({ url: target, names, always, start, end: close + 1 });
  };
  for (const m of code.matchAll(FROM)) {
    const quote = m.index + m[0].length - 1;
    if (m[1] !== undefined) {
      const clause = m[3].trim();
      if (m[2] === undefined && clause !== "") {
        add(quote, m.index, clauseNames(clause), false);
      }
    } else if (m[5] === undefined) {
      // A re-export, unless every name in it is a type.
      const clause = m[6].trim();
      if (clause.startsWith("*") || clauseNames(clause).length > 0) {
        add(quote, m.index, [], true);
      }
    }
  }
  for (const m of code.matchAll(BARE)) {
    add(m.index + m[0].length - 1, m.index, [], true);
  }
  return out;
}

/** The value names of an import clause: `D, { a, type B, c as d }`, `* as N`. */
function clauseNames(clause: string): string[] {
  const names: string[] = [];
  const open = clause.indexOf("{");
  for (const part of (open < 0 ? clause : clause.slice(0, open)).split(",")) {
    const name = /^\s*(?:\*\s*as\s+)?([\w$]+)\s*$/.exec(part);
    if (name !== null) names.push(name[1]);
  }
  if (open >= 0) {
    const inner = clause.slice(open + 1, clause.lastIndexOf("}"));
    for (const spec of inner.split(",")) {
      const words = spec.trim().split(/\s+/).filter((w) => w !== "");
      if (
        words.length === 0 ||
        words[0] === "type" && words.length > 1 && words[1] !== "as"
      ) continue;
      names.push(words.at(-1)!);
    }
  }
  return names;
}

// Evidence that an import survives compilation. ---------------------------

const INTERFACE = /\binterface\s+[\w$]+[^{;]*\{/g;
const TYPE_ALIAS =
  /(?:^|[;\n}])[ \t\r]*(?:export\s+)?(?:declare\s+)?type\s+[\w$]+[^=;\n]*=/g;

function valueCode(source: Source): string {
  const code = source.code;
  const hidden: [number, number][] = source.imports.map((
    i,
  ) => [i.start, i.end]);
  for (const m of code.matchAll(INTERFACE)) {
    hidden.push([m.index, closing(code, m.index + m[0].length)]);
  }
  for (const m of code.matchAll(TYPE_ALIAS)) {
    hidden.push([m.index, typeEnd(code, m.index + m[0].length)]);
  }
  hidden.sort((a, b) => a[0] - b[0]);
  const parts: string[] = [];
  let from = 0;
  for (const [start, end] of hidden) {
    if (end <= from) continue;
    parts.push(code.slice(from, Math.max(from, start)));
    from = end;
  }
  parts.push(code.slice(from));
  return parts.join(" ");
}

/** Just after the `}` closing the brace opened before `from`. */
function closing(code: string, from: number): number {
  let depth = 1;
  for (let i = from; i < code.length; i++) {
    if (code[i] === "{") depth++;
    else if (code[i] === "}" && --depth === 0) return i + 1;
  }
  return code.length;
}

/** Where a type alias's type ends: `;`, or a line that does not go on. */
function typeEnd(code: string, from: number): number {
  let depth = 0;
  for (let i = from; i < code.length; i++) {
    const c = code[i];
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
    else if (depth === 0 && c === ";") return i + 1;
    else if (depth === 0 && c === "\n") {
      const before = code.slice(from, i).trimEnd().at(-1) ?? "=";
      const after = code.slice(i).trimStart()[0] ?? "";
      if (!"|&=,(<:?".includes(before) && !"|&.?:=<>,".includes(after)) {
        return i;
      }
    }
    if (depth < 0) return i;
  }
  return code.length;
}

/**
 * Whether `code` uses `name` as a value in a way no type can: constructed,
 * tested with instanceof, called, passed, assigned, returned, extended by a
 * class, exported, put in an object or array literal that is passed,
 * assigned or returned... A use this misses only makes a module count as
 * not loaded (the safe side).
 */
function usedAsValue(code: string, name: string): boolean {
  if (!code.includes(name)) return false;
  const x = name.replace(/\$/g, "\\$");
  const id = `(?<![\\w$.])${x}(?![\\w$])`;
  return new RegExp(
    [
      `\\b(?:new|instanceof|return|throw|await|yield|case|of|void)\\s+${id}`,
      `${id}\\s*(?:\\(|\\.\\s*[\\w$]+\\s*\\()`,
      `\\(\\s*${id}\\s*[),]`,
      `,\\s*${id}\\s*\\)`,
      `(?<![=!<>])=\\s*${id}\\s*[;)}\\n]`,
      `(?:&&|\\|\\||\\?\\?|[=!]==?|\\.\\.\\.|@|\\$\\{)\\s*${id}`,
      `\\bclass(?:\\s+[\\w$]+)?\\s*(?:<[^>{]*>)?\\s*extends\\s+${id}`,
      `\\(\\s*\\{(?:[^{}]*?[,:])?\\s*${id}\\s*[,}]`,
      `(?:[=(]|\\b(?:return|of))\\s*\\[(?:[^[\\]]*?,)?\\s*${id}\\s*[,\\]]`,
      `\\bexport\\s*\\{[^}]*${id}`,
      `\\bexport\\s+default\\s+${id}`,
    ].join("|"),
  ).test(code);
}

/** Whether the import of `target` by the module `url` survives compilation. */
function keeps(url: string, target: string): boolean {
  const source = sourceOf(url);
  if (source === null) return false;
  let kept = source.kept.get(target);
  if (kept !== undefined) return kept;
  kept = false;
  for (const i of source.imports) {
    if (i.url !== target) continue;
    if (i.always || JAVASCRIPT.test(url)) kept = true;
    else kept = i.names.some((name) => usedAsValue(source.values, name));
    if (kept) break;
  }
  source.kept.set(target, kept);
  return kept;
}

// Loaded modules. -------------------------------------------------------------

/** At most this many modules are looked at in one walk. */
const MAX_MODULES = 5000;

/** How a walk went: whether it met a module it could not read. */
export interface Walk {
  opaque: boolean;
}

/**
 * The modules reachable from `roots` (and the modules whose namespaces are
 * known) through what they seem to import, breadth first, at most `depth`
 * imports away; `walk.opaque` is set on meeting one that cannot be read.
 */
export function* modulesFrom(
  roots: readonly string[],
  walk: Walk,
  depth = Infinity,
): Generator<string> {
  // This library's modules export no class of its user's: not read.
  let level = [...new Set([...roots, ...namespaces.keys()])].filter((url) =>
    !isLibrary(url)
  );
  const seen = new Set(level);
  for (let d = 0; level.length > 0 && seen.size <= MAX_MODULES; d++) {
    const next: string[] = [];
    for (const url of level) {
      yield url;
      const source = sourceOf(url);
      if (source === null) {
        walk.opaque = true;
        continue;
      }
      if (d >= depth) continue;
      for (const target of source.edges) {
        if (seen.has(target) || isLibrary(target)) continue;
        seen.add(target);
        next.push(target);
      }
    }
    level = next;
  }
}

/** What the module `url` seems to import (see Source.edges). */
export function importsFrom(url: string): string[] {
  return sourceOf(url)?.edges ?? [];
}

/** Modules proven loaded in this thread (a module stays loaded). */
const loaded = new Set<string>();
/** Who seems to import each module, among the modules walked so far. */
const importers = new Map<string, string[]>();
const walked = new Set<string>();

/**
 * Whether `url` is loaded in this thread: one of `running` (the modules on
 * the stack), a module whose namespace is known, or an import that survives
 * compilation of a loaded module.
 */
export function isLoaded(url: string, running: readonly string[]): boolean {
  // What runs is loaded, and stays so.
  for (const m of running) loaded.add(m);
  if (loaded.has(url) || namespaces.has(url)) return true;
  const roots = [...loaded, ...namespaces.keys()];
  for (const m of modulesFrom(roots, { opaque: false })) {
    if (walked.has(m)) continue;
    walked.add(m);
    for (const target of sourceOf(m)?.edges ?? []) {
      let list = importers.get(target);
      if (list === undefined) importers.set(target, list = []);
      list.push(m);
    }
  }
  const rooted = new Set(roots);
  const visiting = new Set<string>();
  const prove = (m: string): boolean => {
    if (rooted.has(m) || loaded.has(m)) return true;
    if (visiting.has(m)) return false;
    visiting.add(m);
    for (const importer of importers.get(m) ?? []) {
      if (prove(importer) && keeps(importer, m)) {
        loaded.add(m);
        return true;
      }
    }
    return false;
  };
  return prove(url);
}

/** Why a loaded module's namespace could not be reached synchronously. */
export type Unreachable =
  | "entry running" // the entry module's namespace has not arrived yet
  | "not loaded" // not proven loaded in this thread
  | "top-level await" // its graph awaits at top level: import() only
  | "evaluating" // in a cycle with the code that runs
  | "no permission" // read access is needed
  | "remote"; // not a local file

/**
 * The namespace of `url` if it can be reached without evaluating anything
 * new, or why not. `running`: the modules on the stack.
 */
export function namespaceOf(
  url: string,
  running: readonly string[],
): Namespace | Unreachable {
  const known = namespaces.get(url);
  if (known !== undefined) return known;
  if (url === ENTRY) return "entry running";
  if (!isLoaded(url, running)) return "not loaded";
  if (!url.startsWith("file:")) return "remote";
  // require() may check read access (and a check would prompt).
  if (sourceOf(url) === null) return "no permission";
  try {
    const ns = requireModule(fileURLToPath(url)) as Namespace;
    namespaces.set(url, ns);
    return ns;
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) return "no permission";
    const message = String((error as Error)?.message);
    if (/top-level await/.test(message)) return "top-level await";
    if (/in a cycle/.test(message)) return "evaluating";
    return "not loaded";
  }
}

// What a module declares and exports. ----------------------------------------

/** Per name: [exports it, declares it], as patterns. */
const namePatterns = new Map<string, [RegExp, RegExp]>();

function patternsFor(name: string): [RegExp, RegExp] {
  let patterns = namePatterns.get(name);
  if (patterns !== undefined) return patterns;
  const x = name.replace(/\$/g, "\\$");
  patterns = [
    new RegExp(
      `\\bexport\\s+(?:declare\\s+)?(?:default\\s+)?(?:abstract\\s+)?` +
        `(?:async\\s+)?(?:class|function\\s*\\*?|const|let|var)\\s*${x}` +
        `(?![\\w$])|\\bexport\\s*\\{[^}]*(?<![\\w$.])${x}(?![\\w$])` +
        `|\\bexport\\s+default\\s+${x}(?![\\w$])`,
    ),
    new RegExp(
      `\\b(?:class|function\\s*\\*?)\\s*${x}(?![\\w$])` +
        `|\\b(?:const|let|var)\\s+${x}\\s*=` +
        `|(?<![\\w$.])${x}\\s*=\\s*(?:class|function)\\b`,
    ),
  ];
  namePatterns.set(name, patterns);
  return patterns;
}

/**
 * Whether the text of `url` matches `pattern` outside comments and literals
 * (the text is blanked only when the raw text matches).
 */
function says(url: string, name: string, pattern: RegExp): boolean {
  const source = sourceOf(url);
  return source !== null && source.text.includes(name) &&
    pattern.test(source.text) && pattern.test(source.code);
}

/**
 * Whether the module `url` exports `name` (declared exported, listed in an
 * `export {}`, or as its default export), as far as its text says.
 */
export function exportsName(url: string, name: string): boolean {
  return name !== "" && says(url, name, patternsFor(name)[0]);
}

/**
 * Whether importing `url` may give an export named `name`: its text exports
 * it, re-exports everything from a module, has a default export, or cannot
 * be read.
 */
export function mayExport(url: string, name: string): boolean {
  const source = sourceOf(url);
  if (source === null || name === "") return true;
  return /\bexport\s*(?:\*|default\b)/.test(source.text) ||
    exportsName(url, name);
}

/** Whether the module `url` declares a class or function named `name`. */
export function declaresName(url: string, name: string): boolean {
  return name !== "" && says(url, name, patternsFor(name)[1]);
}
