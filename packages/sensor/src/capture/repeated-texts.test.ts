import { describe, expect, it } from 'vitest';
import { RepeatedTexts } from './repeated-texts.js';

/** A seeded generator, so a failure names a case that can be run again. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('RepeatedTexts', () => {
  it('always gives the text of exactly the bytes asked for, cached or not', () => {
    const random = seeded(18);
    // Paths that share heads and tails, differ in one byte, are empty, not UTF-8, or too long.
    const pool: Buffer[] = [
      Buffer.from(''),
      Buffer.from('/etc/passwd'),
      Buffer.from('/etc/passwe'),
      Buffer.from('/usr/lib/x86_64-linux-gnu/libc.so.6'),
      Buffer.from('/usr/lib/x86_64-linux-gnu/libm.so.6'),
      Buffer.from('/usr/lib/aarch64-linux-gnu/libc.so.6'),
      Buffer.from('/tmp/caf\u00e9/\u{1f600}'),
      Buffer.from([0x2f, 0xff, 0xfe, 0x61]),
      Buffer.from(`/${'x'.repeat(300)}`),
    ];
    for (let n = 0; n < 200; n++) {
      const length = Math.floor(random() * 40);
      pool.push(Buffer.from(Array.from({ length }, () => Math.floor(random() * 256))));
    }
    // Two slots: different strings keep landing in the same slot and replacing each other.
    const wrong: string[] = [];
    for (const texts of [new RepeatedTexts(), new RepeatedTexts(2, 64)]) {
      for (let n = 0; n < 10_000; n++) {
        const bytes = pool[Math.floor(random() * pool.length)]!;
        // Somewhere inside a larger buffer, as a record's string is.
        const head = Math.floor(random() * 8);
        const buf = Buffer.concat([Buffer.alloc(head, 0x41), bytes, Buffer.alloc(3, 0x42)]);
        const text = texts.read(buf, head, head + bytes.length);
        if (text !== bytes.toString('utf8'))
          wrong.push(`${n}: ${JSON.stringify(text)} for ${bytes.toString('hex')}`);
      }
    }
    expect(wrong.slice(0, 3)).toEqual([]);
  });

  it('wants a power-of-two table', () => {
    expect(() => new RepeatedTexts(1000)).toThrow(RangeError);
  });
});
