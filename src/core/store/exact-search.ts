import type { QuantisedRows } from './quantised-rows';
import { QuantisedQuery, quantiseQuery } from './quantise';
import { ROW_INFO_FIELDS } from './quantiser';
import type { RowInfo } from './row-info';
import { dotAt, rankingKey, TopK } from './scan';
import type { Ranking } from './types';
import type { VectorFile } from './vector-file';

export interface SearchInput {
  rows: QuantisedRows;
  info: RowInfo;
  /** The store's vectors; its reads are checked against the rows' checksums. */
  file: VectorFile;
  count: number;
  w: Float32Array;
  k: number;
  ranking: Ranking;
  excluded?: Uint8Array;
}

export interface SearchStats {
  /** Rows whose first (int8) bound could reach the top k: they were given the second, 4-bit pass. */
  refined: number;
  /** Rows whose second bound could still reach the top k: re-scored exactly from the vectors file. */
  rescored: number;
  /** True when the bounds were too loose to help (e.g. a zero head: every row ties) and every row was re-scored. */
  fullScan: boolean;
}

/** Margin far above float64 rounding in an approximation and in the reference's own sum (see quantise.ts). */
const ROUNDING = 1e-9;

/**
 * Exact filtered top-k in three passes, equal to `scanTopK` over the float32 vectors (same rows, same order, same
 * dot values): the int8 kernel scores every row with a proven error bound, the 4-bit residual codes tighten the bound
 * of the rows that could still make the top k (quantise.ts), and the few left are re-scored in float32 read from the
 * store's file. The int8 scores of the last query are kept: `mixed` asks the same head for `top` and `boundary`, and
 * its second query then skips the scan. `invalidate` drops them when the rows change.
 */
export class ExactSearch {
  /** How the last query went, and the same summed over every query (a `mixed` batch makes two): for benchmarks. */
  readonly lastStats: SearchStats = { refined: 0, rescored: 0, fullScan: false };
  readonly totals = { queries: 0, refined: 0, rescored: 0, fullScans: 0 };
  private last:
    { rows: QuantisedRows; w: Float32Array; count: number; query: QuantisedQuery; dots: Int32Array } | undefined;

  invalidate(): void {
    this.last = undefined;
  }

  async run(input: SearchInput): Promise<{ row: number; dot: number }[]> {
    const { rows, file, count, w, k, ranking, excluded } = input;
    if (k <= 0 || count === 0) return [];
    const { query, dots } = await this.scan(input);
    const first = shortList(input, dots, query);
    const second = first.rows.length > k ? refine(input, dots, query, first) : first.rows;
    // A short list of more than about a tenth of the rows means the bounds do not separate the rows: reading every
    // row in file order is then cheaper than reading that many one by one.
    const fullScan = second.length > Math.max(4096, count / 10);
    this.record({ refined: first.rows.length, rescored: fullScan ? count : second.length, fullScan });
    const best = new TopK(k);
    const d = rows.dimension;
    if (fullScan) {
      for (const { start, vectors } of file.chunks(count)) {
        for (let i = 0; start + i < count && i * d < vectors.length; i++) {
          if (excluded && excluded[start + i]) continue;
          const dot = dotAt(vectors, i * d, w, d);
          best.offer(rankingKey(ranking, dot), start + i, dot);
        }
      }
    } else {
      const vectors = file.readRows(second);
      second.forEach((row, i) => {
        const dot = dotAt(vectors, i * d, w, d);
        best.offer(rankingKey(ranking, dot), row, dot);
      });
    }
    return best.drainDescending();
  }

  private record(stats: SearchStats): void {
    Object.assign(this.lastStats, stats);
    this.totals.queries++;
    this.totals.refined += stats.refined;
    this.totals.rescored += stats.rescored;
    this.totals.fullScans += stats.fullScan ? 1 : 0;
  }

  /** The int8 scores of every row: the last query's when it had the same head and the rows did not change. */
  private async scan(input: SearchInput): Promise<{ query: QuantisedQuery; dots: Int32Array }> {
    const { rows, count, w } = input;
    const last = this.last;
    if (last && last.rows === rows && last.count === count && sameValues(last.w, w)) return last;
    this.last = undefined;
    const query = quantiseQuery(w, rows.stride);
    const dots = await rows.dots(query, count);
    this.last = { rows, w: Float32Array.from(w), count, query, dots };
    return this.last;
  }
}

interface ShortList {
  /** Rows in increasing order. */
  rows: number[];
  /** The k-th best worst-case key: every row of the true top k scores at least this. */
  threshold: number;
}

/** The best possible ranking key of a row whose score lies within `bound` of `approx` (`bias` null: `top`). */
function bestKey(bias: number | null, approx: number, bound: number): number {
  return bias === null ? approx + bound : -Math.max(0, Math.abs(approx + bias) - bound);
}

/** The worst possible ranking key of a row whose score lies within `bound` of `approx` (`bias` null: `top`). */
function worstKey(bias: number | null, approx: number, bound: number): number {
  return bias === null ? approx - bound : -(Math.abs(approx + bias) + bound);
}

/** The boundary ranking's bias, or null for `top` (numbers only: the per-row loops allocate nothing). */
const biasOf = (ranking: Ranking) => (ranking.kind === 'boundary' ? ranking.bias : null);

/**
 * First pass: rows, in increasing order, whose best possible key reaches the k-th best worst-case key. Every row of
 * the true top k is among them, because k rows are known to score at least that much.
 *
 * This loop visits every row of the store, so it is written for speed: numbers in locals (an imported constant is
 * a property read in the CommonJS the sources run as), and a row whose best key is below the threshold is left at
 * once, as its worst key, lower still, cannot raise the threshold either.
 */
function shortList(input: SearchInput, dots: Int32Array, query: QuantisedQuery): ShortList {
  const { count, k, ranking, excluded } = input;
  const v = input.info.values;
  const fields = ROW_INFO_FIELDS;
  const bias = biasOf(ranking);
  const margin = Math.abs(bias ?? 0);
  const { scale, residualNorm, norm } = query;
  // The k largest worst-case keys so far; its threshold is the k-th of them (-Infinity until k were offered).
  const worst = new TopK(k);
  let threshold = -Infinity;
  const rowsKept: number[] = [];
  const bestKeys: number[] = [];
  for (let row = 0; row < count; row++) {
    if (excluded !== undefined && excluded[row] === 1) continue;
    const at = row * fields;
    const approx = v[at] * scale * dots[row];
    const bound = v[at + 1] * residualNorm + v[at + 2] * norm + ROUNDING * (norm + Math.abs(approx) + margin);
    const best = bestKey(bias, approx, bound);
    if (best < threshold) continue;
    rowsKept.push(row);
    bestKeys.push(best);
    const worstCase = worstKey(bias, approx, bound);
    if (worstCase > threshold) {
      worst.offer(worstCase, row, 0);
      threshold = worst.threshold();
    }
  }
  // The threshold only rose during the pass; drop what the final one rules out.
  const out: number[] = [];
  for (let i = 0; i < rowsKept.length; i++) if (bestKeys[i] >= threshold) out.push(rowsKept[i]);
  return { rows: out, threshold };
}

/**
 * Second pass over the first pass's rows: the 4-bit codes of the residual give a bound about 16 times tighter, and
 * the k-th best of the new worst-case keys (or the first pass's, if higher) drops the rows that cannot make it.
 */
function refine(input: SearchInput, dots: Int32Array, query: QuantisedQuery, first: ShortList): number[] {
  const { k, ranking, rows } = input;
  const v = input.info.values;
  const bias = biasOf(ranking);
  const margin = Math.abs(bias ?? 0);
  const fine = rows.fineDots(query, first.rows);
  const worst = new TopK(k);
  const bestKeys = new Float64Array(first.rows.length);
  const fields = ROW_INFO_FIELDS;
  first.rows.forEach((row, i) => {
    const at = row * fields;
    const approx = v[at] * query.scale * (dots[row] + fine[i] / 16);
    const bound =
      (v[at + 1] + v[at + 2] + v[at + 3]) * query.residualNorm +
      v[at + 3] * query.norm +
      ROUNDING * (query.norm + Math.abs(approx) + margin);
    bestKeys[i] = bestKey(bias, approx, bound);
    worst.offer(worstKey(bias, approx, bound), row, 0);
  });
  const threshold = Math.max(first.threshold, worst.threshold());
  return first.rows.filter((_, i) => bestKeys[i] >= threshold);
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
