import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import { appendLabels, readLabels } from '../../src/core/tune/labels-file';
import { tempDir } from '../helpers/temp';

const label = (id: string, score: number, round = 1) => ({ id, score, round, time: 't' });

test('labels append and read back; a torn last line is reported, ignored, and cut before the next append', async (t) => {
  const file = path.join(await tempDir(t), 'labels.jsonl');
  await appendLabels(file, [label('a', 1), label('b', -0.5)]);
  const intact = await readLabels(file);
  assert.deepEqual(
    intact.labels.map((l) => [l.id, l.score]),
    [
      ['a', 1],
      ['b', -0.5],
    ],
  );
  assert.equal(intact.tornTail, null);

  await fs.appendFile(file, '{"id":"c","sco');
  const torn = await readLabels(file);
  assert.equal(torn.labels.length, 2);
  assert.equal(torn.tornTail, '{"id":"c","sco');
  assert.equal(torn.sha256, intact.sha256, 'the hash covers complete lines only');

  await appendLabels(file, [label('d', 0, 2)]);
  const text = await fs.readFile(file, 'utf8');
  assert.equal(text.split('\n').filter(Boolean).length, 3);
  assert.ok(!text.includes('"sco\n'), 'the fragment is gone');
  assert.deepEqual(
    (await readLabels(file)).labels.map((l) => l.id),
    ['a', 'b', 'd'],
  );
});

test('a damaged line in the middle is an error naming the line', async (t) => {
  const file = path.join(await tempDir(t), 'labels.jsonl');
  await fs.writeFile(file, '{"id":"a","score":1,"round":1}\nnot json\n{"id":"b","score":1,"round":1}\n');
  await assert.rejects(readLabels(file), /line 2 of the labels file is not valid JSON/);
  await fs.writeFile(file, '{"id":"a","score":3,"round":1}\n');
  await assert.rejects(readLabels(file), /line 1 .*"score" must be a number from -1 to \+1/);
  assert.deepEqual((await readLabels(path.join(path.dirname(file), 'none.jsonl'))).labels, []);
});

test('a kill that cuts a multi-byte character, or a last line without its newline, loses no acknowledged label', async (t) => {
  const file = path.join(await tempDir(t), 'labels.jsonl');
  await appendLabels(file, [label('café-一.jpg', 1), label('b.jpg', -1)]);
  const whole = await fs.readFile(file);
  // The third label was being written when the process died, in the middle of "一" (3 bytes in UTF-8).
  const third = Buffer.from(JSON.stringify(label('一二三.jpg', 0.5)) + '\n');
  await fs.writeFile(file, Buffer.concat([whole, third.subarray(0, 10)]));
  const torn = await readLabels(file);
  assert.deepEqual(
    torn.labels.map((l) => l.id),
    ['café-一.jpg', 'b.jpg'],
  );
  assert.equal(torn.tornBytes, 10);
  await appendLabels(file, [label('d.jpg', 0)]);
  assert.deepEqual(
    (await readLabels(file)).labels.map((l) => l.id),
    ['café-一.jpg', 'b.jpg', 'd.jpg'],
  );

  // A hand edit saved without a final newline: the last label is complete and must be kept.
  await fs.writeFile(file, (await fs.readFile(file, 'utf8')).trimEnd());
  const edited = await readLabels(file);
  assert.equal(edited.labels.length, 3);
  assert.equal(edited.missingNewline, true);
  await appendLabels(file, [label('e.jpg', 1)]);
  assert.deepEqual(
    (await readLabels(file)).labels.map((l) => l.id),
    ['café-一.jpg', 'b.jpg', 'd.jpg', 'e.jpg'],
  );
});
