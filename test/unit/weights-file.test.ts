import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import { VectorTuneError } from '../../src/core/errors';
import { DEFAULT_TRAINING } from '../../src/core/head/linear-head';
import { checkWeightsMatchStore, HeadWeights, readWeights, writeWeights } from '../../src/core/head/weights-file';
import { tempDir } from '../helpers/temp';

function sample(): HeadWeights {
  return {
    format: 'vector-tune-head',
    version: 1,
    name: 'hat',
    model: { id: 'm', dimension: 3 },
    preprocessing: { centre: [0.1, 0.2, 0.3], normalise: 'l2' },
    w: [0.5, -0.25, 1e-9],
    b: -0.75,
    training: { ...DEFAULT_TRAINING, loss: 'bce-with-logits', target: '(score + 1) / 2' },
    start: { kind: 'examples', ids: ['a'], w: [1, 0, 0], b: 0 },
    labels: { file: 'labels.jsonl', count: 4, rounds: 1, sha256: 'x' },
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

test('weights round-trip exactly through the file', async (t) => {
  const file = path.join(await tempDir(t), 'classifier.weights.json');
  await writeWeights(file, sample());
  assert.deepEqual(await readWeights(file), sample());
});

test('malformed weights files are refused with the file and the problem named', async (t) => {
  const dir = await tempDir(t);
  const cases: [string, unknown, RegExp][] = [
    ['not-json', '{"w": [1,', /not valid JSON/],
    ['array', [], /expected a JSON object/],
    ['format', { ...sample(), format: 'other' }, /"format"/],
    ['newer', { ...sample(), version: 3 }, /newer version/],
    ['dim', { ...sample(), w: [1, 2] }, /"w" has 2 numbers but "model.dimension" is 3/],
    ['nan', { ...sample(), w: [1, null, 2] }, /"w"\[1\] is not a finite number/],
    ['bias', { ...sample(), b: 'x' }, /"b" must be a finite number/],
    ['centre', { ...sample(), preprocessing: { centre: [1], normalise: 'l2' } }, /preprocessing.centre/],
    [
      'lr',
      { ...sample(), training: { ...sample().training, learningRate: -1 } },
      /"training.learningRate" must be a positive number/,
    ],
    ['start', { ...sample(), start: { kind: 'magic' } }, /start.kind/],
  ];
  for (const [name, content, expected] of cases) {
    const file = path.join(dir, `${name}.json`);
    await fs.writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
    await assert.rejects(readWeights(file), (err: Error) => {
      assert.ok(err instanceof VectorTuneError, name);
      assert.match(err.message, expected, name);
      assert.ok(err.message.includes(file), `${name}: names the file`);
      return true;
    });
  }
  await assert.rejects(readWeights(path.join(dir, 'absent.json')), /no weights file here/);
});

test('a head from another model or dimension is refused for a store', () => {
  const w = sample();
  assert.doesNotThrow(() => checkWeightsMatchStore(w, { modelId: 'm', dimension: 3 }, 'f'));
  assert.throws(
    () => checkWeightsMatchStore(w, { modelId: 'clip', dimension: 3 }, 'f'),
    /trained on 3-d embeddings of "m".*"clip"/,
  );
  assert.throws(() => checkWeightsMatchStore(w, { modelId: 'm', dimension: 4 }, 'f'), VectorTuneError);
});

test('a head trained on centred vectors is refused for an uncentred store, and the reverse', () => {
  const centred = sample();
  assert.throws(
    () => checkWeightsMatchStore(centred, { modelId: 'm', dimension: 3, centringMean: null }, 'f'),
    /mean-centred vectors, but the store's vectors are not centred/,
  );
  const plain = { ...sample(), preprocessing: { centre: null, normalise: 'l2' as const } };
  assert.throws(
    () => checkWeightsMatchStore(plain, { modelId: 'm', dimension: 3, centringMean: new Float32Array(3) }, 'f'),
    /uncentred vectors/,
  );
  assert.doesNotThrow(() =>
    checkWeightsMatchStore(centred, { modelId: 'm', dimension: 3, centringMean: new Float32Array(3) }, 'f'),
  );
});
