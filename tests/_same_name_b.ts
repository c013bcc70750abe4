// tests/_same_name_a.ts and tests/_same_name_b.ts export functions with the
// same names and the same source text; only the modules around them differ.
// A thread must run each as the function of its own module.
import type { Queue } from "../mod.ts";

const WHERE = "b";

/** Which module it runs in: this module's constant and its file name. */
export function whichModule(): string {
  return `${WHERE} ${import.meta.url.split("/").at(-1)}`;
}

/** whichModule(), put into `out` (a thread target). */
export function reportWhich(out: Queue<string>): void {
  out.put(`${WHERE} ${import.meta.url.split("/").at(-1)}`);
}
