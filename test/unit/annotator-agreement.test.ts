import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import {
  annotatorAgreement,
  formatKappa,
  MIN_SHARED_FOR_KAPPA,
  weightedKappa,
} from '../../src/core/tune/annotator-agreement';
import { currentLabels } from '../../src/core/tune/label-history';
import { type Label, parseLabel, readLabels } from '../../src/core/tune/labels-file';
import { TuningSession } from '../../src/core/tune/session';
import { tempDir } from '../helpers/temp';
import { randomUnitVectors } from '../helpers/vectors';

const line = (id: string, score: number, by: string | undefined, round = 1, extra: Partial<Label> = {}): Label => ({
  id,
  path: id,
  score,
  round,
  time: `2026-01-01T00:00:0${round}Z`,
  ...(by === undefined ? {} : { by }),
  ...extra,
});

test('weighted kappa on -1/0/+1 scores, computed by hand', () => {
  // Observed: one record differs by 2, so Do = 4/5 = 0.8. Expected over all 25 pairings: for a = +1 the squared
  // differences to b (1,-1,-1,-1,0) sum to 0+4+4+4+1 = 13 (twice), for a = -1 to 4+0+0+0+1 = 5 (twice), for a = 0
  // to 1+1+1+1+0 = 4: 40/25 = 1.6. Kappa = 1 - 0.8/1.6 = 0.5.
  assert.equal(weightedKappa([1, -1, 1, -1, 0], [1, -1, -1, -1, 0]), 0.5);
});

test('weighted kappa on continuous scores, computed by hand', () => {
  // Do = 0.5^2 / 5 = 0.05. De = (5·2.5 - 2·0·0.5 + 5·1.75) / 25 = 0.85 (sums of squares 2.5 and 1.75, sums 0 and 0.5).
  const kappa = weightedKappa([1, 0.5, 0, -0.5, -1], [1, 0.5, 0, -0.5, -0.5])!;
  assert.ok(Math.abs(kappa - (1 - 0.05 / 0.85)) < 1e-12, `kappa ${kappa}`);
  assert.equal(weightedKappa([1, 0.5, 0, -0.5, -1], [1, 0.5, 0, -0.5, -1]), 1, 'perfect agreement');
  // Opposites: Do = 4; a has three +1 and two -1, b the reverse: De = (9·4 + 4·4)/25 = 2.08.
  const opposite = weightedKappa([1, -1, 1, -1, 1], [-1, 1, -1, 1, -1])!;
  assert.ok(Math.abs(opposite - (1 - 4 / 2.08)) < 1e-12, `kappa ${opposite}`);
});

test('too few shared records or no variation give no kappa, and say why', () => {
  assert.equal(MIN_SHARED_FOR_KAPPA, 5);
  assert.equal(weightedKappa([1, -1, 1], [1, -1, -1]), null);
  assert.equal(formatKappa({ a: 'a', b: 'b', shared: 3, kappa: null }), 'n/a (3 shared)');
  assert.equal(weightedKappa([1, 1, 1, 1, 1], [1, 1, 1, 1, 1]), null);
  assert.equal(formatKappa({ a: 'a', b: 'b', shared: 5, kappa: null }), 'n/a (no variation)');
  assert.equal(formatKappa({ a: 'a', b: 'b', shared: 5, kappa: 0.5 }), '0.50');
});

test("disagreements use each annotator's own latest line; removals, anonymous and settling lines are no one's score", () => {
  const alice = [1, -1, 1, -1, 0].map((s, i) => line(`r${i}`, s, 'alice', 1));
  const bob = [1, -1, -1, -1, 0].map((s, i) => line(`r${i}`, s, 'bob', 2));
  const labels = [
    ...alice,
    ...bob,
    line('r1', 0.5, 'alice', 3), // alice changes her mind: differs from bob by 1.5
    line('r1', -1, 'alice', 4, { removed: true, score: 0 }), // ... then withdraws: back to agreement (only bob)
    line('r1', 1, undefined, 5), // an anonymous line: no one's
    line('r4', 1, 'carol', 5), // carol scored only one record
  ];
  const agreement = annotatorAgreement(labels);
  assert.deepEqual(agreement.annotators, ['alice', 'bob', 'carol']);
  const ab = agreement.pairs.find((p) => p.a === 'alice' && p.b === 'bob')!;
  // Shared: r0, r2, r3, r4 (r1 withdrawn by alice): 4 < 5, no kappa.
  assert.equal(ab.shared, 4);
  assert.equal(ab.kappa, null);
  assert.deepEqual(
    agreement.disagreements.map((d) => [d.id, d.size, d.scores.map((s) => `${s.by}:${s.score}`)]),
    [
      ['r2', 2, ['alice:1', 'bob:-1']],
      ['r4', 1, ['carol:1', 'alice:0', 'bob:0']],
    ],
  );

  // Settling r2: training takes the settling line; the annotators' scores and the kappa do not change.
  const settled = [...labels, line('r2', -1, 'alice', 6, { settled: true })];
  const after = annotatorAgreement(settled);
  assert.equal(currentLabels(settled).get('r2')!.score, -1);
  assert.deepEqual(after.pairs, agreement.pairs);
  assert.deepEqual(
    after.disagreements.map((d) => [d.id, d.settled?.score ?? null, d.settled?.by ?? null]),
    [
      ['r4', null, null],
      ['r2', -1, 'alice'],
    ],
    'a settled disagreement is listed after the open ones',
  );
  assert.deepEqual(after.disagreements[1].scores, agreement.disagreements[0].scores);
  // A later score of an annotator reopens it.
  const reopened = annotatorAgreement([...settled, line('r2', 0.5, 'bob', 7)]);
  assert.equal(reopened.disagreements.find((d) => d.id === 'r2')!.settled, undefined);
});

test('the kappa of two branches merged with merge=union is the same whichever side comes first', () => {
  const alice = [1, -1, 1, -1, 0, 0.5].map((s, i) => line(`r${i}`, s, 'alice', 1));
  const bob = [1, -1, -1, -1, 0, 0.5].map((s, i) => line(`r${i}`, s, 'bob', 1));
  const one = annotatorAgreement([...alice, ...bob]);
  const other = annotatorAgreement([...bob, ...alice]);
  assert.deepEqual(one.pairs, other.pairs);
  // Six shared records: Do = 4/6; De = (6·4.25 - 2·0.5·(-1.5) + 6·4.25)/36 = 52.5/36.
  assert.ok(Math.abs(one.pairs[0].kappa! - (1 - 4 / 6 / (52.5 / 36))) < 1e-12, `kappa ${one.pairs[0].kappa}`);
});

test('a settled line is read back, and anything but true is refused', () => {
  const read = parseLabel('{"id":"a","score":1,"round":2,"time":"t","by":"x","settled":true}', 'labels.jsonl', 1);
  assert.equal(read.settled, true);
  assert.throws(
    () => parseLabel('{"id":"a","score":1,"round":2,"time":"t","settled":"yes"}', 'labels.jsonl', 3),
    /line 3 of the labels file: "settled" must be true/,
  );
});

test('a session settles a disagreement by appending a settling line by the settler, which training takes', async (t) => {
  const dir = await tempDir(t);
  const D = 8;
  const store = await EmbeddedStore.openOrCreate(path.join(dir, 'store'), { modelId: 'm', dimension: D });
  const data = randomUnitVectors(20, D, 3);
  await store.upsert(Array.from({ length: 20 }, (_, i) => ({ id: `r${i}`, vector: data.slice(i * D, (i + 1) * D) })));
  const session = await TuningSession.create({
    headsDir: path.join(dir, 'heads'),
    name: 'h',
    store,
    start: { kind: 'examples', ids: ['r0'] },
  });
  session.annotator = 'alice';
  await session.submit(['r1', 'r2'].map((id) => ({ id, score: 1 })));
  // Bob's lines, as a merge=union merge brings them in.
  const bobLines = ['r1', 'r2'].map((id) => JSON.stringify(line(id, -1, 'bob', 1)) + '\n').join('');
  await fs.appendFile(session.paths.labels, bobLines);
  session.annotator = 'carol';
  await session.changeLabels([{ id: 'r1', score: 0.5, settle: true }]);
  const { labels } = await readLabels(session.paths.labels);
  const last = labels[labels.length - 1];
  assert.deepEqual([last.id, last.score, last.by, last.settled], ['r1', 0.5, 'carol', true]);
  assert.equal(currentLabels(session.allLabels).get('r1')!.score, 0.5, 'training takes the settled score');
  const { disagreements } = annotatorAgreement(session.allLabels);
  assert.deepEqual(
    disagreements.map((d) => [d.id, d.settled?.score ?? null]),
    [
      ['r2', null],
      ['r1', 0.5],
    ],
  );
});
