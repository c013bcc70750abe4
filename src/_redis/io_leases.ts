// Renewing what this process holds, for as long as it lives: each renewal
// runs every third of its lease, so a lease survives two renewals lost to a
// slow or broken connection, and a process that dies (or stops renewing)
// loses it at most `lease` ms after its last renewal.
import { type Io, ownLimits } from "./io.ts";

/** Something renewed periodically until stopped. */
export class Renewal {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #running = false;

  /**
   * `renew` returns false when what it renews is gone (then it stops);
   * a connection fault leaves it for the next period.
   */
  constructor(
    readonly io: Io,
    readonly period: number,
    readonly renew: () => Promise<boolean>,
  ) {
    this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => this.#tick(), this.period);
  }

  async #tick(): Promise<void> {
    if (this.#stopped || this.#running) return;
    this.#running = true;
    try {
      if (!await this.renew()) this.#stopped = true;
    } catch {
      // Unreachable now: the next period tries again.
    } finally {
      this.#running = false;
    }
    this.#schedule();
  }

  /** Stops renewing. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }
}

/** The period of a lease of `ms`. */
export function periodOf(ms: number): number {
  return Math.max(1, Math.floor(ms / 3));
}

/** Limits of one renewal: it must end before the next one starts. */
export function renewalLimits(period: number): ReturnType<typeof ownLimits> {
  return ownLimits(Math.max(100, period));
}
