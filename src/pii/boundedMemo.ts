/**
 * A memo that lives as long as the container and never holds more than `maxEntries` values of at most
 * `maxKeyLength` characters: when full, the oldest entry goes (first in, first out; a Map keeps insertion
 * order). Never persisted, never logged.
 */
export class BoundedMemo<V> {
  private readonly map = new Map<string, V>();

  constructor(
    readonly maxEntries: number,
    readonly maxKeyLength: number,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  set(key: string, value: V): void {
    if (key.length > this.maxKeyLength || this.maxEntries <= 0) return;
    if (this.map.size >= this.maxEntries && !this.map.has(key)) {
      const oldest = this.map.keys().next();
      if (oldest.done !== true) this.map.delete(oldest.value);
    }
    this.map.set(key, value);
  }
}
