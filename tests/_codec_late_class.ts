// A class for tests/codec_test.ts that nothing imports statically: the test
// loads it with a dynamic import, so a thread that did not import it itself
// has not loaded it. Do not import this module from tests/_fixtures.ts.

/** A class no thread has loaded until something imports it. */
export class LateCodecThing {
  constructor(public label: string, public values: number[]) {}
  total(): number {
    return this.values.reduce((a, b) => a + b, 0);
  }
}
