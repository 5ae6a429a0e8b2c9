/**
 * `copy-store` both ways: a centred embedded store (120 records, seen state of two heads) into an index of the local
 * Pinecone stand-in, then the index back into a new embedded store. The stand-in runs in this (the parent) process,
 * so what a killed victim sent it stays. Kill points include every request, before it is sent and after its answer.
 * After a kill: the source store is untouched, every record in the index or the new store is whole and the source's,
 * no head is marked seen on a record its source did not see, and an acknowledged copy is complete; resumed, the index
 * and the new store equal the uninterrupted run's.
 */
import * as path from 'node:path';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import { seededRecords } from '../helpers/store-reference';
import type { FakePinecone } from '../helpers/fake-pinecone';
import { randomUnitVectors } from '../helpers/vectors';
import { layout, MODEL_ID, type VictimJob } from './job';
import { compareJson, problem, reclassify, type Problem, type Scenario } from './scenario';
import {
  checkRecordVersions,
  compareFiles,
  isProblem,
  listFiles,
  readStoreState,
  storeJson,
  type StoreState,
} from './store-state';

const D = 16;
const HEADS = ['dogs', 'cats at home'];

type IndexJson = Record<string, Record<string, { values: number[]; metadata: Record<string, unknown> }>>;

/** The stand-in's index as JSON, records sorted by id, the store record's creation time left out. */
function indexJson(fake: FakePinecone, name: string): IndexJson | null {
  const index = fake.indexes.get(name);
  if (!index) return null;
  const out: IndexJson = {};
  for (const [ns, records] of [...index.namespaces].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out[ns] = {};
    for (const r of [...records.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
      const { createdAt: _createdAt, ...metadata } = r.metadata ?? {};
      out[ns][r.id] = { values: r.values, metadata };
    }
  }
  return out;
}

/** Each record the index holds is the reference's, with at most its seen marks. */
function checkIndexRecords(actual: IndexJson, reference: IndexJson): Problem[] {
  const problems: Problem[] = [];
  for (const [ns, records] of Object.entries(actual)) {
    for (const [id, r] of Object.entries(records)) {
      const want = reference[ns]?.[id];
      const own = (m: Record<string, unknown>) =>
        Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith('seen_')));
      if (
        !want ||
        JSON.stringify(r.values) !== JSON.stringify(want.values) ||
        JSON.stringify(own(r.metadata)) !== JSON.stringify(own(want.metadata))
      ) {
        problems.push(problem('torn', `index record ${ns}/${id} is not the source's record`));
      } else if (
        // A mark is `true`. `false` (unseen) is written for every registered head, at times a killed and resumed copy
        // need not share with an uninterrupted one; it reads as unseen as much as a field not written yet does.
        Object.entries(r.metadata).some(([k, v]) => k.startsWith('seen_') && v === true && want.metadata[k] !== true)
      ) {
        problems.push(problem('torn', `index record ${id} carries a seen mark its source does not have`));
      }
    }
  }
  return problems;
}

export function copyScenario(fake: FakePinecone): Scenario {
  let source: unknown;
  let sourceFiles: string[];
  let referenceIndex: IndexJson;
  let back: StoreState;
  let backFiles: string[];
  const read = async (dir: string) => readStoreState(dir, HEADS);
  const job = (dir: string, trial: number): VictimJob => ({
    scenario: 'copy',
    dir,
    pinecone: {
      controllerHostUrl: fake.controllerHostUrl,
      apiKey: fake.apiKey,
      index: trial < 0 ? 'crash-reference' : `crash-${trial}`,
    },
  });
  return {
    name: 'copy',
    async setup(ctx) {
      const dir = layout(ctx.fixture).store;
      const mean = randomUnitVectors(1, D, 5).map((v) => v * 0.1);
      const store = await EmbeddedStore.openOrCreate(dir, { modelId: MODEL_ID, dimension: D, centringMean: mean });
      await store.upsert(
        seededRecords(120, D, 9, 'photos/p').map((r, i) => (i % 3 ? { ...r, size: 1000 + i, mtimeMs: 1.7e12 + i } : r)),
      );
      await store.markSeen(
        HEADS[0],
        Array.from({ length: 20 }, (_, i) => `photos/p${i * 5}`),
      );
      await store.markSeen(
        HEADS[1],
        Array.from({ length: 9 }, (_, i) => `photos/p${i * 13 + 1}`),
      );
      await store.close();
      source = storeJson((await read(dir)) as StoreState);
      sourceFiles = await listFiles(dir);
      const ref = path.join(ctx.scratch, 'reference');
      await ctx.copy(ctx.fixture, ref);
      const run = await ctx.runClean(job(ref, -1), true);
      referenceIndex = indexJson(fake, 'crash-reference')!;
      back = (await read(layout(ref).copyBack)) as StoreState;
      backFiles = await listFiles(layout(ref).copyBack);
      return run;
    },
    job,
    startState: async () => null,
    async afterKill(dir, acks, _start, job) {
      const l = layout(dir);
      const src = await read(l.store);
      if (isProblem(src) || !src) return [src ?? problem('lost', 'the source store is gone')];
      const problems = reclassify(compareJson('source store', storeJson(src), source), 'torn');
      const index = indexJson(fake, job.pinecone!.index);
      if (index) problems.push(...checkIndexRecords(index, referenceIndex));
      if (acks.includes('copied-to-pinecone'))
        problems.push(...reclassify(compareJson('index after an acknowledged copy', index, referenceIndex), 'lost'));
      const copy = await read(l.copyBack);
      if (isProblem(copy)) return [...problems, copy];
      if (copy) {
        problems.push(...checkRecordVersions(copy, [back], 'copied-back store'));
        for (const head of HEADS) {
          const stray = copy.seen.get(head)!.filter((id) => !back.seen.get(head)!.includes(id));
          if (stray.length > 0)
            problems.push(
              problem(
                'torn',
                `the copied-back store marks ${stray.length} records seen by ${head} that the source does not`,
              ),
            );
        }
      }
      if (acks.includes('copied-back'))
        problems.push(
          ...reclassify(
            compareJson('copied-back store after an acknowledged copy', storeJson(copy), storeJson(back)),
            'lost',
          ),
        );
      return problems;
    },
    async afterResume(dir, _start, job) {
      const l = layout(dir);
      const copy = await read(l.copyBack);
      if (isProblem(copy)) return [copy];
      return [
        ...compareJson('index', indexJson(fake, job.pinecone!.index), referenceIndex),
        ...compareJson('copied-back store', storeJson(copy), storeJson(back)),
        ...(await compareFiles('copied-back store files', l.copyBack, backFiles)),
        ...(await compareFiles('source store files', l.store, sourceFiles)),
      ];
    },
  };
}
