import type { LoopRoundRow } from './loop-rounds';
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

export interface BenchTables {
  machine: string;
  queries: QueryRow[];
  rounds: RoundRow[];
  loop: LoopRoundRow[];
  /** "same as the float32 scan" checks of the loop heads, per dataset and size. */
  loopIdentical: { dataset: string; rows: number; identical: string }[];
  memory: { dataset: string; row: MemoryRow }[];
}

export function renderTables(t: BenchTables): string {
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
      '4-bit pass/query',
      're-scored/query',
      'same as reference',
      'plain JS median ms',
      'JS / engine',
      'usearch 1 thread ms',
      'usearch all cores ms',
      'usearch(all) / engine',
    ],
    t.queries.map((r) => [
      r.dataset,
      r.rows.toLocaleString('en'),
      String(r.dimension),
      r.ranking,
      String(r.k),
      fmt(r.engine.median),
      fmt(r.engine.p95),
      `${(((r.rows / r.engine.median) * 1000) / 1e6).toFixed(0)}M`,
      r.refined.toLocaleString('en'),
      `${r.rescored.toLocaleString('en')}${r.fullScans ? ` (${r.fullScans} full)` : ''}`,
      r.identical,
      fmt(r.plainJs.median),
      ratio(r.plainJs.median, r.engine.median),
      r.usearch1 ? fmt(r.usearch1.median) : '-',
      r.usearchAll ? fmt(r.usearchAll.median) : '-',
      ratio(r.usearchAll?.median, r.engine.median),
    ]),
  );
  const loop = table(
    [
      'data',
      'rows',
      'strategy',
      'heads',
      'rounds',
      'round median ms',
      'round p95 ms',
      'query median ms',
      'query p95 ms',
      '4-bit pass/query',
      're-scored/query',
      'exact fallbacks',
    ],
    t.loop.map((r) => [
      r.dataset,
      r.rows.toLocaleString('en'),
      r.strategy,
      r.phase,
      String(r.samples),
      fmt(r.round.median),
      fmt(r.round.p95),
      fmt(r.query.median),
      fmt(r.query.p95),
      r.refined.toLocaleString('en'),
      r.rescored.toLocaleString('en'),
      `${r.fullScans} of ${r.queries}`,
    ]),
  );
  const same = t.loopIdentical.map((c) => `${c.dataset} ${c.rows.toLocaleString('en')}: ${c.identical}`).join('; ');
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
    t.rounds.map((r) => [
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
  const seconds = (s: number | undefined) => (s === undefined ? '-' : s.toFixed(2));
  const mt = table(
    [
      'data',
      'rows',
      'open cold s',
      'open + first query cold s',
      'open warm s',
      'open + first query warm s',
      'search cache',
      'store RSS MB',
      'MB per 1M rows',
      'process RSS MB',
    ],
    t.memory.map(({ dataset, row: m }) => [
      dataset,
      m.rows.toLocaleString('en'),
      seconds(m.cold?.openSeconds),
      seconds(m.cold?.firstAnswerSeconds),
      seconds(m.warm.openSeconds),
      seconds(m.warm.firstAnswerSeconds),
      m.cache,
      m.storeMb.toFixed(0),
      m.perMillionMb.toFixed(0),
      m.processMb.toFixed(0),
    ]),
  );
  return [
    `# Speed at scale (${t.machine})`,
    '',
    '## Filtered exact top-k (about 5% of rows seen and excluded; usearch cannot filter and scans all rows)',
    '',
    q,
    '',
    '## Heads trained by the loop on clustered data: the whole round (submit + next batch), per phase of a head',
    '',
    loop,
    '',
    `Answers for the loop's heads (top and boundary, at rounds 5, 10 and 20) equal to the float32 scan: ${same}.`,
    '',
    '## The whole Next Batch round with random heads (real TuningSession on the real store and head files)',
    '',
    rt,
    '',
    '## Opening the embedded store, and its resident memory (fresh process, after one query)',
    '',
    mt,
    '',
  ].join('\n');
}
