/**
 * Tuning a head: started from three hat examples, then rounds of ten answered from the truth until 53 labels. A kill
 * can land between the label append, the training, the weights write and the seen marks of any round, or inside the
 * repair the next open makes. After it: every acknowledged label is in labels.jsonl with its score, no label twice,
 * the labels are the uninterrupted run's so far, the weights file is a version the uninterrupted run wrote and was
 * trained on exactly the first labels it says, and nothing is marked seen that is not labelled. Resumed, the head
 * must end with the uninterrupted run's labels, weights (bit for bit) and seen set, and no file left behind.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { headPathsIn } from '../../src/core/head/head-folder';
import { readWeights, WEIGHTS_FILE_NAME, type HeadWeights } from '../../src/core/head/weights-file';
import { headIdOf } from '../../src/core/head/head-id';
import { readLabels, type Label } from '../../src/core/tune/labels-file';
import { sha256 } from '../../src/core/util/hash';
import { buildClothingWorkspace } from './clothing-fixture';
import { HEAD, layout, ROUND_SIZE, type VictimJob } from './job';
import { compareJson, problem, reclassify, type Problem, type Scenario } from './scenario';
import { compareFiles, isProblem, listFiles, readStoreState, storeJson, type StoreState } from './store-state';
import { weightsDigest } from './weights-digest';

interface TuneStart {
  labels: Omit<Label, 'time'>[];
  partial: string | null;
}

interface HeadState {
  labels: Omit<Label, 'time'>[];
  weights: HeadWeights | null;
  /** Problems found while reading (a file that does not parse, weights trained on other labels). */
  problems: Problem[];
}

/** Reads labels.jsonl (a torn last line is allowed) and the weights, checking that the weights match their labels. */
async function readHead(dir: string): Promise<HeadState> {
  const paths = headPathsIn(layout(dir).head);
  const state: HeadState = { labels: [], weights: null, problems: [] };
  let bytes: Buffer | null = null;
  try {
    const read = await readLabels(paths.labels);
    state.labels = read.labels.map(({ time: _time, ...rest }) => rest);
    bytes = await fs.readFile(paths.labels).catch(() => null);
  } catch (err) {
    state.problems.push(problem('torn', `labels.jsonl does not read: ${(err as Error).message}`));
  }
  try {
    state.weights = await readWeights(paths.weights);
  } catch (err) {
    if (!/no weights file here/.test((err as Error).message))
      state.problems.push(problem('torn', `the weights file does not read: ${(err as Error).message}`));
  }
  const w = state.weights;
  if (w && bytes) {
    // The weights name the labels they were trained on: their count and the hash of those lines' bytes.
    const lines = bytes.toString('latin1').split('\n');
    const prefix = Buffer.from(
      lines
        .slice(0, w.labels.count)
        .map((l) => l + '\n')
        .join(''),
      'latin1',
    );
    if (w.labels.count > state.labels.length || sha256(prefix) !== w.labels.sha256) {
      state.problems.push(
        problem(
          'torn',
          `the weights say they were trained on ${w.labels.count} labels that labels.jsonl does not hold (it has ${state.labels.length})`,
        ),
      );
    }
  }
  const ids = state.labels.map((l) => l.id);
  if (new Set(ids).size !== ids.length)
    state.problems.push(problem('torn', "labels.jsonl holds a record's label twice"));
  return state;
}

/**
 * "a partial round (4 of 10 labels of round 2)" when the last round in labels.jsonl has fewer labels than a round
 * asks for: a kill tore the round's append after some whole lines, and those lines read as labels.
 */
function partialRound(labels: Omit<Label, 'time'>[]): string | null {
  const last = Math.max(0, ...labels.map((l) => l.round));
  const n = labels.filter((l) => l.round === last).length;
  return last > 0 && n < ROUND_SIZE ? `a partial round (${n} of ${ROUND_SIZE} labels of round ${last})` : null;
}

export function tuneScenario(): Scenario {
  let reference: HeadState;
  let referenceStore: StoreState;
  let fixtureRecords: unknown;
  /** Every weights version the uninterrupted run wrote, by digest. */
  const versions = new Set<string>();
  let headFiles: string[];
  let storeFileList: string[];

  /** The head's seen set is filed under its id (seen-markers.ts), which differs run to run: read back under its name. */
  const storeState = async (dir: string) => {
    const weights = path.join(layout(dir).head, WEIGHTS_FILE_NAME);
    const key = await readWeights(weights).then(headIdOf, () => undefined);
    const state = await readStoreState(layout(dir).store, key ? [key] : []);
    if (state && !isProblem(state)) state.seen = new Map([[HEAD, key ? state.seen.get(key)! : []]]);
    return state;
  };
  return {
    name: 'tune',
    async setup(ctx) {
      await buildClothingWorkspace(ctx.fixture);
      const fixtureStore = await storeState(ctx.fixture);
      if (!fixtureStore || isProblem(fixtureStore)) throw new Error("the tuning fixture's store does not open");
      fixtureRecords = storeJson(fixtureStore)!.records;
      const ref = path.join(ctx.scratch, 'reference');
      await ctx.copy(ctx.fixture, ref);
      const run = await ctx.runClean(this.job(ref, 0), true);
      run.acks.filter((a) => a.startsWith('weights ')).forEach((a) => versions.add(a.slice(8)));
      reference = await readHead(ref);
      if (reference.problems.length > 0 || !reference.weights)
        throw new Error(`the reference head is unreadable: ${JSON.stringify(reference.problems)}`);
      referenceStore = (await storeState(ref)) as StoreState;
      headFiles = await listFiles(layout(ref).head);
      storeFileList = await listFiles(layout(ref).store);
      return run;
    },
    job: (dir): VictimJob => ({ scenario: 'tune', dir }),
    async startState(dir): Promise<TuneStart> {
      const { labels } = await readHead(dir);
      return { labels, partial: partialRound(labels) };
    },
    async afterKill(dir, acks) {
      const head = await readHead(dir);
      const problems = [...head.problems];
      const acked = acks
        .filter((a) => a.startsWith('labels '))
        .flatMap((a) => JSON.parse(a.slice(7)) as { id: string; score: number }[]);
      const missing = acked.filter((a) => !head.labels.some((l) => l.id === a.id && l.score === a.score));
      if (missing.length > 0)
        problems.push(
          problem(
            'lost',
            `${missing.length} acknowledged labels are not in labels.jsonl (e.g. ${missing[0].id})`,
            missing.length,
          ),
        );
      problems.push(...compareJson('labels so far', head.labels, reference.labels.slice(0, head.labels.length)));
      if (head.weights && !versions.has(weightsDigest(head.weights))) {
        problems.push(
          problem('torn', `the weights (${weightsDigest(head.weights)}) are no version the uninterrupted run wrote`),
        );
      }
      if (!head.weights && acks.some((a) => a.startsWith('weights ')))
        problems.push(problem('lost', 'the weights file is gone'));
      const store = await storeState(dir);
      if (isProblem(store) || !store) return [...problems, store ? store : problem('torn', 'the store is gone')];
      problems.push(...compareJson('store records', storeJson(store)!.records, fixtureRecords));
      const labelled = new Set(head.labels.map((l) => l.id));
      const stray = store.seen.get(HEAD)!.filter((id) => !labelled.has(id));
      if (stray.length > 0)
        problems.push(problem('torn', `${stray.length} records are marked seen but have no label (e.g. ${stray[0]})`));
      return problems;
    },
    async afterResume(dir, start) {
      const head = await readHead(dir);
      const store = await storeState(dir);
      if (isProblem(store)) return [...head.problems, store];
      const settled = (w: HeadWeights | null) =>
        w && {
          ...w,
          id: undefined,
          createdAt: undefined,
          updatedAt: undefined,
          labels: { ...w.labels, sha256: undefined },
        };
      const { labels: before, partial } = start as TuneStart;
      const outcome = [
        ...compareJson('labels', head.labels, reference.labels),
        ...compareJson('weights', settled(head.weights), settled(reference.weights)),
        ...compareJson('seen', store && Object.fromEntries(store.seen), Object.fromEntries(referenceStore.seen)),
      ];
      return [
        ...head.problems,
        // Labels are never rewritten: the resumed run only appends (a head that was never created starts over).
        ...(before.some((l) => l.round > 0)
          ? reclassify(
              compareJson('labels written before the resumed run', head.labels.slice(0, before.length), before),
              'lost',
            )
          : []),
        // A partial round's labels stay and the run goes on from there: not where an uninterrupted run ends (known-issues.ts).
        ...(partial ? outcome.map((p) => ({ ...p, message: `after ${partial}: ${p.message}` })) : outcome),
        ...(await compareFiles('head folder files', layout(dir).head, headFiles)),
        ...(await compareFiles('store files', layout(dir).store, storeFileList)),
      ];
    },
  };
}
