// A module the test process never loads: evaluating it leaves a marker file
// (when WEFT_STRANGER_MARKER names one), so a test can tell it was not
// imported on a value's say-so.
const marker = Deno.env.get("WEFT_STRANGER_MARKER");
if (marker) Deno.writeTextFileSync(marker, "imported");

/** A class only this module defines. */
export class Stranger {
  secret = 42;
}
