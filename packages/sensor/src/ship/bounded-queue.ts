/**
 * A FIFO with a hard bound. Offers past the bound are refused (and counted by the caller), never
 * blocking capture: the sensor must not stall the kernel reader because the network is slow.
 * Backed by a growable ring so take() does not shift arrays.
 */
export class BoundedQueue<T> {
  #items: Array<T | undefined>;
  #head = 0;
  #length = 0;
  readonly maxSize: number;

  constructor(maxSize: number) {
    if (!Number.isInteger(maxSize) || maxSize < 1) throw new RangeError('maxSize must be a positive integer');
    this.maxSize = maxSize;
    this.#items = new Array(Math.min(maxSize, 1024));
  }

  get length(): number {
    return this.#length;
  }

  /** Appends; false when full. */
  offer(item: T): boolean {
    if (this.#length >= this.maxSize) return false;
    if (this.#length === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#length) % this.#items.length] = item;
    this.#length++;
    return true;
  }

  /** Removes and returns up to `max` items, oldest first. */
  take(max: number): T[] {
    const n = Math.min(max, this.#length);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) {
      const index = (this.#head + i) % this.#items.length;
      out[i] = this.#items[index] as T;
      this.#items[index] = undefined;
    }
    this.#head = (this.#head + n) % this.#items.length;
    this.#length -= n;
    return out;
  }

  #grow(): void {
    const next = new Array<T | undefined>(Math.min(this.maxSize, this.#items.length * 2));
    for (let i = 0; i < this.#length; i++) next[i] = this.#items[(this.#head + i) % this.#items.length];
    this.#items = next;
    this.#head = 0;
  }
}
