/**
 * Speed at scale (issue 6): filtered exact top-k, the whole Next Batch round, and resident memory of the embedded
 * store, measured side by side in one process. `npx tsx bench/query/main.ts [--sizes 10000,100000,1000000]
 * [--rounds 20] [--quick]`. Tables on stdout; results in bench-results/query/.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cifarStore, classHeads, randomHeads, readAllVectors, syntheticStore } from './data';
import { measureMemory, MemoryRow } from './memory';
import { benchQueries, QueryRow } from './query';
import { benchRounds, RoundRow } from './round';
import { renderTables } from './tables';

const OUT = path.join(__dirname, '../../bench-results/query');

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
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const machine = `${os.cpus()[0]?.model ?? 'cpu'}, ${os.availableParallelism()} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  log(machine);

  const queries: QueryRow[] = [];
  const roundRows: RoundRow[] = [];
  const memory: MemoryRow[] = [];
  for (const rows of sizes) {
    const dir = await syntheticStore(rows, log);
    queries.push(...(await benchQueries('synthetic', dir, randomHeads(16, 512, rows), log)));
    if (rows >= 100_000) {
      for (const strategy of ['top', 'boundary'] as const)
        roundRows.push(await benchRounds('synthetic', dir, strategy, rounds, log));
    }
    memory.push(measureMemory(dir));
  }
  const cifar = await cifarStore();
  const cifarVectors = readAllVectors(cifar.dir, cifar.labels.length, 1280);
  queries.push(
    ...(await benchQueries('CIFAR-10 (real)', cifar.dir, classHeads(cifarVectors, 1280, cifar.labels), log)),
  );

  const text = renderTables(machine, queries, roundRows, memory);
  console.log(text);
  fs.mkdirSync(OUT, { recursive: true });
  fs.writeFileSync(path.join(OUT, 'results.md'), text);
  fs.writeFileSync(
    path.join(OUT, 'results.json'),
    JSON.stringify({ machine, queries, rounds: roundRows, memory }, null, 2),
  );
  log(`wrote ${path.relative(process.cwd(), OUT)}/results.{md,json}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
