/**
 * The label-efficiency benchmark (issue 4): how many labels the vector-search loop needs to come close to a
 * fully supervised head on rare classes of real embeddings, against random sampling.
 *
 *   npx tsx bench/label-efficiency/main.ts [--seeds 5] [--budget 300] [--random-factor 5] [--batch 10]
 *                                          [--classes hat,skirt,ship] [--set key=value]... [--workers N] [--out dir]
 *                                          [--clothing-held test|validation+test]
 *
 * `--set` overrides a training setting (e.g. --set l2=0.001), for before/after measurements of the engine.
 * Prints the tables and writes results.json, results.md and one learning-curve SVG (and PNG, when Debian's
 * chromium is installed) per class into bench-results/label-efficiency/.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_TRAINING } from '../../src/core/head/linear-head';
import { budgets, Options, parseArgs } from './options';
import { runJobs } from './pool';
import { renderPng } from './render';
import { CurvePoint, METHODS, Method } from './run';
import { spread, summarise, HOLD_ROUNDS, type TaskResult } from './stats';
import { learningCurveSvg } from './svg';
import { formatTask, verdict } from './tables';
import { coverage, CoverageRow, formatCoverage, formatStops, StopSummary, summariseStops } from './extras-tables';
import type { Job, JobResult, TaskInfo } from './worker';

const TASK_OF: Record<string, string> = { hat: 'clothing/hat', skirt: 'clothing/skirt', ship: 'cifar10/ship' };

/** The methods run: all, or those of --methods (random always: every ratio is against it). */
function methodsOf(o: Options): Method[] {
  if (!o.methods) return METHODS;
  const unknown = o.methods.filter((m) => !(METHODS as string[]).includes(m));
  if (unknown.length > 0) throw new Error(`--methods: unknown ${unknown.join(', ')}; known: ${METHODS.join(', ')}`);
  return METHODS.filter((m) => m === 'random' || o.methods!.includes(m));
}

/** Longest first (random runs five times longer; CIFAR has the larger pool), so the pool ends on short jobs. */
function jobsFor(o: Options): Job[] {
  const tasks = o.classes.map((c) => TASK_OF[c]);
  const seeds = Array.from({ length: o.seeds }, (_, i) => i + 1);
  const loops: Job[] = tasks.flatMap((task) =>
    seeds.flatMap((seed) => methodsOf(o).map((method): Job => ({ kind: 'loop', task, method, seed }))),
  );
  const cost = (j: Job) =>
    (j.kind === 'full' ? 3 : j.method === 'random' ? 10 : 1) * (j.task.startsWith('cifar') ? 1.5 : 1);
  return [...tasks.map((task): Job => ({ kind: 'full', task })), ...loops].sort((a, b) => cost(b) - cost(a));
}

type LoopJobResult = Extract<JobResult, { kind: 'loop' }>;

function assemble(
  task: string,
  results: JobResult[],
  o: Options,
): TaskResult & { stops: StopSummary[]; coverage: CoverageRow[] } {
  const methods = methodsOf(o);
  const b = budgets(o);
  const mine = results.filter((r) => r.task === task);
  const fullJob = mine.find((r) => r.kind === 'full') as Extract<JobResult, { kind: 'full' }>;
  const info: TaskInfo = fullJob.info;
  const seeds = Array.from({ length: o.seeds }, (_, i) => i + 1);
  const runOf = (method: Method, seed: number) =>
    mine.find((r) => r.kind === 'loop' && r.method === method && r.seed === seed) as LoopJobResult;
  const curves = Object.fromEntries(methods.map((m) => [m, seeds.map((s) => runOf(m, s).curve)])) as Record<
    Method,
    CurvePoint[][]
  >;
  const reference = fullJob.full.ap;
  const random = summarise('random', curves.random, reference, b.random, b.common);
  const stops = methods.map((m) =>
    summariseStops(
      m,
      seeds.map((s) => {
        const run = runOf(m, s);
        return { stop: run.stop, finalAp: run.curve[run.curve.length - 1].ap };
      }),
    ),
  );
  // Audits of the strategies' final heads (random's run 5x longer: a different head quality, reported apart).
  const audited = mine.filter((r): r is LoopJobResult => r.kind === 'loop' && r.method !== 'random');
  const summaries = methods
    .filter((m) => m !== 'random')
    .map((m) => summarise(m, curves[m], reference, b.common, b.common, random.reach));
  summaries.push(random);
  return {
    task,
    description: info.description,
    baseRate: info.heldPositives / info.heldRows,
    seeds,
    full: fullJob.full,
    startAp: spread(curves.random.map((c) => c[0].ap)), // the same start for every method
    commonBudget: b.common,
    summaries,
    curves,
    stops,
    coverage: coverage(audited.flatMap((r) => r.audit)),
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const cores = os.availableParallelism();
  const o = parseArgs(process.argv.slice(2), cores);
  const settings = { ...DEFAULT_TRAINING, ...o.settings };
  const b = budgets(o);
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s`;
  const log = (s: string) => process.stderr.write(`  [${elapsed()}] ${s}\n`);
  const jobs = jobsFor(o);
  log(`${jobs.length} jobs on ${Math.min(o.workers, jobs.length)} worker process(es), ${cores} cores`);
  const results = await runJobs(jobs, o, (r) => {
    if (r.kind === 'full')
      log(
        `${r.task}: full supervision AP ${r.full.ap.toFixed(3)} after ${r.full.passes} passes (${r.seconds.toFixed(1)} s)`,
      );
    else {
      const at = r.curve.find((p) => p.labels === b.common) ?? r.curve[r.curve.length - 1];
      log(
        `${r.task} seed ${r.seed} ${r.method.padEnd(8)} AP@${at.labels} ${at.ap.toFixed(3)} (${at.positives} positives) in ${r.seconds.toFixed(1)} s`,
      );
    }
  });
  const tasks = o.classes.map((c) => assemble(TASK_OF[c], results, o));

  await fs.mkdir(o.out, { recursive: true });
  const files: string[] = [];
  for (const r of tasks) {
    const base = path.join(o.out, `curve-${r.task.replace('/', '-')}`);
    await fs.writeFile(`${base}.svg`, learningCurveSvg(r));
    files.push(`${base}.svg`);
    const png = await renderPng(`${base}.svg`, `${base}.png`);
    if (png) files.push(png);
  }
  const seconds = (Date.now() - started) / 1000;
  const text = [
    `Label-efficiency benchmark: ${o.seeds} seeds, batches of ${o.batch}, ${o.starts} start positives per seed, strategies get ${b.common - o.starts} labels ` +
      `(${b.common} with the start), random sampling ${b.random - o.starts} (${b.random}). MobileNetV2 embeddings, centred + L2.`,
    `Training: ${JSON.stringify(settings)}. -diverse strategies: pool 5x the batch, near-duplicates at cosine >= ${o.diverseSimilarity} collapse.`,
    `"labels to 90%": labels (start included) at the first round from which held-out AP stays >= 90% of the full-supervision AP for ${HOLD_ROUNDS} rounds;`,
    'mean over the seeds that got there within the budget (how many in brackets). "vs random": random sampling\'s labels / the method\'s,',
    'seeds that never got there counted at the budget (">=": random missed on some seed, a lower bound; "<=": the method did; "?": both).',
    '',
    ...tasks.flatMap((r) => [formatTask(r), '']),
    ...tasks.flatMap((r) => [formatStops(r.task, r.stops, b.common), '']),
    ...tasks.flatMap((r) => [
      formatCoverage(r.task, r.coverage, o.auditSize, o.seeds * (methodsOf(o).length - 1), o.auditDraws),
      '',
    ]),
    ...tasks.map((r) => verdict(r)),
    '',
    `cores: ${cores}; worker processes: ${Math.min(o.workers, jobs.length)}; total time ${seconds.toFixed(0)} s; files in ${path.relative(process.cwd(), o.out) || '.'}/`,
  ].join('\n');
  console.log(text);
  await fs.writeFile(path.join(o.out, 'results.md'), '```\n' + text + '\n```\n');
  const json = {
    options: { ...o, settings },
    cores,
    seconds,
    verdicts: tasks.map((r) => verdict(r)),
    files: files.map((f) => path.relative(o.out, f)),
    results: tasks,
  };
  await fs.writeFile(path.join(o.out, 'results.json'), JSON.stringify(json, null, 1) + '\n');
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
