// A class whose module counts its evaluations in this isolate: a thread
// whose target module (tests/_typed_consumer.ts) imports the class only for
// its types must not evaluate it (tests/queue_test.ts). Only queue_test.ts
// imports it for its value.
const g = globalThis as { typedClassLoads?: number };
g.typedClassLoads = (g.typedClassLoads ?? 0) + 1;

/** A class its consumer imports only for its types. */
export class Typed {
  constructor(public n: number) {}
}
