// The module a consumer thread runs (tests/queue_test.ts): it imports Parcel
// by name, so Parcels it gets synchronously arrive as Parcels, though the
// thread imported only this module to find its target.
import type { Queue } from "../mod.ts";
import { Parcel } from "./_parcel.ts";

/** Gets `n` items synchronously; reports, per item, "label:heavy" or why not. */
export function consumeParcels(
  q: Queue<unknown>,
  n: number,
  out: Queue<string>,
): void {
  for (let i = 0; i < n; i++) {
    try {
      const item = q.get({ timeout: 20_000 });
      out.put(
        item instanceof Parcel
          ? `${item.label}:${item.heavy()}`
          : `not a Parcel: ${JSON.stringify(item)}`,
      );
    } catch (error) {
      out.put(String(error));
    }
  }
}
