/** Ascending arrays of times: the incident correlator's occurrences of a claim, per incident. */

/** The index of the first of `sorted` (ascending) not below `x`; `sorted.length` if none. */
export function lowerBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** True when one of `sorted` (ascending) lies in [lo, hi]. */
export function anyBetween(sorted: readonly number[], lo: number, hi: number): boolean {
  const i = lowerBound(sorted, lo);
  return i < sorted.length && sorted[i]! <= hi;
}

/** Adds `x` to `sorted` (ascending), at its end when it comes last (a claim is in time order). */
export function insertAscending(sorted: number[], x: number): void {
  if (sorted.length === 0 || sorted[sorted.length - 1]! <= x) sorted.push(x);
  else sorted.splice(lowerBound(sorted, x), 0, x);
}
