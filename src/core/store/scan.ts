import type { Ranking } from './types';

/**
 * Exact top-k over a row-major Float32Array, skipping excluded rows. This is the reference every faster
 * search must equal. Ranking keys: `top` keeps the largest w·x, `boundary` the smallest |w·x + b|.
 * Ties break towards the lower row index so results are deterministic.
 */
export function scanTopK(
  vectors: Float32Array,
  dimension: number,
  rows: number,
  w: Float32Array,
  k: number,
  ranking: Ranking,
  excluded?: Uint8Array,
): { row: number; dot: number }[] {
  const heap = new TopK(k);
  for (let row = 0; row < rows; row++) {
    if (excluded && excluded[row]) continue;
    const dot = dotAt(vectors, row * dimension, w, dimension);
    heap.offer(rankingKey(ranking, dot), row, dot);
  }
  return heap.drainDescending();
}

/** Larger is better: `w·x` for `top`, `−|w·x + b|` for `boundary`. */
export function rankingKey(ranking: Ranking, dot: number): number {
  return ranking.kind === 'top' ? dot : -Math.abs(dot + ranking.bias);
}

export function dotAt(vectors: Float32Array, offset: number, w: Float32Array, dimension: number): number {
  // Four accumulators: lets V8 pipeline the multiply-adds instead of waiting on one running sum.
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0;
  let i = 0;
  for (; i + 3 < dimension; i += 4) {
    s0 += vectors[offset + i] * w[i];
    s1 += vectors[offset + i + 1] * w[i + 1];
    s2 += vectors[offset + i + 2] * w[i + 2];
    s3 += vectors[offset + i + 3] * w[i + 3];
  }
  for (; i < dimension; i++) s0 += vectors[offset + i] * w[i];
  return s0 + s1 + s2 + s3;
}

/**
 * Keeps the k largest keys, ties to the lower row when rows are offered in increasing order; the root is the weakest
 * kept entry, so most rows are rejected in O(1).
 */
export class TopK {
  private readonly keys: Float64Array;
  private readonly rows: Int32Array;
  private readonly dots: Float64Array;
  private size = 0;

  constructor(readonly capacity: number) {
    this.keys = new Float64Array(capacity);
    this.rows = new Int32Array(capacity);
    this.dots = new Float64Array(capacity);
  }

  offer(key: number, row: number, dot: number): void {
    if (this.capacity === 0) return;
    if (this.size < this.capacity) {
      this.set(this.size, key, row, dot);
      this.siftUp(this.size++);
      return;
    }
    // Rows arrive in increasing order, so an equal key never displaces an earlier row.
    if (key <= this.keys[0]) return;
    this.set(0, key, row, dot);
    this.siftDown(0);
  }

  /** The weakest kept key once k entries are held; −Infinity before. */
  threshold(): number {
    return this.size === this.capacity && this.capacity > 0 ? this.keys[0] : -Infinity;
  }

  drainDescending(): { row: number; dot: number }[] {
    const out: { key: number; row: number; dot: number }[] = [];
    for (let i = 0; i < this.size; i++) out.push({ key: this.keys[i], row: this.rows[i], dot: this.dots[i] });
    out.sort((a, b) => b.key - a.key || a.row - b.row);
    return out.map(({ row, dot }) => ({ row, dot }));
  }

  /** Heap order: smaller key first; among equal keys the later row is weaker (evicted first). */
  private weaker(a: number, b: number): boolean {
    return this.keys[a] < this.keys[b] || (this.keys[a] === this.keys[b] && this.rows[a] > this.rows[b]);
  }

  private set(i: number, key: number, row: number, dot: number): void {
    this.keys[i] = key;
    this.rows[i] = row;
    this.dots[i] = dot;
  }

  private swap(i: number, j: number): void {
    const k = this.keys[i],
      r = this.rows[i],
      d = this.dots[i];
    this.set(i, this.keys[j], this.rows[j], this.dots[j]);
    this.set(j, k, r, d);
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.weaker(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(i: number): void {
    for (;;) {
      const l = 2 * i + 1,
        r = l + 1;
      let m = i;
      if (l < this.size && this.weaker(l, m)) m = l;
      if (r < this.size && this.weaker(r, m)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
