/**
 * What Pinecone requests a head costs, at 10k, 100k and 1M records: the extension's engine (in this process) on the
 * local stand-in of Pinecone, which counts every request and byte per endpoint. Prints, per collection size, the
 * requests and bytes of a head start, a head open, a tuning round (next batch + submit, 12 images) and a Reset Seen.
 *
 *   npm run bench:pinecone                       # 10k, 100k at 512-d; 10k, 100k, 1M at 64-d
 *   npm run bench:pinecone -- --sizes 10000,1000000 --dims 64
 *
 * The records are clustered unit vectors (20 clusters and a 5 % positive cluster, clusteredRecords), seeded into the
 * stand-in directly; what is measured is the traffic of the steps above, which does not depend on how the records
 * got there. Requests are the figure to compare across sizes; bytes depend on the dimension (a fetch returns vectors).
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { startFakePinecone } from '../../test/helpers/fake-pinecone';
import {
  clusteredRecords,
  measureRounds,
  seedIndex,
  totalOf,
  type RoundCosts,
  type StepTraffic,
} from '../../test/helpers/pinecone-rounds';

const ROUNDS = 3;
const BATCH = 12;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { sizes: { type: 'string' }, dims: { type: 'string' } },
  });
  const runs: [number, number][] = values.sizes
    ? values.sizes
        .split(',')
        .flatMap((n) => (values.dims ?? '64').split(',').map((d): [number, number] => [Number(n), Number(d)]))
    : [
        [10_000, 512],
        [100_000, 512],
        [10_000, 64],
        [100_000, 64],
        [1_000_000, 64],
      ];
  const rows: string[][] = [];
  for (const [n, dimension] of runs) {
    const fake = await startFakePinecone({ keepBodies: false });
    const workspace = await fs.mkdtemp(path.join(os.tmpdir(), 'vt-bench-pinecone-'));
    try {
      const t0 = Date.now();
      const { records, positive } = clusteredRecords(n, dimension, 0.05, n);
      await seedIndex(fake, 'bench', records, `bench/clustered-${dimension}`);
      records.length = 0; // the stand-in holds its own copy
      process.stderr.write(
        `${n.toLocaleString('en-US')} x ${dimension}-d seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
      );
      const costs = await measureRounds(fake, 'bench', positive, workspace, { rounds: ROUNDS, batch: BATCH });
      rows.push(...table(n, dimension, costs));
    } finally {
      await fake.close();
      await fs.rm(workspace, { recursive: true, force: true });
    }
  }
  const header = ['records', 'dim', 'step', 'requests', 'by endpoint', 'bytes sent', 'bytes received'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 4 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}

function table(n: number, dimension: number, costs: RoundCosts): string[][] {
  const steps: [string, StepTraffic][] = [
    ['head start', costs.start],
    ['head open', costs.open],
    ...costs.rounds.map((r, i): [string, StepTraffic] => [`round ${i + 1}`, r]),
    ['reset seen', costs.reset],
  ];
  return steps.map(([step, traffic]) => {
    const total = totalOf(traffic);
    const byEndpoint = Object.entries(traffic)
      .map(([endpoint, t]) => `${endpoint.split(' ')[1].replace('/vectors/', '').replace(/^\//, '')} ${t.requests}`)
      .join(', ');
    return [
      n.toLocaleString('en-US'),
      String(dimension),
      step,
      String(total.requests),
      byEndpoint,
      total.bytesIn.toLocaleString('en-US'),
      total.bytesOut.toLocaleString('en-US'),
    ];
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
