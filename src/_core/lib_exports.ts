// This library's own classes and functions that travel by name (Timer,
// ThreadError...): found again in another thread as the same export, not by
// their source. A leaf module: errors.ts and every primitive mark theirs.

const names = new WeakMap<object, string>();
const values = new Map<string, object>();

/** Marks one of this library's exports, so that it is found by name. */
export function markLib(value: object, name: string): void {
  names.set(value, name);
  values.set(name, value);
}

/** The name `value` was marked with, if it is one of this library's. */
export function libName(value: object): string | undefined {
  return names.get(value);
}

/** The export marked `name`, if any. */
export function libValue(name: string): object | undefined {
  return values.get(name);
}
