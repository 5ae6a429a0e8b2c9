import type { ProcessResult } from './measure';
import type { MemoryResult } from './memory-run';
import { TARGETS } from './models';

/** A plain-text table: first column left-aligned, the rest right-aligned. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const f1 = (n: number) => n.toFixed(1);
const pct = (n: number) => `${(100 * n).toFixed(1)}%`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function spread(values: number[]): string {
  if (values.length < 2) return 'one segment';
  const sorted = [...values].sort((a, b) => a - b);
  return `${pct(sorted[0])}-${pct(sorted[sorted.length - 1])}`;
}

/** Throughput: pipeline against model alone, per model, thread mode, dataset, batch size and pipeline variant. */
export function throughputTable(results: ProcessResult[]): string {
  const rows = results.flatMap((p) =>
    p.datasets.flatMap((d) =>
      d.pipelines.map((v) => {
        const target = TARGETS[p.model];
        return [
          p.model,
          p.threads.mode,
          d.dataset,
          String(d.images),
          String(d.batch),
          v.pipeline,
          String(v.decodeThreads),
          f1(d.modelAlone.perSecond),
          f1(v.perSecond),
          pct(v.ratio),
          `${pct(median(v.segmentRatios))} (${spread(v.segmentRatios)})`,
          pct(v.modelShare),
          pct(v.waitShare),
          target === undefined ? '-' : `${v.ratio >= target ? 'yes' : 'no'} (${pct(target)})`,
        ];
      }),
    ),
  );
  return table(
    [
      'model',
      'threads',
      'dataset',
      'images',
      'batch',
      'pipeline',
      'decode threads',
      'model alone/s',
      'pipeline/s',
      'ratio',
      'segments: median (range)',
      'in model',
      'waiting',
      'target met',
    ],
    rows,
  );
}

/** The decode queue: how full it was each time the model asked for a batch, overall and over the runs' time. */
export function queueTable(results: ProcessResult[]): string {
  const rows = results.flatMap((p) =>
    p.datasets.flatMap((d) =>
      d.pipelines.map((v) => [
        p.model,
        p.threads.mode,
        d.dataset,
        v.pipeline,
        String(v.readAhead + 1),
        v.fill.meanReady.toFixed(2),
        pct(v.fill.readyShare),
        v.fill.overTime.map((x) => (x === null ? '-' : x.toFixed(1))).join(' '),
      ]),
    ),
  );
  return table(
    [
      'model',
      'threads',
      'dataset',
      'pipeline',
      'capacity',
      'mean ready',
      'asks with one ready',
      'mean ready in each tenth of the run',
    ],
    rows,
  );
}

/** Peak RSS of each variant in a process of its own, against the first variant measured (today's pipeline). */
export function memoryTable(results: MemoryResult[]): string {
  const base = new Map<string, number>();
  const rows = results.map((r) => {
    const key = `${r.model} ${r.threads}`;
    if (!base.has(key)) base.set(key, r.peakRssMb);
    const queueMb = ((r.readAhead + 1) * r.batch * 3 * 224 * 224 * 4) / 2 ** 20;
    return [
      r.model,
      r.threads,
      r.pipeline,
      String(r.decodeThreads),
      String(r.readAhead),
      String(r.images),
      String(Math.round(r.rssAfterLoadMb)),
      String(Math.round(r.peakRssMb)),
      `${r.peakRssMb >= base.get(key)! ? '+' : ''}${Math.round(r.peakRssMb - base.get(key)!)}`,
      queueMb.toFixed(0),
    ];
  });
  return table(
    [
      'model',
      'threads',
      'pipeline',
      'decode threads',
      'ahead',
      'images',
      'RSS loaded MB',
      'peak RSS MB',
      'vs first MB',
      'input ahead MB',
    ],
    rows,
  );
}

/** Each step alone (milliseconds per image), one after the other, on the first batches. */
export function stagesTable(results: ProcessResult[]): string {
  const rows = results.flatMap((p) =>
    p.datasets.map((d) => {
      const s = d.stagesMs;
      const total = s.decode + s.preprocess + s.model + s.store;
      return [
        p.model,
        p.threads.mode,
        d.dataset,
        String(d.batch),
        s.decode.toFixed(2),
        s.preprocess.toFixed(2),
        s.model.toFixed(2),
        s.store.toFixed(2),
        pct(s.model / total),
      ];
    }),
  );
  return table(
    ['model', 'threads', 'dataset', 'batch', 'decode ms', 'preprocess ms', 'model ms', 'store ms', 'model share'],
    rows,
  );
}

export function processTable(results: ProcessResult[]): string {
  const rows = results.map((p) => [
    p.model,
    p.threads.mode,
    p.threads.onnxIntraOp,
    p.threads.onnxSpinning ? 'on' : 'off',
    String(p.threads.sharpConcurrency),
    p.threads.sharpCache ? 'on' : 'off',
    String(p.threads.uvThreadpool),
    f1(p.loadSeconds),
    String(Math.round(p.rssAfterLoadMb)),
    String(Math.round(p.peakRssMb)),
  ]);
  return table(
    [
      'model',
      'threads',
      'onnx intra-op',
      'spinning',
      'sharp threads',
      'sharp cache',
      'libuv pool',
      'load s',
      'RSS loaded MB',
      'peak RSS MB',
    ],
    rows,
  );
}
