/**
 * The token bucket that rate-limits the Kubernetes store's direct ServiceAccount GETs on a cache miss.
 * @module
 */

/**
 * A token bucket: `reserve(deadline)` takes a token now or says how long to wait for one, unless none would come
 * before `deadline`.
 * @example
 * const bucket = new TokenBucket(10 / 1000, 20, () => performance.now());
 * const wait = bucket.reserve(performance.now() + 2000); // -1: give up; else wait this many ms, then GET
 */
export class TokenBucket {
  #tokens: number;
  #last: number;
  constructor(
    readonly perMs: number,
    readonly burst: number,
    readonly now: () => number,
  ) {
    this.#tokens = burst;
    this.#last = now();
  }
  /** Reserves a token; returns the wait in ms before using it, or -1 when it would come after `deadline`. */
  reserve(deadline: number): number {
    const t = this.now();
    this.#tokens = Math.min(this.burst, this.#tokens + (t - this.#last) * this.perMs);
    this.#last = t;
    const wait = this.#tokens >= 1 ? 0 : (1 - this.#tokens) / this.perMs;
    if (t + wait > deadline) return -1;
    this.#tokens -= 1;
    return wait;
  }
}
