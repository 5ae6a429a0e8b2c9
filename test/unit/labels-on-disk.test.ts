import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import { test } from 'node:test';
import { readLabels } from '../../src/core/tune/labels-file';
import { TuningSession } from '../../src/core/tune/session';
import { assertWeightsReplayLabels } from '../helpers/replay-check';
import { oracleStore } from '../helpers/oracle-store';
import { tempDir } from '../helpers/temp';

async function setup(t: Parameters<typeof tempDir>[0]) {
  const { store, oracle, startHead } = await oracleStore(t, 300, 5);
  const session = await startHead(2);
  const round = async () => session.submit(oracle((await session.nextBatch(8, 'top')).map((c) => c.id)));
  return { store, session, round };
}

const lines = async (file: string) => (await fs.readFile(file, 'utf8')).split('\n').filter((l) => l !== '');

test('an outside edit of labels.jsonl between rounds is taken, told once, and the head is a replay of the file', async (t) => {
  const { store, session, round } = await setup(t);
  const file = session.paths.labels;
  await round();
  await round();
  await assertWeightsReplayLabels(session.paths.dir, store, 'before any edit');

  // 1. A score changed in the editor (the same size, so the hash decides).
  // -1 -> -0 and 1 -> 0 keep the size, so only the hash can tell.
  const edited = (await lines(file)).map((l, i) => (i === 4 ? l.replace(/"score":(-?)1/, '"score":$10') : l));
  assert.notDeepEqual(edited, await lines(file), 'the test changed a score');
  await fs.writeFile(file, edited.join('\n') + '\n');
  const afterEdit = await round();
  assert.deepEqual(afterEdit.notes, [`labels.jsonl changed on disk: retrained from 18 labels.`]);
  await assertWeightsReplayLabels(session.paths.dir, store, 'after a score was edited');
  assert.equal((await round()).notes, undefined, 'told once: the next round finds nothing new');

  // 2. Lines deleted.
  const all = await lines(file);
  await fs.writeFile(file, [...all.slice(0, 3), ...all.slice(10)].join('\n') + '\n');
  const afterDelete = await round();
  assert.match(afterDelete.notes![0], /retrained from 27 labels/);
  assert.equal(afterDelete.labelCount, 27 + 8);
  await assertWeightsReplayLabels(session.paths.dir, store, 'after lines were deleted');

  // 3. Lines appended by another tool (a record never shown by this session).
  const extra = { id: 'img/299.jpg', score: 1, round: 2, time: 'x' };
  await fs.appendFile(file, JSON.stringify(extra) + '\n');
  assert.deepEqual(await session.syncWithDisk(), ['labels.jsonl changed on disk: retrained from 36 labels.']);
  assert.deepEqual(await session.syncWithDisk(), [], 'nothing changed since');
  const batch = await session.nextBatch(300, 'top');
  assert.ok(!batch.some((c) => c.id === extra.id), 'a label taken from disk is marked seen');
  await session.submit(batch.slice(0, 5).map((c) => ({ id: c.id, score: -1 })));
  await assertWeightsReplayLabels(session.paths.dir, store, 'after lines were appended');

  // 4. The file replaced (a checkout of an older version: the first two lines).
  await fs.writeFile(file, (await lines(file)).slice(0, 2).join('\n') + '\n');
  const afterReplace = await round();
  assert.match(afterReplace.notes![0], /retrained from 2 labels/);
  await assertWeightsReplayLabels(session.paths.dir, store, 'after the file was replaced');

  // 5. The file deleted: the head goes back to its start point plus this round.
  await fs.rm(file);
  const afterRemove = await round();
  assert.match(afterRemove.notes![0], /retrained from 0 labels/);
  assert.equal((await readLabels(file)).labels.length, 8);
  await assertWeightsReplayLabels(session.paths.dir, store, 'after the file was deleted');
});

test('relabel and removal append lines, retrain, and a removed image may be offered again', async (t) => {
  const { store, session, round } = await setup(t);
  await round();
  await round();
  session.annotator = 'ann@example.com';
  const before = await lines(session.paths.labels);
  const [a, b] = session.allLabels.filter((l) => l.round === 1);
  const changed = await session.changeLabels([
    { id: a.id, score: -a.score },
    { id: b.id, score: null },
  ]);
  assert.equal(changed.labelCount, 18 - 1);
  const after = await lines(session.paths.labels);
  assert.deepEqual(after.slice(0, before.length), before, 'append-only: the old lines are untouched');
  const [relabel, removal] = after.slice(before.length).map((l) => JSON.parse(l));
  assert.deepEqual(
    { id: relabel.id, score: relabel.score, round: relabel.round, by: relabel.by },
    { id: a.id, score: -a.score, round: 3, by: 'ann@example.com' },
  );
  assert.deepEqual(
    { id: removal.id, score: removal.score, removed: removal.removed, round: removal.round },
    { id: b.id, score: 0, removed: true, round: 3 },
  );
  await assertWeightsReplayLabels(session.paths.dir, store, 'after a relabel and a removal');
  const offered = await session.nextBatch(300, 'top');
  assert.ok(
    offered.some((c) => c.id === b.id),
    'the removed label is unmarked seen',
  );
  assert.ok(!offered.some((c) => c.id === a.id), 'the relabelled one stays seen');

  // Undo of the removal: the earlier score again; the image is seen again.
  await session.changeLabels([{ id: b.id, score: b.score }]);
  assert.equal(session.labelCount, 18);
  assert.ok(!(await session.nextBatch(300, 'top')).some((c) => c.id === b.id));
  await assertWeightsReplayLabels(session.paths.dir, store, 'after an undone removal');

  await assert.rejects(session.changeLabels([{ id: 'img/1000.jpg', score: 1 }]), /never labelled it/);
  await assert.rejects(session.changeLabels([{ id: a.id, score: 3 }]), /from -1 to \+1/);
  assert.equal((await lines(session.paths.labels)).length, before.length + 3, 'a refused change writes nothing');

  // Reopening agrees: no repair needed, same counts.
  const { session: reopened, repairs } = await TuningSession.open(session.paths.dir, store);
  assert.deepEqual(repairs, []);
  assert.equal(reopened.labelCount, 18);
});
