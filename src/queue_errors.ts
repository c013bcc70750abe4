/**
 * The errors of Python's `queue` module: {@linkcode QueueEmpty},
 * {@linkcode QueueFull} and {@linkcode QueueShutDown}.
 *
 * @module
 */
/** Raised by a non-blocking or timed-out `get()` on an empty queue. */
export class QueueEmpty extends Error {
  /**
   * Creates a QueueEmpty error.
   *
   * @param message Why.
   */
  constructor(message = "Queue is empty") {
    super(message);
    this.name = "QueueEmpty";
  }
}

/** Raised by a non-blocking or timed-out `put()` on a full queue. */
export class QueueFull extends Error {
  /**
   * Creates a QueueFull error.
   *
   * @param message Why.
   */
  constructor(message = "Queue is full") {
    super(message);
    this.name = "QueueFull";
  }
}

/** Raised by `put()` after `shutdown()`, and by `get()` on a shut-down queue once empty. */
export class QueueShutDown extends Error {
  /**
   * Creates a QueueShutDown error.
   *
   * @param message Why.
   */
  constructor(message = "Queue is shut down") {
    super(message);
    this.name = "QueueShutDown";
  }
}
