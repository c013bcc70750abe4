// An exported Error subclass, for tests/executor_test.ts: only that test
// file and its task (below) use it, so no earlier test has made a thread
// import it.

/** An error with fields of its own, thrown by a task. */
export class TaskFailure extends Error {
  constructor(message: string, public code: number, options?: ErrorOptions) {
    super(message, options);
    this.name = "TaskFailure";
  }
}

/** A task that fails with a TaskFailure caused by a RangeError. */
export function failTask(code: number): never {
  throw new TaskFailure(`task failed with ${code}`, code, {
    cause: new RangeError(`cause ${code}`),
  });
}
