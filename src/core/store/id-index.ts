/**
 * The embedded store's id → row lookup, without a JavaScript string per record: an open-addressing hash table of row
 * numbers, keyed by the UTF-8 bytes of each id as they stand in the records file (RecordTable keeps those bytes). A
 * million ids take 8 MB here, against about 100 MB and 2.5 s to build as a Map of decoded strings, and the table is
 * saved in the search cache, so opening a store does not hash its ids again.
 */
export interface IdBytes {
  /** The records' bytes. */
  readonly text: Uint8Array;
  /** Where row `row`'s id bytes start in `text`, and end (exclusive); only rows given to `insert` are asked. */
  idStart(row: number): number;
  idEnd(row: number): number;
}

const EMPTY = 0;

export class IdIndex {
  /** Row + 1 per slot (0: empty); the size is a power of two, at most half full. */
  slots: Int32Array;
  private used = 0;

  constructor(
    private readonly source: IdBytes,
    slots?: Int32Array,
    used = 0,
  ) {
    this.slots = slots ?? new Int32Array(1024);
    this.used = used;
  }

  /** Rows indexed. */
  get size(): number {
    return this.used;
  }

  /** Adds row `row`, whose id bytes are text[start, end); returns the row already holding that id, if any. */
  insert(row: number, start: number, end: number): number | undefined {
    if ((this.used + 1) * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    const found = this.probe(this.source.text, start, end, this.slots);
    if (this.slots[found] !== EMPTY) return this.slots[found] - 1;
    this.slots[found] = row + 1;
    this.used++;
    return undefined;
  }

  /** The row whose id has these UTF-8 bytes. */
  find(key: Uint8Array): number | undefined {
    const slot = this.probe(key, 0, key.length, this.slots);
    return this.slots[slot] === EMPTY ? undefined : this.slots[slot] - 1;
  }

  /** The slot holding the id key[start, end), or the empty slot where it would go. */
  private probe(key: Uint8Array, start: number, end: number, slots: Int32Array): number {
    const mask = slots.length - 1;
    let slot = hashBytes(key, start, end) & mask;
    for (;;) {
      const held = slots[slot];
      if (held === EMPTY || this.sameId(held - 1, key, start, end)) return slot;
      slot = (slot + 1) & mask;
    }
  }

  private sameId(row: number, key: Uint8Array, start: number, end: number): boolean {
    const from = this.source.idStart(row);
    if (this.source.idEnd(row) - from !== end - start) return false;
    const text = this.source.text;
    for (let i = 0; i < end - start; i++) if (text[from + i] !== key[start + i]) return false;
    return true;
  }

  private rehash(size: number): void {
    const next = new Int32Array(size);
    const text = this.source.text;
    for (const held of this.slots) {
      if (held === EMPTY) continue;
      next[this.probe(text, this.source.idStart(held - 1), this.source.idEnd(held - 1), next)] = held;
    }
    this.slots = next;
  }
}

/** FNV-1a over the bytes. */
function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}
