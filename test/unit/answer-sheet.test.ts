import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import { readAnswerSheet, requireAnswersInStore } from '../../src/core/tune/answer-sheet';
import { oracleStore } from '../helpers/oracle-store';
import { tempDir } from '../helpers/temp';

test('answer sheets: agreeing duplicates are fine, conflicting ones and non-decimal scores are refused naming the lines', async (t) => {
  const dir = await tempDir(t);
  const sheet = async (text: string) => {
    const file = path.join(dir, `s${Math.random().toString(36).slice(2)}.csv`);
    await fs.writeFile(file, text);
    return file;
  };
  const labels = await sheet('id,label\na,hat\nb,cap\na,hat\n');
  assert.deepEqual(
    [...(await readAnswerSheet({ file: labels, idColumn: 'id', labelColumn: 'label', positive: 'hat' }))],
    [
      ['a', 1],
      ['b', -1],
    ],
  );
  const conflict = await sheet('id,label\na,hat\nb,cap\na,cap\n');
  await assert.rejects(
    readAnswerSheet({ file: conflict, idColumn: 'id', labelColumn: 'label', positive: 'hat' }),
    /data lines 1 and 3 give "a" two different answers \(1 and -1\)/,
  );
  const scores = await sheet('id,score\na,0.5\nb,-1\nc,+.25\nd,1e-1\n');
  assert.deepEqual(
    [...(await readAnswerSheet({ file: scores, idColumn: 'id', scoreColumn: 'score' }))],
    [
      ['a', 0.5],
      ['b', -1],
      ['c', 0.25],
      ['d', 0.1],
    ],
  );
  for (const bad of ['0x1', '0b1', '', ' ', '1.5', 'NaN', 'Infinity', '1,0']) {
    const file = await sheet(`id,score\na,"${bad}"\n`);
    await assert.rejects(
      readAnswerSheet({ file, idColumn: 'id', scoreColumn: 'score' }),
      /data line 1: score .* is not a number from -1 to \+1/,
      bad,
    );
  }
});

test('a positive value no line has (a typo, the wrong column) and a sheet without data lines are refused, not read as all negative', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'answers.csv');
  await fs.writeFile(file, 'id,label\na,hat\nb,cap\nc,cap\nd,shoe\n');
  await assert.rejects(
    readAnswerSheet({ file, idColumn: 'id', labelColumn: 'label', positive: 'cat' }),
    (err: Error) => {
      assert.match(
        err.message,
        /answers\.csv: no line has "cat" in the column "label"; its values are "cap", "hat", "shoe"\./,
      );
      assert.match(err.message, /Check the positive value and the label column\./);
      return true;
    },
  );
  await assert.rejects(
    readAnswerSheet({ file, idColumn: 'id', labelColumn: 'label', positive: 'Hats' }),
    /Did you mean --positive hat\? Values are compared exactly\./,
  );
  await fs.writeFile(file, 'id,label\n');
  await assert.rejects(
    readAnswerSheet({ file, idColumn: 'id', labelColumn: 'label', positive: 'hat' }),
    /answers\.csv: the answer sheet has no data lines\./,
  );
});

test('an answer sheet naming none of the store ids is refused with an id of each; one that covers part of it passes', async (t) => {
  const { store } = await oracleStore(t, 50, 3);
  const batch = [{ id: 'img/0.jpg' }];
  await assert.rejects(
    requireAnswersInStore(store, new Map([['0.jpg', 1]]), '/w/answers.csv', batch),
    /\/w\/answers\.csv: none of the first 1 ids of the answer sheet is in the store \(the sheet says "0\.jpg", the store has "img\/0\.jpg"\)/,
  );
  await requireAnswersInStore(
    store,
    new Map([
      ['elsewhere.jpg', 1],
      ['img/7.jpg', -1],
    ]),
    '/w/answers.csv',
    batch,
  );
});
