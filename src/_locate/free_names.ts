// The free names of a function's source: the identifiers it reads that it
// does not declare itself (parameters, variables, functions, classes, catch
// bindings). An inline copy of a function runs in another thread, where such a
// name would resolve to something else or to nothing, so those names decide
// whether a copy is safe. This is a tokenizer and a pass over the tokens, not a
// full parser: a name declared anywhere in the function counts as declared.

interface Token {
  /** "name", "punct", "string", "number", "regex", "template", "private". */
  type: string;
  value: string;
}

const KEYWORDS = new Set(
  ("await break case catch class const continue debugger default delete do " +
    "else enum export extends false finally for function if import in " +
    "instanceof let new null return super switch this throw true try typeof " +
    "var void while with yield async of get set static accessor using").split(
      " ",
    ),
);
// Words after which a `/` starts a regular expression.
const BEFORE_EXPRESSION = new Set(
  ("return typeof instanceof in of new delete void throw case do else yield " +
    "await").split(" "),
);
const PUNCTUATORS = [
  ">>>=",
  "...",
  "===",
  "!==",
  "**=",
  "<<=",
  ">>=",
  ">>>",
  "&&=",
  "||=",
  "??=",
  "=>",
  "==",
  "!=",
  "<=",
  ">=",
  "&&",
  "||",
  "??",
  "?.",
  "++",
  "--",
  "+=",
  "-=",
  "*=",
  "/=",
  "%=",
  "&=",
  "|=",
  "^=",
  "**",
  "<<",
  ">>",
];
const ID_START = /[\p{ID_Start}$_\\]/u;
const ID_PART = /[\p{ID_Continue}$\u200c\u200d\\]/u;

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  // Brace depths at which a template literal's `${` was opened.
  const templates: number[] = [];
  let depth = 0;
  let i = 0;
  const regexAllowed = (): boolean => {
    const last = tokens.at(-1);
    if (last === undefined) return true;
    if (last.type === "name") return BEFORE_EXPRESSION.has(last.value);
    if (last.type === "punct") {
      return last.value !== ")" && last.value !== "]";
    }
    return false;
  };
  const readTemplate = (): void => {
    // From just after "`" or "}" of a substitution, to "`" or "${".
    let text = "";
    while (i < source.length) {
      const c = source[i];
      if (c === "\\") {
        text += source.slice(i, i + 2);
        i += 2;
      } else if (c === "`") {
        i++;
        tokens.push({ type: "template", value: text });
        return;
      } else if (c === "$" && source[i + 1] === "{") {
        i += 2;
        tokens.push({ type: "template", value: text });
        templates.push(depth);
        tokens.push({ type: "punct", value: "(" });
        depth++;
        return;
      } else {
        text += c;
        i++;
      }
    }
  };
  while (i < source.length) {
    const c = source[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "/" && source[i + 1] === "/") {
      while (i < source.length && source[i] !== "\n") i++;
    } else if (c === "/" && source[i + 1] === "*") {
      const end = source.indexOf("*/", i + 2);
      i = end < 0 ? source.length : end + 2;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < source.length && source[j] !== c) {
        j += source[j] === "\\" ? 2 : 1;
      }
      tokens.push({ type: "string", value: source.slice(i + 1, j) });
      i = j + 1;
    } else if (c === "`") {
      i++;
      readTemplate();
    } else if (c === "}" && templates.at(-1) === depth - 1) {
      templates.pop();
      depth--;
      tokens.push({ type: "punct", value: ")" });
      i++;
      readTemplate();
    } else if (c === "/" && regexAllowed()) {
      let j = i + 1;
      let inClass = false;
      while (j < source.length) {
        const d = source[j];
        if (d === "\\") j++;
        else if (d === "[") inClass = true;
        else if (d === "]") inClass = false;
        else if (d === "/" && !inClass) break;
        j++;
      }
      j++;
      while (j < source.length && ID_PART.test(source[j])) j++;
      tokens.push({ type: "regex", value: source.slice(i, j) });
      i = j;
    } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(source[i + 1]))) {
      let j = i + 1;
      while (j < source.length && /[\w.]/.test(source[j])) {
        const e = source[j];
        j++;
        if ((e === "e" || e === "E") && /[+-]/.test(source[j])) j++;
      }
      tokens.push({ type: "number", value: source.slice(i, j) });
      i = j;
    } else if (c === "#" && ID_START.test(source[i + 1] ?? "")) {
      let j = i + 1;
      while (j < source.length && ID_PART.test(source[j])) j++;
      tokens.push({ type: "private", value: source.slice(i, j) });
      i = j;
    } else if (ID_START.test(c)) {
      let j = i + 1;
      while (j < source.length && ID_PART.test(source[j])) j++;
      tokens.push({ type: "name", value: source.slice(i, j) });
      i = j;
    } else {
      const punct = PUNCTUATORS.find((p) => source.startsWith(p, i)) ?? c;
      // `?.5` is a conditional followed by a number, not optional chaining.
      const value = punct === "?." && /[0-9]/.test(source[i + 2]) ? "?" : punct;
      if (value === "{" || value === "(" || value === "[") depth++;
      if (value === "}" || value === ")" || value === "]") depth--;
      tokens.push({ type: "punct", value });
      i += value.length;
    }
  }
  return tokens;
}

const OPEN: Record<string, string> = { "(": ")", "[": "]", "{": "}" };

function matching(tokens: Token[]): number[] {
  const match = new Array<number>(tokens.length).fill(-1);
  const stack: number[] = [];
  tokens.forEach((t, i) => {
    if (t.type !== "punct") return;
    if (OPEN[t.value] !== undefined) stack.push(i);
    else if (t.value === ")" || t.value === "]" || t.value === "}") {
      const open = stack.pop();
      if (open !== undefined) {
        match[open] = i;
        match[i] = open;
      }
    }
  });
  return match;
}

/**
 * The names `source` (a function or class) reads without declaring them.
 * Property names, keys, labels and member names are not names it reads.
 */
export function freeNames(source: string): Set<string> {
  const tokens = tokenize(source);
  const match = matching(tokens);
  const declared = new Set<string>();
  // Token indices that are not reads: bindings, keys, member names, labels.
  const skip = new Set<number>();
  const is = (i: number, value: string): boolean =>
    tokens[i]?.type === "punct" && tokens[i].value === value;
  const isName = (i: number): boolean =>
    tokens[i]?.type === "name" && !KEYWORDS.has(tokens[i].value);

  /** A binding pattern from `i`; returns the index after it. Defaults are reads. */
  const pattern = (i: number): number => {
    if (is(i, "...")) return pattern(i + 1);
    if (
      isName(i) || tokens[i]?.value === "async" || tokens[i]?.value === "of"
    ) {
      declared.add(tokens[i].value);
      skip.add(i);
      i++;
    } else if ((is(i, "[") || is(i, "{")) && match[i] > i) {
      const end = match[i];
      const object = is(i, "{");
      let j = i + 1;
      while (j < end) {
        if (is(j, ",")) {
          j++;
          continue;
        }
        if (object && !is(j, "...")) {
          // A key, then `: pattern`, or a shorthand binding.
          if (is(j, "[")) j = match[j] + 1;
          else if (is(j + 1, ":")) {
            skip.add(j);
            j++;
          }
          if (is(j, ":")) j = pattern(j + 1);
          else j = pattern(j);
        } else {
          j = pattern(j);
        }
        j = initializer(j, end);
      }
      i = end + 1;
    } else {
      return i + 1;
    }
    return i;
  };
  /** Skips `= expression` up to a `,` or `;` at this depth, or `stop`. */
  const initializer = (i: number, stop: number): number => {
    if (!is(i, "=")) return i;
    i++;
    while (i < stop && !is(i, ",") && !is(i, ";")) {
      if (match[i] >= 0 && match[i] < i) break; // the enclosing block ends
      if (match[i] > i) i = match[i];
      i++;
    }
    return i;
  };
  const parameters = (open: number): void => {
    const close = match[open];
    let j = open + 1;
    while (j < close) {
      if (is(j, ",")) {
        j++;
        continue;
      }
      j = initializer(pattern(j), close);
    }
  };
  const declarations = (i: number): void => {
    for (;;) {
      i = pattern(i);
      i = initializer(i, tokens.length);
      if (!is(i, ",")) return;
      i++;
    }
  };

  // Class bodies: where member names start.
  const classBodies = new Set<number>();

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.type === "name") {
      switch (t.value) {
        case "var":
        case "let":
        case "const":
        case "using":
          if (t.value !== "using" || isName(i + 1)) declarations(i + 1);
          continue;
        case "function": {
          let j = i + 1;
          if (is(j, "*")) j++;
          if (isName(j)) {
            declared.add(tokens[j].value);
            skip.add(j);
            j++;
          }
          if (is(j, "(")) parameters(j);
          continue;
        }
        case "class": {
          let j = i + 1;
          if (isName(j)) {
            declared.add(tokens[j].value);
            skip.add(j);
            j++;
          }
          // The body is the first `{` at this level (after any `extends`).
          while (j < tokens.length && !is(j, "{")) {
            if (match[j] > j && OPEN[tokens[j].value] !== undefined) {
              j = match[j];
            }
            j++;
          }
          if (j < tokens.length) classBodies.add(j);
          continue;
        }
        case "catch":
          if (is(i + 1, "(")) pattern(i + 2);
          continue;
        case "break":
        case "continue":
          if (isName(i + 1)) skip.add(i + 1);
          continue;
      }
    }
    if (is(i, "(") && is(match[i] + 1, "=>")) parameters(i);
    if (isName(i) && is(i + 1, "=>")) {
      declared.add(t.value);
      skip.add(i);
    }
  }

  // Member names: after `.`/`?.`, keys before `:`, labels, method names, and
  // class members; private names are never tokens of type "name".
  for (let i = 0; i < tokens.length; i++) {
    if (!isName(i)) continue;
    const prev = tokens[i - 1];
    if (prev?.type === "punct" && (prev.value === "." || prev.value === "?.")) {
      skip.add(i);
    } else if (
      is(i + 1, ":") &&
      (prev === undefined || is(i - 1, "{") || is(i - 1, ",") ||
        is(i - 1, ";") || is(i - 1, "}"))
    ) {
      skip.add(i);
    } else if (
      is(i + 1, "(") && match[i + 1] > i && is(match[i + 1] + 1, "{") &&
      tokens[i - 1]?.value !== "function"
    ) {
      // A method: `name(params) {`.
      skip.add(i);
      parameters(i + 1);
    }
  }
  for (const open of classBodies) {
    const close = match[open];
    let start = true;
    for (let i = open + 1; i < close; i++) {
      const t = tokens[i];
      if (start && t.type === "name" && MODIFIERS.has(t.value)) continue;
      if (start && is(i, "*")) continue;
      if (start && (t.type === "name" || t.type === "string")) skip.add(i);
      start = false;
      if (match[i] > i && OPEN[t.value] !== undefined) {
        const end = match[i];
        if (is(i, "{")) {
          i = end;
          start = true;
          continue;
        }
        i = end;
      }
      if (is(i, ";")) start = true;
    }
  }

  const free = new Set<string>();
  tokens.forEach((t, i) => {
    if (isName(i) && !skip.has(i) && !declared.has(t.value)) free.add(t.value);
  });
  return free;
}

const MODIFIERS = new Set(["static", "get", "set", "async", "accessor"]);

/**
 * Globals of the JavaScript language and of Deno that are the same in every
 * thread. Worker-only globals (`self`, `name`, `close`, `postMessage`) are
 * not: a name that means one thing here must not mean another there.
 */
export const SAFE_GLOBALS: ReadonlySet<string> = new Set(
  ("globalThis Infinity NaN undefined eval isFinite isNaN parseFloat parseInt " +
    "decodeURI decodeURIComponent encodeURI encodeURIComponent escape unescape " +
    "AggregateError Array ArrayBuffer Atomics BigInt BigInt64Array " +
    "BigUint64Array Boolean DataView Date Error EvalError FinalizationRegistry " +
    "Float16Array Float32Array Float64Array Function Int8Array Int16Array " +
    "Int32Array Intl Iterator JSON Map Math Number Object Promise Proxy " +
    "RangeError ReferenceError Reflect RegExp Set SharedArrayBuffer String " +
    "Symbol SyntaxError TypeError Uint8Array Uint8ClampedArray Uint16Array " +
    "Uint32Array URIError WeakMap WeakRef WeakSet DisposableStack " +
    "AsyncDisposableStack SuppressedError arguments console Deno performance " +
    "crypto fetch setTimeout clearTimeout setInterval clearInterval " +
    "queueMicrotask structuredClone atob btoa TextEncoder TextDecoder " +
    "TextEncoderStream TextDecoderStream URL URLSearchParams URLPattern " +
    "AbortController AbortSignal Blob File FormData Headers Request Response " +
    "WebSocket EventTarget CustomEvent ErrorEvent MessageChannel MessagePort " +
    "MessageEvent BroadcastChannel ReadableStream WritableStream " +
    "TransformStream CompressionStream DecompressionStream navigator " +
    "reportError DOMException WebAssembly process Buffer setImmediate " +
    "clearImmediate").split(" "),
);
