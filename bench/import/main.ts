/**
 * Streaming import at scale (issue 14): `vector-tune import` of a 1M x 512 float32 .npy (2 GB) of real-looking rows
 * (bench/query/clustered-data.ts) with its CSV, through the built CLI in a fresh process: wall time, .npy MB/s,
 * peak resident memory, the progress lines it printed; then the same import again (everything already there: what
 * resuming an interrupted import costs). `npm run bench:import [-- --rows 1000000]`; results in bench-results/import/.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { npyHeader } from '../../src/core/io/npy';
import { CLUSTERED_DIMENSION, clusteredRows, clusteredSources } from '../query/clustered-data';

const OUT = path.join(__dirname, '../../bench-results/import');
const CLI = path.join(__dirname, '../../dist/cli.js');
const BLOCK = 50_000;

interface Run {
  what: string;
  seconds: number;
  npyMbPerSecond: number;
  peakRssMb: number;
  cpuSeconds: number;
  stdout: string;
  progress: string[];
}

/** The .npy and CSV of `rows` clustered rows, made once (the CSV: id, path, label, as a team's export has). */
async function inputs(rows: number, log: (s: string) => void): Promise<{ npy: string; csv: string }> {
  const npy = path.join(OUT, `clustered-${rows}.npy`);
  const csv = path.join(OUT, `clustered-${rows}.csv`);
  const header = npyHeader(rows, CLUSTERED_DIMENSION);
  if (fs.existsSync(csv) && fs.statSync(npy).size === header.length + rows * CLUSTERED_DIMENSION * 4)
    return { npy, csv };
  log(`writing ${path.relative(process.cwd(), npy)} (${((rows * CLUSTERED_DIMENSION * 4) / 1e9).toFixed(1)} GB) ...`);
  fs.mkdirSync(OUT, { recursive: true });
  const sources = await clusteredSources(path.join(__dirname, '../../bench-results/query/cache'));
  const npyFd = fs.openSync(npy, 'w');
  const csvFd = fs.openSync(csv, 'w');
  fs.writeSync(npyFd, header);
  fs.writeSync(csvFd, 'id,path,label\n');
  for (let start = 0; start < rows; start += BLOCK) {
    const { vectors, labels } = clusteredRows(sources, start, Math.min(BLOCK, rows - start));
    fs.writeSync(npyFd, new Uint8Array(vectors.buffer));
    const lines = labels.map((label, i) => {
      const id = `photos/${label}/img_${String(start + i).padStart(8, '0')}.jpg`;
      return `${id},${id},${label}\n`;
    });
    fs.writeSync(csvFd, lines.join(''));
  }
  fs.closeSync(npyFd);
  fs.closeSync(csvFd);
  return { npy, csv };
}

/** Drops a file from the page cache (GNU dd asks the kernel to), so the import reads it from disk. */
function dropFromPageCache(file: string): boolean {
  try {
    execFileSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']);
    return true;
  } catch {
    return false;
  }
}

/** `vector-tune import` in a fresh process, timed, with its peak memory (report-rss.cjs) and progress lines. */
function runImport(what: string, npy: string, csv: string, store: string, log: (s: string) => void): Promise<Run> {
  const args = ['-r', path.join(__dirname, 'report-rss.cjs'), CLI, 'import', npy, '--csv', csv];
  args.push('--model-id', 'clustered/mobilenetv2-projected-512', '--id-column', 'id', '--path-column', 'path');
  args.push('--store', store);
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const line of d.toString().split('\n')) if (/^(checked|imported) /.test(line)) log(`  ${line}`);
  });
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      const seconds = (performance.now() - t0) / 1000;
      if (code !== 0) return reject(new Error(`import exited ${code}: ${stderr}`));
      const usage = JSON.parse(/bench-import (.*)/.exec(stderr)![1]) as { peakRssKb: number; cpuSeconds: number };
      resolve({
        what,
        seconds,
        npyMbPerSecond: fs.statSync(npy).size / 1e6 / seconds,
        peakRssMb: (usage.peakRssKb * 1024) / 1e6,
        cpuSeconds: usage.cpuSeconds,
        stdout: stdout.trim(),
        progress: stderr.split('\n').filter((l) => /^(checked|imported) /.test(l)),
      });
    });
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const i = args.indexOf('--rows');
  const rows = i >= 0 ? Number(args[i + 1]) : 1_000_000;
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const machine = `${os.cpus()[0]?.model ?? 'cpu'}, ${os.availableParallelism()} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  log(machine);
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run "node esbuild.js" first`);
  const { npy, csv } = await inputs(rows, log);
  const store = path.join(OUT, 'store');
  fs.rmSync(store, { recursive: true, force: true });
  const cold = dropFromPageCache(npy);
  const runs: Run[] = [];
  runs.push(
    await runImport(`into an empty store${cold ? ' (.npy dropped from the page cache)' : ''}`, npy, csv, store, log),
  );
  runs.push(await runImport('again: every row already there (a resumed import)', npy, csv, store, log));
  const table = [
    '| import | rows | .npy GB | seconds | .npy MB/s | peak RSS MB | CPU s | result |',
    '|---|---|---|---|---|---|---|---|',
    ...runs
      .map((r) =>
        [
          r.what,
          rows.toLocaleString('en'),
          (fs.statSync(npy).size / 1e9).toFixed(2),
          r.seconds.toFixed(1),
          r.npyMbPerSecond.toFixed(0),
          r.peakRssMb.toFixed(0),
          r.cpuSeconds.toFixed(1),
          r.stdout.split('\n')[0],
        ].join(' | '),
      )
      .map((line) => `| ${line} |`),
  ].join('\n');
  const text = [
    `# Streaming import (${machine})`,
    '',
    table,
    '',
    'Progress lines (stderr) of the first run:',
    '',
    ...runs[0].progress.map((l) => `    ${l}`),
    '',
  ].join('\n');
  console.log(text);
  fs.writeFileSync(path.join(OUT, 'results.md'), text);
  fs.writeFileSync(path.join(OUT, 'results.json'), JSON.stringify({ machine, rows, runs }, null, 2));
  fs.rmSync(store, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
