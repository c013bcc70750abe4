// A class that no thread ever loads: tests/queue_test.ts, shared_list_test.ts
// and shared_map_test.ts put instances of it, and their threads (whose
// targets live in tests/_fixtures.ts and tests/_container_fixtures.ts, which
// must not import this module, even dynamically) cannot rebuild them.

/** Instances of it cannot be rebuilt in any thread of the tests. */
export class Unloaded {
  constructor(public label: string, public values: number[]) {}
  total(): number {
    return this.values.reduce((a, b) => a + b, 0);
  }
}
