import { describe, expect, it } from 'vitest';
import { anyBetween, insertAscending, lowerBound } from './sorted-times.js';

describe('sorted times', () => {
  it('keep their order under inserts in any order, and answer ranges as a scan does', () => {
    let seed = 5;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let round = 0; round < 300; round++) {
      const sorted: number[] = [];
      const all: number[] = [];
      const n = rnd(40);
      for (let i = 0; i < n; i++) {
        // Mostly ascending (a claim in time order), now and then earlier, repeated values too.
        const x = rnd(4) === 0 ? rnd(100) : (all.at(-1) ?? 0) + rnd(5);
        insertAscending(sorted, x);
        all.push(x);
      }
      expect(sorted).toEqual([...all].sort((x, y) => x - y));
      for (let k = 0; k < 20; k++) {
        const lo = rnd(120) - 10;
        const hi = lo + rnd(30);
        expect(anyBetween(sorted, lo, hi), `${lo}..${hi} in ${sorted}`).toBe(
          all.some((x) => x >= lo && x <= hi),
        );
        const i = lowerBound(sorted, lo);
        expect(sorted.slice(0, i).every((x) => x < lo) && sorted.slice(i).every((x) => x >= lo)).toBe(true);
      }
    }
  });
});
