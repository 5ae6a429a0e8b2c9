/**
 * Importing embeddings: `a` (300 rows, creates a centred store), then `b` (150 rows, 60 of them replacing rows of
 * a, which rewrites the store into a new generation). After a kill every record is a's or b's version of itself, an
 * acknowledged import is wholly there, and the resumed imports end with the store an uninterrupted run made.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { toCsv } from '../../src/core/io/csv';
import { writeNpy } from '../../src/core/io/npy';
import { randomUnitVectors } from '../helpers/vectors';
import { layout, type VictimJob } from './job';
import { compareJson, problem, type Problem, type Scenario } from './scenario';
import {
  checkRecordVersions,
  compareFiles,
  isProblem,
  listFiles,
  missingRecords,
  readStoreState,
  storeJson,
  type StoreState,
} from './store-state';

const D = 32;
const PARTS = { a: { rows: 300, first: 0, seed: 11 }, b: { rows: 150, first: 240, seed: 12 } };

async function writePart(dir: string, part: keyof typeof PARTS): Promise<void> {
  const { rows, first, seed } = PARTS[part];
  const l = layout(dir);
  // Not unit length and off-centre, as real features are: the import centres and normalises them.
  const data = randomUnitVectors(rows, D, seed).map((v, i) => v * (1 + (i % 5)) + 0.3);
  await writeNpy(l.npy(part), rows, D, data);
  const ids = Array.from({ length: rows }, (_, i) => `row-${first + i}`);
  await fs.writeFile(
    l.csv(part),
    toCsv(
      ['id', 'path'],
      ids.map((id) => [id, `features/${id}.jpg`]),
    ),
  );
}

export function importScenario(): Scenario {
  let afterA: StoreState;
  let final: StoreState;
  let finalFiles: string[];
  const storeOf = async (dir: string): Promise<StoreState> => {
    const s = await readStoreState(layout(dir).store);
    if (!s || isProblem(s)) throw new Error(`reference store unreadable: ${JSON.stringify(s)}`);
    return s;
  };
  return {
    name: 'import',
    async setup(ctx) {
      await fs.mkdir(ctx.fixture, { recursive: true });
      await writePart(ctx.fixture, 'a');
      await writePart(ctx.fixture, 'b');
      const onlyA = path.join(ctx.scratch, 'only-a');
      await ctx.copy(ctx.fixture, onlyA);
      await ctx.runClean({ scenario: 'import', dir: onlyA, parts: ['a'] });
      afterA = await storeOf(onlyA);
      const ref = path.join(ctx.scratch, 'reference');
      await ctx.copy(ctx.fixture, ref);
      const run = await ctx.runClean(this.job(ref, 0), true);
      final = await storeOf(ref);
      finalFiles = await listFiles(layout(ref).store);
      return run;
    },
    job: (dir): VictimJob => ({ scenario: 'import', dir }),
    startState: async () => null,
    async afterKill(dir, acks) {
      const state = await readStoreState(layout(dir).store);
      if (isProblem(state)) return [state];
      const problems: Problem[] = state ? checkRecordVersions(state, [afterA, final], 'store') : [];
      // After "a" was acknowledged its rows may since have been replaced by b's, never lost.
      if (acks.includes('import a')) {
        const gone = [...afterA.records.keys()].filter((id) => !state?.records.has(id));
        if (gone.length > 0)
          problems.push(
            problem('lost', `import a was acknowledged but ${gone.length} of its rows are missing (e.g. ${gone[0]})`),
          );
      }
      if (acks.includes('import b')) {
        const gone = missingRecords(state, final);
        if (gone.length > 0)
          problems.push(
            problem('lost', `import b was acknowledged but ${gone.length} rows are missing or older (e.g. ${gone[0]})`),
          );
      }
      return problems;
    },
    async afterResume(dir) {
      const state = await readStoreState(layout(dir).store);
      if (isProblem(state)) return [state];
      return [
        ...compareJson('store', storeJson(state), storeJson(final)),
        ...(await compareFiles('store files', layout(dir).store, finalFiles)),
      ];
    },
  };
}
