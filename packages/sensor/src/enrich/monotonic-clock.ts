const NS_PER_S = 1_000_000_000;
/** How far the events' monotonic times move before the epoch offset is measured again. */
const REMEASURE_NS = 60 * NS_PER_S;
/** `000` to `999`: the three-digit groups of a nanosecond count's text. */
const DIGITS3 = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, '0'));

/**
 * Converts CLOCK_MONOTONIC nanoseconds (bpftrace `nsecs`) to epoch nanoseconds (decimal text).
 * A monotonic time below 2^53 (a number) is converted with number arithmetic on seconds and
 * nanoseconds apart, exactly, without BigInt's allocations; a bigint goes through BigInt.
 *
 * The text is the millisecond's (kept while events fall in the same millisecond) and two
 * three-digit groups from a table: every event's nanoseconds are a new number, and `String()` of
 * a number V8 has not converted before runs its slow conversion in the runtime, which in the live
 * sensor was the largest single cost of an open event (docs/BENCHMARKS.md, "Sensor").
 */
export class MonotonicClock {
  #offset = 0n;
  /** The offset as whole seconds and the nanoseconds beyond them (0..1e9). */
  #offsetS = 0;
  #offsetNs = 0;
  /** The monotonic time (ns) at which the offset was last measured. */
  #atMono = Number.NEGATIVE_INFINITY;
  /** The second and millisecond of the last time converted, and their text. */
  #lastS = -1;
  #lastMs = -1;
  #prefix = '';

  /**
   * Epoch ns for a monotonic timestamp. The offset is re-measured when the events' own times have
   * moved a minute (either way) from the last measure, to follow NTP: no clock is read per event.
   */
  toEpochNs(monoNs: bigint | number): string {
    const mono = typeof monoNs === 'bigint' ? Number(monoNs) : monoNs;
    if (Math.abs(mono - this.#atMono) > REMEASURE_NS) {
      const offset = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
      this.#offset = offset;
      this.#offsetS = Number(offset / 1_000_000_000n);
      this.#offsetNs = Number(offset % 1_000_000_000n);
      this.#atMono = mono;
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
    const ms = Math.floor(ns / 1_000_000);
    if (s !== this.#lastS || ms !== this.#lastMs) {
      this.#lastS = s;
      this.#lastMs = ms;
      this.#prefix = String(s) + DIGITS3[ms];
    }
    const rest = ns - ms * 1_000_000;
    const us = Math.floor(rest / 1000);
    return this.#prefix + DIGITS3[us] + DIGITS3[rest - us * 1000];
  }
}
