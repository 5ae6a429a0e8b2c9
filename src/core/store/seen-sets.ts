import { appendSeen, clearSeen, readSeen, seenFile, writeSeen } from './seen-file';

/**
 * Every head's seen set of an embedded store, in memory as one byte per row (read from `seen/<head>.txt` on first
 * use), so a filtered search and marking a batch seen cost nothing per row. Rows are the store's row numbers:
 * when a rewrite moves rows, `forget` drops the bitmaps and they are rebuilt from the files.
 */
export class SeenSets {
  private readonly bitmaps = new Map<string, Uint8Array>();

  constructor(
    private readonly dir: string,
    /** The row of an id, or undefined when the store does not hold it. */
    private readonly rowOf: (id: string) => number | undefined,
    /** Rows the bitmaps are sized for (the in-memory rows' capacity). */
    private capacity: number,
  ) {}

  async bitmap(head: string): Promise<Uint8Array> {
    let bitmap = this.bitmaps.get(head);
    if (!bitmap) {
      bitmap = new Uint8Array(this.capacity);
      for (const id of await readSeen(seenFile(this.dir, head))) {
        const row = this.rowOf(id);
        if (row !== undefined) bitmap[row] = 1;
      }
      this.bitmaps.set(head, bitmap);
    }
    return bitmap;
  }

  /** Appends the ids not yet seen to the head's file (fsync), then marks them in memory. */
  async mark(head: string, ids: string[]): Promise<void> {
    const bitmap = await this.bitmap(head);
    const fresh: [string, number][] = [];
    for (const id of ids) {
      const row = this.rowOf(id);
      if (row !== undefined && !bitmap[row]) fresh.push([id, row]);
    }
    await appendSeen(
      seenFile(this.dir, head),
      fresh.map(([id]) => id),
    );
    for (const [, row] of fresh) bitmap[row] = 1;
  }

  /** Rewrites the head's file without `ids` (rare: a label removed), then unmarks them in memory. */
  async unmark(head: string, ids: string[]): Promise<void> {
    const bitmap = await this.bitmap(head);
    const gone = new Set(ids);
    const file = seenFile(this.dir, head);
    await writeSeen(
      file,
      (await readSeen(file)).filter((id) => !gone.has(id)),
    );
    for (const id of ids) {
      const row = this.rowOf(id);
      if (row !== undefined) bitmap[row] = 0;
    }
  }

  async reset(head: string): Promise<void> {
    await clearSeen(seenFile(this.dir, head));
    this.bitmaps.set(head, new Uint8Array(this.capacity));
  }

  async count(head: string, rows: number): Promise<number> {
    const bitmap = await this.bitmap(head);
    let n = 0;
    for (let row = 0; row < rows; row++) n += bitmap[row];
    return n;
  }

  /** The rows grew: every bitmap is copied into one of the new capacity. */
  grow(capacity: number): void {
    this.capacity = capacity;
    for (const [head, bitmap] of this.bitmaps) {
      const bigger = new Uint8Array(capacity);
      bigger.set(bitmap);
      this.bitmaps.set(head, bigger);
    }
  }

  /** Rows moved (a rewrite): the bitmaps are rebuilt from the seen files on next use. */
  forget(capacity: number): void {
    this.capacity = capacity;
    this.bitmaps.clear();
  }
}
