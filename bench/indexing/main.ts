/**
 * The indexing benchmark (issue 6, benchmark 3): images per second of the whole indexing pipeline (walk, read,
 * decode, resize, preprocess, model, store write) against the model alone on pre-made tensors of the same
 * batch size, measured interleaved in the same process. See README.md beside this file.
 *
 *   npx tsx bench/indexing/main.ts [--limit N] [--datasets ...] [--models ...] [--threads ...] [--batch ...]
 *                                  [--pipelines ...] [--queue N] [--memory ...] [--segment N] [--out DIR]
 */
import { fork } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ProcessResult } from './measure';
import type { MemoryResult } from './memory-run';
import { ensureModel } from './models';
import { Job, Options, parseArgs } from './options';
import { comparePrecisions, DEFAULT_COMPARISON } from './precision';
import { memoryTable, processTable, queueTable, stagesTable, throughputTable } from './tables';

/** Runs one measuring process; children inherit tsx through process.execArgv. */
function measure<R>(job: Job): Promise<R> {
  const what = `${job.kind} of ${job.model} [${job.threads}]`;
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, 'measure.ts'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: R | undefined;
    child.on('message', (m: { result?: R; error?: string }) => {
      if (m.error) reject(new Error(`measuring the ${what} failed:\n${m.error}`));
      result = m.result;
    });
    child.on('exit', (code) =>
      result ? resolve(result) : reject(new Error(`measuring the ${what} exited with code ${code}`)),
    );
    child.send(job);
  });
}

function describe(o: Options, cores: number): string {
  return [
    `Indexing benchmark: ${cores} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}.`,
    `Images per dataset: ${o.limit ?? 'all'}; batch sizes ${o.batchSizes.join(', ')}; pipelines ${o.pipelines.map((p) => p.name).join(', ')} (pool: queue of ${o.pipelines.find((p) => p.decodeThreads !== 0)?.readAhead ?? '-'} batches).`,
    'Model alone = the vision model on pre-made input tensors (real images, preprocessed once), same batch size.',
    'Pipeline = indexFolder on a fresh copy of the files: walk, hash, read, decode, resize, preprocess, model, store write;',
    "  pool: decoding and preprocessing on decode threads beside the model; inline-N: on the model's thread, N batches ahead.",
    'Both run interleaved, segment by segment, in one process per model and thread mode; ratio = pipeline/s over model alone/s.',
    '"in model" = share of the pipeline\'s wall time spent inside the model call (steadier than the ratio on a busy machine);',
    '"waiting" = share the model\'s thread spent waiting for its next batch of input.',
  ].join('\n');
}

async function main(): Promise<void> {
  const started = Date.now();
  const o = parseArgs(process.argv.slice(2));
  const cores = os.availableParallelism();
  const log = (s: string) =>
    process.stderr.write(`  [${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${s}\n`);
  const results: ProcessResult[] = [];
  const memory: MemoryResult[] = [];
  for (const model of o.models) {
    const modelDir = await ensureModel(model, log);
    for (const threads of o.threads) {
      log(`measuring ${model} with threads: ${threads}`);
      results.push(await measure<ProcessResult>({ kind: 'throughput', model, modelDir, threads, options: o }));
    }
    for (const threads of o.threads) {
      for (let variant = 0; variant < o.memory.length; variant++) {
        log(`peak memory of ${model} [${threads}] with pipeline ${o.memory[variant].name}`);
        memory.push(await measure<MemoryResult>({ kind: 'memory', model, modelDir, threads, options: o, variant }));
      }
    }
  }
  const precision: string[] = [];
  for (const threads of o.precisions.length > 0 ? o.threads : [])
    precision.push(
      '',
      (await comparePrecisions({ ...DEFAULT_COMPARISON, threads, precisions: o.precisions }, log)).text,
    );
  const seconds = (Date.now() - started) / 1000;
  const text = [
    describe(o, cores),
    '',
    throughputTable(results),
    '',
    'Each step alone, one after the other, milliseconds per image (first batches of each dataset):',
    stagesTable(results),
    '',
    'The decode queue when the model asked for a batch (capacity: batches ahead plus the one asked for):',
    queueTable(results),
    '',
    'Thread settings and memory, per measuring process:',
    processTable(results),
    ...precision,
    '',
    `Peak memory of each pipeline alone, one process each (${o.memoryImages} images of ${o.datasets[0]}; input ahead: the model inputs queued or read ahead plus the one in the model, at 224 px):`,
    o.memory.length ? memoryTable(memory) : '(not measured: --memory none)',
    '',
    `total time ${seconds.toFixed(0)} s; results in ${path.relative(process.cwd(), o.out) || '.'}/`,
  ].join('\n');
  console.log(text);
  await fs.mkdir(o.out, { recursive: true });
  await fs.writeFile(path.join(o.out, 'results.md'), '```\n' + text + '\n```\n');
  const json = { options: o, cores, cpu: os.cpus()[0]?.model, node: process.version, seconds, results, memory };
  await fs.writeFile(path.join(o.out, 'results.json'), JSON.stringify(json, null, 1) + '\n');
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
