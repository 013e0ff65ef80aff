const NS_PER_S = 1_000_000_000;

/**
 * Converts CLOCK_MONOTONIC nanoseconds (bpftrace `nsecs`) to epoch nanoseconds (decimal text).
 * A monotonic time below 2^53 (a number) is converted with number arithmetic on seconds and
 * nanoseconds apart, exactly, without BigInt's allocations; a bigint goes through BigInt.
 */
export class MonotonicClock {
  #offset = 0n;
  /** The offset as whole seconds and the nanoseconds beyond them (0..1e9). */
  #offsetS = 0;
  #offsetNs = 0;
  #at = 0;
  /** The last whole second converted, and its text (events come a few thousand per second). */
  #lastS = -1;
  #lastSText = '';

  /** Epoch ns for a monotonic timestamp; the offset is re-measured every minute to follow NTP. */
  toEpochNs(monoNs: bigint | number): string {
    const now = Date.now();
    if (now - this.#at > 60_000) {
      const offset = BigInt(now) * 1_000_000n - process.hrtime.bigint();
      this.#offset = offset;
      this.#offsetS = Number(offset / 1_000_000_000n);
      this.#offsetNs = Number(offset % 1_000_000_000n);
      this.#at = now;
    }
    if (typeof monoNs === 'bigint') return (monoNs + this.#offset).toString();
    // monoNs < 2^53: the quotient may round up by one; the remainder, exact, says so.
    let s = Math.floor(monoNs / NS_PER_S);
    let ns = monoNs - s * NS_PER_S;
    if (ns < 0) {
      s--;
      ns += NS_PER_S;
    }
    s += this.#offsetS;
    ns += this.#offsetNs;
    if (ns >= NS_PER_S) {
      s++;
      ns -= NS_PER_S;
    }
    if (s !== this.#lastS) {
      this.#lastS = s;
      this.#lastSText = String(s);
    }
    const text = String(ns);
    return this.#lastSText + (text.length === 9 ? text : '000000000'.slice(text.length) + text);
  }
}
