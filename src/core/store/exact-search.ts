import type { QuantisedRows } from './quantised-rows';
import { quantiseQuery } from './quantise';
import { dotAt, rankingKey, TopK } from './scan';
import type { Ranking } from './types';
import type { VectorFile } from './vector-file';

export interface SearchInput {
  rows: QuantisedRows;
  file: VectorFile;
  count: number;
  w: Float32Array;
  k: number;
  ranking: Ranking;
  excluded?: Uint8Array;
}

export interface SearchStats {
  /** Rows whose bound could reach the top k and were re-scored exactly. */
  rescored: number;
  /** True when the bounds were too loose to help (e.g. a zero head: every row ties) and every row was re-scored. */
  fullScan: boolean;
}

/**
 * Exact filtered top-k in two passes, equal to `scanTopK` over the float32 vectors (same rows, same order, same
 * dot values): the int8 kernel scores every row with a proven error bound (quantise.ts), rows that cannot reach
 * the top k are dropped, and the few left are re-scored in float32 read from the store's file.
 */
export async function exactSearch(input: SearchInput, stats?: SearchStats): Promise<{ row: number; dot: number }[]> {
  const { rows, file, count, w, k, ranking, excluded } = input;
  if (k <= 0 || count === 0) return [];
  const query = quantiseQuery(w, rows.stride);
  const dots = await rows.dots(query, count);
  const candidates = shortList(input, dots, query.scale, query.residualNorm, query.norm);
  // A short list of more than about a tenth of the rows means the bounds do not separate the rows: reading every
  // row in file order is then cheaper than reading that many one by one.
  const fullScan = candidates.length > Math.max(4096, count / 10);
  if (stats) Object.assign(stats, { rescored: fullScan ? count : candidates.length, fullScan });
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
    const vectors = file.readRows(candidates);
    candidates.forEach((row, i) => {
      const dot = dotAt(vectors, i * d, w, d);
      best.offer(rankingKey(ranking, dot), row, dot);
    });
  }
  return best.drainDescending();
}

/**
 * Rows, in increasing order, whose best possible key reaches the k-th best worst-case key: every row of the true
 * top k is among them, because k rows are known to score at least that much.
 */
function shortList(
  input: SearchInput,
  dots: Int32Array,
  queryScale: number,
  queryResidual: number,
  queryNorm: number,
): number[] {
  const { rows, count, k, ranking, excluded } = input;
  const { scale, quantisedNorm, residualNorm } = rows;
  const bias = ranking.kind === 'boundary' ? ranking.bias : 0;
  const top = ranking.kind === 'top';
  // The k largest worst-case keys so far; its threshold is the k-th of them (-Infinity until k were offered).
  const worst = new TopK(k);
  let threshold = -Infinity;
  const rowsKept: number[] = [];
  const bestKeys: number[] = [];
  for (let row = 0; row < count; row++) {
    if (excluded !== undefined && excluded[row] === 1) continue;
    const approx = scale[row] * queryScale * dots[row];
    // The bound, plus a margin far above float64 rounding in the approximation and in the reference's own sum.
    const bound =
      quantisedNorm[row] * queryResidual +
      residualNorm[row] * queryNorm +
      1e-9 * (queryNorm + Math.abs(approx) + Math.abs(bias));
    let best: number;
    let worstKey: number;
    if (top) {
      best = approx + bound;
      worstKey = approx - bound;
    } else {
      const distance = Math.abs(approx + bias);
      best = -Math.max(0, distance - bound);
      worstKey = -(distance + bound);
    }
    if (best >= threshold) {
      rowsKept.push(row);
      bestKeys.push(best);
    }
    if (worstKey > threshold) {
      worst.offer(worstKey, row, 0);
      threshold = worst.threshold();
    }
  }
  // The threshold only rose during the pass; drop what the final one rules out.
  const out: number[] = [];
  for (let i = 0; i < rowsKept.length; i++) if (bestKeys[i] >= threshold) out.push(rowsKept[i]);
  return out;
}
