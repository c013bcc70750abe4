// An exported class whose instances travel through Redis.

/** A point in the plane. */
export class Point {
  constructor(readonly x: number, readonly y: number) {}

  /** Its distance from the origin. */
  norm(): number {
    return Math.hypot(this.x, this.y);
  }
}
