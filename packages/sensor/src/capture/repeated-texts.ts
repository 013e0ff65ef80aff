/**
 * The UTF-8 text of byte strings that repeat, such as the paths of open events: a node opens the
 * same files over and over. A direct-mapped table keyed by the length and the last bytes holds a
 * copy of each entry's bytes and its text; a hit is confirmed byte by byte, so what comes back is
 * always the text of exactly these bytes. A hit costs no decoding, allocates nothing, and hands
 * back the same string object as the last time, whose hash V8 has already computed for the Map
 * lookups further on (the batch's string table).
 */
export class RepeatedTexts {
  readonly #mask: number;
  readonly #maxBytes: number;
  /** Each slot's bytes, `maxBytes` apart. */
  readonly #bytes: Buffer;
  /** Each slot's byte length; -1 when empty. */
  readonly #lengths: Int32Array;
  readonly #texts: string[];

  /** `slots` (a power of two) entries of at most `maxBytes` bytes; longer strings are decoded each time. */
  constructor(slots = 1024, maxBytes = 256) {
    if (!Number.isInteger(Math.log2(slots))) throw new RangeError('slots must be a power of two');
    this.#mask = slots - 1;
    this.#maxBytes = maxBytes;
    this.#bytes = Buffer.alloc(slots * maxBytes);
    this.#lengths = new Int32Array(slots).fill(-1);
    this.#texts = new Array<string>(slots).fill('');
  }

  /** `buf.toString('utf8', start, end)`, from the table when these bytes were decoded before. */
  read(buf: Buffer, start: number, end: number): string {
    const length = end - start;
    if (length > this.#maxBytes || length < 0) return buf.toString('utf8', start, end);
    // Paths share their heads (/usr/lib/...): the last 16 bytes tell them apart best.
    let hash = length;
    for (let i = Math.max(start, end - 16); i < end; i++) hash = Math.imul(hash ^ buf[i]!, 0x01000193);
    const slot = (hash ^ (hash >>> 15)) & this.#mask;
    const at = slot * this.#maxBytes;
    const stored = this.#bytes;
    if (this.#lengths[slot] === length) {
      let same = true;
      for (let i = 0; i < length; i++) {
        if (stored[at + i] !== buf[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return this.#texts[slot]!;
    }
    const text = buf.toString('utf8', start, end);
    buf.copy(stored, at, start, end);
    this.#lengths[slot] = length;
    this.#texts[slot] = text;
    return text;
  }
}
