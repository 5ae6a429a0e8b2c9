/**
 * Speed at scale (issues 6 and 14): filtered exact top-k, the whole Next Batch round (with heads trained by the loop
 * on clustered, real-looking data, and with random heads), opening the store and its resident memory, measured side
 * by side in one process. `npx tsx bench/query/main.ts [--sizes 10000,100000,1000000] [--rounds 20] [--quick]
 * [--only clustered|synthetic]`. Tables on stdout; results in bench-results/query/.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { clusteredStore } from './clustered-data';
import { CACHE, cifarStore, classHeads, randomHeads, readAllVectors, syntheticStore } from './data';
import { benchLoopRounds } from './loop-rounds';
import { measureMemory } from './memory';
import { benchQueries, type QueryHead } from './query';
import { benchRounds } from './round';
import { type BenchTables, renderTables } from './tables';

const OUT = path.join(__dirname, '../../bench-results/query');

/** Random directions get the bias the query table always used for them. */
const withBias = (heads: Float32Array[]): QueryHead[] => heads.map((w) => ({ w, bias: -1 }));

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const option = (name: string, fallback: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : fallback;
  };
  const quick = args.includes('--quick');
  const sizes = option('--sizes', quick ? '10000,100000' : '10000,100000,1000000')
    .split(',')
    .map(Number);
  const rounds = Number(option('--rounds', quick ? '5' : '20'));
  const only = option('--only', 'all');
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const machine = `${os.cpus()[0]?.model ?? 'cpu'}, ${os.availableParallelism()} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  log(machine);

  const t: BenchTables = { machine, queries: [], rounds: [], loop: [], loopIdentical: [], memory: [] };
  for (const rows of sizes) {
    if (only !== 'synthetic') {
      const dir = await clusteredStore(rows, CACHE, log);
      t.memory.push({ dataset: 'clustered', row: measureMemory(dir) });
      const all = readAllVectors(dir, rows, 512);
      const loop = await benchLoopRounds('clustered', dir, all, log);
      t.loop.push(...loop.rows);
      t.loopIdentical.push({ dataset: 'clustered', rows, identical: loop.identical });
      t.queries.push(...(await benchQueries('clustered (loop heads)', dir, all, loop.heads, log)));
    }
    if (only !== 'clustered') {
      const dir = await syntheticStore(rows, log);
      t.memory.push({ dataset: 'synthetic', row: measureMemory(dir) });
      const all = readAllVectors(dir, rows, 512);
      t.queries.push(...(await benchQueries('synthetic', dir, all, withBias(randomHeads(16, 512, rows)), log)));
      if (rows >= 100_000) {
        for (const strategy of ['top', 'boundary'] as const)
          t.rounds.push(await benchRounds('synthetic', dir, strategy, rounds, log));
      }
    }
  }
  if (only !== 'clustered') {
    const cifar = await cifarStore();
    const cifarVectors = readAllVectors(cifar.dir, cifar.labels.length, 1280);
    const heads = withBias(classHeads(cifarVectors, 1280, cifar.labels));
    t.queries.push(...(await benchQueries('CIFAR-10 (real)', cifar.dir, cifarVectors, heads, log)));
  }

  const text = renderTables(t);
  console.log(text);
  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(path.join(OUT, 'results.md'), text);
  fs.writeFileSync(path.join(OUT, 'results.json'), JSON.stringify(t, null, 2));
  log(`wrote ${path.relative(process.cwd(), OUT)}/results.{md,json}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
