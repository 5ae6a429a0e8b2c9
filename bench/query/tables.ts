import type { MemoryRow } from './memory';
import type { QueryRow } from './query';
import type { RoundRow } from './round';
import { fmt } from './timing';

const ratio = (slow: number | undefined, fast: number) => (slow === undefined ? '-' : `${(slow / fast).toFixed(1)}x`);

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

export function renderTables(machine: string, queries: QueryRow[], rounds: RoundRow[], memory: MemoryRow[]): string {
  const q = table(
    [
      'data',
      'rows',
      'dim',
      'ranking',
      'k',
      'engine median ms',
      'p95 ms',
      'rows/s scanned',
      're-scored/query',
      'same as reference',
      'plain JS median ms',
      'JS / engine',
      'usearch 1 thread ms',
      'usearch all cores ms',
      'usearch(all) / engine',
    ],
    queries.map((r) => [
      r.dataset,
      r.rows.toLocaleString('en'),
      String(r.dimension),
      r.ranking,
      String(r.k),
      fmt(r.engine.median),
      fmt(r.engine.p95),
      `${(((r.rows / r.engine.median) * 1000) / 1e6).toFixed(0)}M`,
      `${r.rescored.toLocaleString('en')}${r.fullScans ? ` (${r.fullScans} full)` : ''}`,
      r.identical,
      fmt(r.plainJs.median),
      ratio(r.plainJs.median, r.engine.median),
      r.usearch1 ? fmt(r.usearch1.median) : '-',
      r.usearchAll ? fmt(r.usearchAll.median) : '-',
      ratio(r.usearchAll?.median, r.engine.median),
    ]),
  );
  const rt = table(
    [
      'data',
      'rows',
      'strategy',
      'batch',
      'labels at end',
      'submit median ms (append, SGD, weights, seen)',
      'query median ms',
      'round median ms',
      'round p95 ms',
    ],
    rounds.map((r) => [
      r.dataset,
      r.rows.toLocaleString('en'),
      r.strategy,
      String(r.batch),
      String(r.labelsAtEnd),
      fmt(r.submit.median),
      fmt(r.query.median),
      fmt(r.total.median),
      fmt(r.total.p95),
    ]),
  );
  const mt = table(
    ['rows', 'open s', 'store RSS MB', 'MB per 1M rows', 'process RSS MB'],
    memory.map((m) => [
      m.rows.toLocaleString('en'),
      m.openSeconds.toFixed(1),
      m.storeMb.toFixed(0),
      m.perMillionMb.toFixed(0),
      m.processMb.toFixed(0),
    ]),
  );
  return [
    `# Speed at scale (${machine})`,
    '',
    '## Filtered exact top-k (about 5% of rows seen and excluded; usearch cannot filter and scans all rows)',
    '',
    q,
    '',
    '## The whole Next Batch round (real TuningSession on the real store and head files)',
    '',
    rt,
    '',
    '## Resident memory of the embedded store (fresh process, after one query)',
    '',
    mt,
    '',
  ].join('\n');
}
