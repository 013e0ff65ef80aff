/** A Map-backed LRU with a hard entry bound: every enrichment cache uses it so memory stays bounded. */
export class LruCache<K, V> {
  readonly #map = new Map<K, V>();
  /** Entries pushed out by the bound since creation. */
  evictions = 0;

  constructor(readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1)
      throw new RangeError('maxEntries must be a positive integer');
  }

  get size(): number {
    return this.#map.size;
  }

  /** The most recently used key, whose recency needs no update (the same process, event after event). */
  #newest: K | undefined;

  /** Returns the value and marks it most recently used. */
  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value === undefined || key === this.#newest) return value;
    this.#map.delete(key);
    this.#map.set(key, value);
    this.#newest = key;
    return value;
  }

  /** Reads without touching recency. */
  peek(key: K): V | undefined {
    return this.#map.get(key);
  }

  has(key: K): boolean {
    return this.#map.has(key);
  }

  set(key: K, value: V): this {
    if (this.#map.has(key)) this.#map.delete(key);
    this.#map.set(key, value);
    this.#newest = key;
    while (this.#map.size > this.maxEntries) {
      // Map iteration order is insertion order, so the first key is the least recently used.
      const oldest = this.#map.keys().next().value as K;
      this.#map.delete(oldest);
      this.evictions++;
    }
    return this;
  }

  delete(key: K): boolean {
    if (key === this.#newest) this.#newest = undefined;
    return this.#map.delete(key);
  }

  clear(): void {
    this.#newest = undefined;
    this.#map.clear();
  }
}
