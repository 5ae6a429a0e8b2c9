/**
 * Indexing real photos with a generated model of CLIP's layout, incrementally: the fixture's store holds 8 photos
 * indexed before, of which 2 have since been deleted and 2 replaced by other photos, and 4 new ones were added. The
 * run drops 2 records (a store rewrite), appends the new ones batch by batch and rewrites the 2 changed ones at the
 * end. After a kill every record is its old or its new version, no unchanged photo's record is missing, and an
 * acknowledged run's store is complete; resumed, the store equals the uninterrupted run's.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { sharedData } from '../helpers/temp';
import { layout, type VictimJob } from './job';
import { compareJson, problem, reclassify, type Problem, type Scenario } from './scenario';
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

const PHOTOS = sharedData('clothing', 'test');

/** Twelve real photos from four classes, in a fixed order. */
async function pickPhotos(): Promise<string[]> {
  const out: string[] = [];
  for (const cls of ['hat', 'shoes', 'skirt', 'dress']) {
    const names = (await fs.readdir(path.join(PHOTOS, cls))).filter((n) => n.endsWith('.jpg')).sort();
    out.push(...names.slice(0, 3).map((n) => path.join(PHOTOS, cls, n)));
  }
  return out;
}

export function indexScenario(modelDir: string): Scenario {
  let before: StoreState;
  let final: StoreState;
  let finalFiles: string[];
  /** Records the run must never touch: photos unchanged since the fixture's index run. */
  let unchanged: StoreState;
  const storeOf = async (dir: string) => {
    const s = await readStoreState(layout(dir).store);
    if (!s || isProblem(s)) throw new Error(`index: a reference store is unreadable: ${JSON.stringify(s)}`);
    return s;
  };
  const job = (dir: string): VictimJob => ({ scenario: 'index', dir, modelDir });
  return {
    name: 'index',
    async setup(ctx) {
      const photos = await pickPhotos();
      const folder = layout(ctx.fixture).photos;
      await fs.mkdir(folder, { recursive: true });
      const name = (i: number) => path.join(folder, `photo-${i}.jpg`);
      for (let i = 0; i < 8; i++) await fs.copyFile(photos[i], name(i));
      await ctx.runClean(job(ctx.fixture));
      before = await storeOf(ctx.fixture);
      await fs.rm(name(0));
      await fs.rm(name(1));
      await fs.copyFile(photos[8], name(2));
      await fs.copyFile(photos[9], name(3));
      for (let i = 8; i < 12; i++) await fs.copyFile(photos[i], name(i + 2));
      const ref = path.join(ctx.scratch, 'reference');
      await ctx.copy(ctx.fixture, ref);
      const run = await ctx.runClean(job(ref), true);
      final = await storeOf(ref);
      finalFiles = await listFiles(layout(ref).store);
      unchanged = {
        records: new Map([...before.records].filter(([id, r]) => final.records.get(id)?.vector === r.vector)),
        seen: new Map(),
      };
      if (unchanged.records.size !== 4)
        throw new Error(`index: expected 4 unchanged photos, found ${unchanged.records.size}`);
      return run;
    },
    job,
    startState: async () => null,
    async afterKill(dir, acks) {
      const state = await readStoreState(layout(dir).store);
      if (isProblem(state)) return [state];
      if (!state) return [problem('lost', 'the store is gone')];
      const problems: Problem[] = checkRecordVersions(state, [before, final], 'store');
      const gone = missingRecords(state, unchanged);
      if (gone.length > 0)
        problems.push(problem('lost', `${gone.length} unchanged photos lost their records (e.g. ${gone[0]})`));
      if (acks.some((a) => a.startsWith('indexed '))) {
        problems.push(
          ...reclassify(compareJson('store after an acknowledged run', storeJson(state), storeJson(final)), 'lost'),
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
