import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { ExactSearch, type SearchStats } from '../../src/core/store/exact-search';
import { SEARCH_KERNEL_WASM_BASE64 } from '../../src/core/store/kernel/search-kernel-wasm';
import { QuantisedRows } from '../../src/core/store/quantised-rows';
import { quantiseQuery } from '../../src/core/store/quantise';
import { ROW_INFO_FIELDS, RowQuantiser } from '../../src/core/store/quantiser';
import { RowInfo } from '../../src/core/store/row-info';
import { scanTopK } from '../../src/core/store/scan';
import type { Ranking } from '../../src/core/store/types';
import { VectorFile } from '../../src/core/store/vector-file';
import { compileKernel } from '../../tools/build-kernel/main';
import { tempDir } from '../helpers/temp';
import { clusteredUnitVectors, randomUnitVectors } from '../helpers/vectors';

/**
 * The int8 first pass + exact re-scoring must return exactly what the float32 reference scan returns: same rows,
 * same order (ties to the lower row), same dot values, whatever the data, the head, k, the ranking or the filter.
 */

interface Fixture {
  rows: QuantisedRows;
  info: RowInfo;
  file: VectorFile;
  close(): Promise<void>;
}

/** What the store holds of `vectors`: their codes and numbers in memory (as the kernel makes them), a vectors file. */
function fixture(dir: string, vectors: Float32Array, dimension: number): Fixture {
  const count = vectors.length / dimension;
  const file = path.join(dir, `v-${Math.random().toString(36).slice(2)}.f32`);
  fs.writeFileSync(file, new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength));
  const rows = new QuantisedRows(dimension, Math.max(count, 1), dir);
  const info = new RowInfo(Math.max(count, 1));
  const block = RowQuantiser.for(dimension).quantise(vectors, count);
  rows.setBlock(0, block, 0, count);
  info.set(0, block.info, 0, count);
  const vf = new VectorFile(file, dimension);
  vf.checksumOf = (row) => info.checksum(row);
  return { rows, info, file: vf, close: async () => (vf.close(), rows.close()) };
}

async function assertSameAsReference(
  f: Fixture,
  vectors: Float32Array,
  w: Float32Array,
  k: number,
  ranking: Ranking,
  excluded?: Uint8Array,
): Promise<SearchStats> {
  const d = f.rows.dimension;
  const count = vectors.length / d;
  const search = new ExactSearch();
  const got = await search.run({ ...f, count, w, k, ranking, excluded });
  assert.deepEqual(got, scanTopK(vectors, d, count, w, k, ranking, excluded));
  return search.lastStats;
}

test('the compiled kernel in the repo is the compiled search-kernel.wat', async () => {
  const wasm = await compileKernel();
  assert.equal(SEARCH_KERNEL_WASM_BASE64, Buffer.from(wasm).toString('base64'), 'run `npm run build:kernel`');
});

test("both error bounds hold: |x·w − s·t·(q·p)| and |x·w − s·t·(q·p + f·p/16)| within quantise.ts's bounds (2,000 random pairs)", () => {
  let cases = 0;
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 300 }),
      fc.integer({ min: 0, max: 1e6 }),
      fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
      (d, seed, wScale) => {
        const x = randomUnitVectors(1, d, seed);
        const w = randomUnitVectors(1, d, seed + 1).map((v) => v * wScale);
        const quantiser = RowQuantiser.for(d);
        const row = quantiser.quantise(x, 1);
        const [scale, quantisedNorm, residualNorm, fineNorm] = new Float32Array(row.info.buffer, 0, ROW_INFO_FIELDS);
        const query = quantiseQuery(w, quantiser.stride);
        let exact = 0;
        let coarse = 0;
        let fine = 0;
        for (let j = 0; j < d; j++) {
          exact += x[j] * w[j];
          coarse += row.q8[j] * query.values[j];
          const nibble = (row.q4[j >> 1] >> ((j & 1) * 4)) & 15; // dimension 2t low, 2t + 1 high (search-kernel.wat)
          fine += (nibble >= 8 ? nibble - 16 : nibble) * query.values[j];
        }
        const first = quantisedNorm * query.residualNorm + residualNorm * query.norm;
        const second = (quantisedNorm + residualNorm + fineNorm) * query.residualNorm + fineNorm * query.norm;
        cases++;
        const slack = 1e-12 * wScale;
        return (
          Math.abs(exact - scale * query.scale * coarse) <= first + slack &&
          Math.abs(exact - scale * query.scale * (coarse + fine / 16)) <= second + slack
        );
      },
    ),
    { seed: 6, numRuns: 2000 },
  );
  console.log(`# int8 and 4-bit bounds: ${cases} cases`);
});

test('exact search equals the reference scan on random stores, heads, k, rankings and filters (300 cases)', async (t) => {
  const dir = await tempDir(t);
  let cases = 0;
  let rescoredTotal = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        count: fc.integer({ min: 1, max: 3000 }),
        dimension: fc.constantFrom(1, 3, 17, 32, 64, 100, 512),
        seed: fc.integer({ min: 0, max: 1e6 }),
        wScale: fc.constantFrom(0, 1e-6, 1, 8, 300),
        k: fc.constantFrom(1, 2, 10, 100, 5000),
        boundary: fc.boolean(),
        bias: fc.double({ min: -2, max: 2, noNaN: true }),
        seenShare: fc.constantFrom(0, 0.05, 0.5, 1),
        duplicates: fc.boolean(),
      }),
      async (c) => {
        const count = Math.min(c.count, c.dimension >= 100 ? 800 : 3000);
        const vectors = randomUnitVectors(count, c.dimension, c.seed);
        // Exact duplicates make ties, which must still break towards the lower row.
        if (c.duplicates)
          for (let r = 1; r < count; r += 3)
            vectors.copyWithin(r * c.dimension, (r - 1) * c.dimension, r * c.dimension);
        const w = randomUnitVectors(1, c.dimension, c.seed + 7).map((v) => v * c.wScale);
        const excluded = new Uint8Array(count).map((_, i) =>
          ((i * 2654435761) >>> 0) % 1000 < c.seenShare * 1000 ? 1 : 0,
        );
        const ranking: Ranking = c.boundary ? { kind: 'boundary', bias: c.bias * c.wScale } : { kind: 'top' };
        const f = fixture(dir, vectors, c.dimension);
        try {
          const stats = await assertSameAsReference(f, vectors, w, c.k, ranking, excluded);
          rescoredTotal += stats.rescored;
          cases++;
        } finally {
          await f.close();
        }
      },
    ),
    { seed: 42, numRuns: 300 },
  );
  console.log(`# exact search: ${cases} random cases equal the reference; ${rescoredTotal} rows re-scored in all`);
});

test('a head that ties every row (w = 0, identical rows) falls back to a full exact scan with the same answer', async (t) => {
  const dir = await tempDir(t);
  const d = 16;
  const same = new Float32Array(500 * d).map((_, i) => ((i % d) + 1) / 10);
  const f = fixture(dir, same, d);
  try {
    const stats = await assertSameAsReference(f, same, new Float32Array(d), 10, { kind: 'top' });
    assert.equal(stats.fullScan, false, '500 rows stay under the short-list limit');
    const many = new Float32Array(6000 * d).map((_, i) => ((i % d) + 1) / 10);
    const g = fixture(dir, many, d);
    try {
      const big = await assertSameAsReference(g, many, new Float32Array(d), 10, { kind: 'boundary', bias: 0 });
      assert.equal(big.fullScan, true);
    } finally {
      await g.close();
    }
  } finally {
    await f.close();
  }
});

test('large stores scan on helper threads and still equal the reference; the short list stays short', async (t) => {
  const dir = await tempDir(t);
  const d = 64;
  const count = 70_000; // above the parallel threshold
  const vectors = randomUnitVectors(count, d, 5);
  const f = fixture(dir, vectors, d);
  try {
    const excluded = new Uint8Array(count).map((_, i) => (i % 20 === 0 ? 1 : 0));
    for (const seed of [1, 2]) {
      const w = randomUnitVectors(1, d, 1000 + seed).map((v) => v * 5);
      const stats = await assertSameAsReference(f, vectors, w, 10, { kind: 'top' }, excluded);
      assert.ok(stats.rescored < count / 50, `re-scored ${stats.rescored} of ${count}`);
      await assertSameAsReference(f, vectors, w, 100, { kind: 'boundary', bias: 0.3 }, excluded);
    }
  } finally {
    await f.close();
  }
});

test('a store too large for one WebAssembly memory is refused with the limit and the way out', () => {
  const max = QuantisedRows.maxRows(512);
  assert.ok(max > 5_000_000 && max < 6_000_000, String(max)); // 780 bytes a 512-d row: int8 and 4-bit codes, 3 int32s
  assert.throws(
    () => new QuantisedRows(512, max + 1, '/some/store'),
    /holds at most .* vectors of 512 dimensions.*Pinecone/s,
  );
});

test('a row that int8 rounding ranks below another but that really scores higher is still found', async (t) => {
  const dir = await tempDir(t);
  // Third column fixes every row's int8 scale at 1/127, so the first two round to small integers:
  // x1 = (1.49, 1.49)/127 rounds to (1, 1): approximate 2, exact 2.98; x2 = (2.51, 0)/127 rounds to (3, 0):
  // approximate 3, exact 2.51. Only the residual term of the bound keeps x1 in the short list.
  const rows = [
    [2.51 / 127, 0, 1],
    [1.49 / 127, 1.49 / 127, 1],
  ];
  const vectors = Float32Array.from(rows.flat());
  const f = fixture(dir, vectors, 3);
  try {
    await assertSameAsReference(f, vectors, Float32Array.from([127, 127, 0]), 1, { kind: 'top' });
    await assertSameAsReference(f, vectors, Float32Array.from([127, 127, 0]), 1, { kind: 'boundary', bias: -2.98 });
  } finally {
    await f.close();
  }
});

/** A head as the loop trains one: towards a cluster's mean, away from the rest, scaled as SGD leaves it. */
function clusterHead(vectors: Float32Array, cluster: Uint16Array, d: number, target: number, scale: number) {
  const inside = new Float64Array(d);
  const outside = new Float64Array(d);
  let nIn = 0;
  for (let r = 0; r < cluster.length; r++) {
    const sum = cluster[r] === target ? inside : outside;
    if (cluster[r] === target) nIn++;
    for (let i = 0; i < d; i++) sum[i] += vectors[r * d + i];
  }
  const nOut = Math.max(cluster.length - nIn, 1);
  return Float32Array.from(inside, (v, i) => scale * (v / Math.max(nIn, 1) - outside[i] / nOut));
}

test('exact search equals the reference scan on clustered data, with trained-like heads whose boundary crosses the crowd (200 cases)', async (t) => {
  const dir = await tempDir(t);
  let cases = 0;
  let refinedTotal = 0;
  let rescoredTotal = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        count: fc.integer({ min: 1, max: 2000 }),
        dimension: fc.constantFrom(16, 64, 512),
        clusters: fc.integer({ min: 1, max: 12 }),
        noise: fc.constantFrom(0, 0.05, 0.3, 1),
        seed: fc.integer({ min: 0, max: 1e6 }),
        scale: fc.constantFrom(1e-3, 1, 20, 500),
        k: fc.constantFrom(1, 12, 100),
        boundary: fc.boolean(),
        // Where the boundary falls among the rows' scores: 0.5 puts it in the middle of the crowd.
        quantile: fc.constantFrom(0, 0.1, 0.5, 0.9, 1),
        seenShare: fc.constantFrom(0, 0.05, 0.5),
      }),
      async (c) => {
        const count = Math.min(c.count, c.dimension === 512 ? 700 : 2000);
        const { vectors, cluster } = clusteredUnitVectors(count, c.dimension, c.clusters, c.noise, c.seed);
        const w = clusterHead(vectors, cluster, c.dimension, cluster[0], c.scale);
        const scores = scanTopK(vectors, c.dimension, count, w, count, { kind: 'top' }).map((h) => h.dot);
        const bias = -scores[Math.min(count - 1, Math.floor((1 - c.quantile) * count))];
        const excluded = new Uint8Array(count).map((_, i) =>
          ((i * 2654435761) >>> 0) % 1000 < c.seenShare * 1000 ? 1 : 0,
        );
        const ranking: Ranking = c.boundary ? { kind: 'boundary', bias } : { kind: 'top' };
        const f = fixture(dir, vectors, c.dimension);
        try {
          const stats = await assertSameAsReference(f, vectors, w, c.k, ranking, excluded);
          refinedTotal += stats.refined;
          rescoredTotal += stats.rescored;
          cases++;
        } finally {
          await f.close();
        }
      },
    ),
    { seed: 14, numRuns: 200 },
  );
  console.log(
    `# clustered: ${cases} cases equal the reference; ${refinedTotal} rows 4-bit refined, ${rescoredTotal} re-scored`,
  );
});
