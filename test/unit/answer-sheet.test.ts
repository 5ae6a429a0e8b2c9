import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import { readAnswerSheet } from '../../src/core/tune/answer-sheet';
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
