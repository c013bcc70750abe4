// A class for tests/queue_test.ts that only the main thread imports: thread
// targets live in tests/_fixtures.ts, which must not import this module, so a
// thread has not loaded this class until it imports it (getAsync() does).

/** A class the threads of queue_test.ts have not loaded. */
export class LateQueueThing {
  constructor(public label: string, public values: number[]) {}
  describe(): string {
    return `${this.label}:${this.values.join(",")}`;
  }
}
