// A LIFO stack of refs (LifoQueue's index), on a growable ref array.
import { INDEX_COUNT } from "../_core/layout.ts";
import { get, reserve, set } from "./ref_array.ts";

/** Pushes a ref. */
export function stackPush(w: Int32Array, at: number, ref: number): void {
  reserve(w, at);
  set(w, at, w[at + INDEX_COUNT], ref);
  w[at + INDEX_COUNT]++;
}

/** Pops the newest ref (the stack is not empty). */
export function stackPop(w: Int32Array, at: number): number {
  return get(w, at, --w[at + INDEX_COUNT]);
}

/** The newest ref (the stack is not empty). */
export function stackPeek(w: Int32Array, at: number): number {
  return get(w, at, w[at + INDEX_COUNT] - 1);
}

/** Removes `ref` if present, moving the newest into its place; whether found. */
export function stackRemove(w: Int32Array, at: number, ref: number): boolean {
  const n = w[at + INDEX_COUNT];
  for (let i = 0; i < n; i++) {
    if (get(w, at, i) !== ref) continue;
    set(w, at, i, get(w, at, n - 1));
    w[at + INDEX_COUNT]--;
    return true;
  }
  return false;
}
