import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import { loadClip } from '../../src/core/embed/clip';
import { VectorTuneError } from '../../src/core/errors';
import { evaluateHead, readHeadForEvaluation } from '../../src/core/eval/evaluate';
import { heldOutFile, relativeToHead, writeHeldOutSpec } from '../../src/core/eval/held-out-config';
import { formatHeldOut, type HeldOutFigures, HeldOutSet, isEvaluatedRound } from '../../src/core/eval/held-out-set';
import { importEmbeddings } from '../../src/core/ingest/import-embeddings';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import { readAnswerSheet } from '../../src/core/tune/answer-sheet';
import { ProgressTracker } from '../../src/core/tune/progress';
import { TuningSession } from '../../src/core/tune/session';
import { CLIP_PRESETS, generateClipModel } from '../../tools/generate-model/generate';
import { CLOTHING_CSV, CLOTHING_NPY } from '../helpers/clothing-features';
import { weightsFor } from '../helpers/head-weights';
import { REPO_ROOT, tempDir } from '../helpers/temp';

/**
 * The held-out trend: a head's held-out set (held-out.json) read once and measured every N rounds must give
 * exactly what `eval` gives on the committed weights of that round, on the same data and truth.
 */

test('held-out AP every 2 rounds equals eval of the committed head on the same data (real clothing features)', async (t) => {
  const dir = await tempDir(t);
  const storeDir = path.join(dir, '.vectortune', 'store');
  await importEmbeddings({
    npyFile: CLOTHING_NPY,
    csvFile: CLOTHING_CSV,
    storeDir,
    modelId: 'nsfwjs-mobilenetv2',
    idColumn: 'path',
    where: [{ column: 'split', value: 'train' }],
    centre: true,
  });
  const store = await EmbeddedStore.open(storeDir);
  t.after(() => store.close());
  const answers = await readAnswerSheet({
    file: CLOTHING_CSV,
    idColumn: 'path',
    labelColumn: 'label',
    positive: 'hat',
  });
  const trainHats = [...answers].filter(([, s]) => s > 0).map(([id]) => id);
  const session = await TuningSession.create({
    headsDir: path.join(dir, 'heads'),
    name: 'hat',
    store,
    start: { kind: 'examples', ids: trainHats.filter((id) => id.startsWith('train/')).slice(0, 3) },
  });
  const headDir = session.paths.dir;
  await writeHeldOutSpec(headDir, {
    kind: 'embeddings',
    npy: relativeToHead(headDir, CLOTHING_NPY),
    csv: relativeToHead(headDir, CLOTHING_CSV),
    idColumn: 'path',
    labelColumn: 'label',
    positive: 'hat',
    where: ['split=test'],
  });
  const set = await HeldOutSet.load(headDir, session.currentWeights, { root: dir });
  assert.ok(set);
  assert.equal(set.size, 372, 'the test split');

  const tracker = new ProgressTracker();
  await tracker.start(session);
  const measured: number[] = [];
  for (let i = 0; i < 6; i++) {
    const batch = await session.nextBatch(10, 'top');
    const verdicts = batch.map((c) => ({ id: c.id, score: answers.get(c.id) ?? null }));
    const result = await session.submit(verdicts);
    await tracker.after(session, result.round, verdicts);
    if (!isEvaluatedRound(result.round, 2)) continue;
    const figures: HeldOutFigures = set.measure(
      session.currentWeights,
      result.round,
      new Set(session.allLabels.map((l) => l.id)),
    );
    const evaluated = await evaluateHead({
      head: await readHeadForEvaluation(session.paths.weights),
      data: {
        kind: 'embeddings',
        npyFile: CLOTHING_NPY,
        csvFile: CLOTHING_CSV,
        idColumn: 'path',
        where: [{ column: 'split', value: 'test' }],
      },
      root: dir,
      truth: {
        kind: 'answers',
        sheet: { file: CLOTHING_CSV, idColumn: 'path', labelColumn: 'label', positive: 'hat' },
      },
    });
    const m = evaluated.metrics!;
    assert.equal(figures.averagePrecision, m.averagePrecision, `AP of round ${result.round}`);
    assert.equal(figures.rocAuc, m.rocAuc, `ROC-AUC of round ${result.round}`);
    assert.deepEqual([figures.n, figures.positives], [372, 12]);
    assert.ok(figures.ms >= 0 && figures.ms < 5000);
    measured.push(figures.averagePrecision!);
    assert.match(
      formatHeldOut(figures),
      new RegExp(
        `^held-out AP 0\\.\\d{4}, ROC-AUC 0\\.\\d{4} \\(round ${result.round}: 372 records, 12 positive; \\d+ ms\\)$`,
      ),
    );
  }
  assert.equal(measured.length, 3, 'rounds 2, 4 and 6');
  assert.ok(measured[2] > 12 / 372, `the tuned head ranks hats above chance: ${measured.join(', ')}`);
});

test('a bad held-out.json is refused naming the file and what is wrong', async (t) => {
  const headDir = await tempDir(t);
  const weights = weightsFor('hat', 'nsfwjs-mobilenetv2', new Array(1280).fill(0.01));
  assert.equal(await HeldOutSet.load(headDir, weights, { root: headDir }), null, 'no file, no held-out set');
  const file = heldOutFile(headDir);
  const refused = async (text: string, pattern: RegExp) => {
    await fs.writeFile(file, text);
    await assert.rejects(HeldOutSet.load(headDir, weights, { root: headDir }), (err: Error) => {
      assert.ok(err instanceof VectorTuneError);
      assert.ok(err.message.startsWith(file), err.message);
      assert.match(err.message, pattern);
      return true;
    });
  };
  await refused('{', /is not valid JSON/);
  await refused(
    '{"format":"vector-tune-held-out","version":1,"kind":"csv"}',
    /kind "csv"; use "folder" or "embeddings"/,
  );
  await refused('{"format":"vector-tune-held-out","version":1,"kind":"folder","folder":"x"}', /needs "positive"/);
  await refused(
    '{"format":"vector-tune-held-out","version":1,"kind":"folder","folder":"nowhere","positive":"hat"}',
    /no such folder of held-out images/,
  );
  const spec = {
    npy: relativeToHead(headDir, CLOTHING_NPY),
    csv: relativeToHead(headDir, CLOTHING_CSV),
    labelColumn: 'label',
    where: ['split=test'],
  };
  await refused(
    JSON.stringify({ format: 'vector-tune-held-out', version: 1, kind: 'embeddings', ...spec, positive: 'hats' }),
    /no line has "hats" in the column "label".*Did you mean --positive hat\?/,
  );
  await refused(
    JSON.stringify({
      format: 'vector-tune-held-out',
      version: 1,
      kind: 'embeddings',
      ...spec,
      where: ['split'],
      positive: 'hat',
    }),
    /"split" is not a filter/,
  );
});

test('a folder held-out set is embedded once and measured like eval --folder (generated model, sample photos)', async (t) => {
  const dir = await tempDir(t);
  await generateClipModel(path.join(dir, 'model'), CLIP_PRESETS.tiny, 3);
  const encoder = await loadClip(path.join(dir, 'model'));
  t.after(() => encoder.dispose());
  const samples = path.join(REPO_ROOT, 'samples', 'clothing', 'images');
  const heldOut = path.join(dir, 'held-out');
  for (const cls of ['hat', 'dress', 'shoes'])
    await fs.cp(path.join(samples, cls), path.join(heldOut, cls), { recursive: true });
  const w = Array.from({ length: encoder.dimension }, (_, i) => Math.sin(i + 1));
  const weights = weightsFor('hat', encoder.modelId, w, 0.1);
  const headDir = path.join(dir, 'vectortune', 'heads', 'hat');
  await fs.mkdir(headDir, { recursive: true });
  await writeHeldOutSpec(headDir, { kind: 'folder', folder: relativeToHead(headDir, heldOut), positive: 'hat' });
  assert.equal(JSON.parse(await fs.readFile(heldOutFile(headDir), 'utf8')).folder, '../../../held-out');
  let embeds = 0;
  const set = await HeldOutSet.load(headDir, weights, {
    root: dir,
    embedder: () => {
      embeds++;
      return Promise.resolve(encoder);
    },
  });
  assert.ok(set);
  assert.equal(embeds, 1);
  assert.equal(set.size, 20);
  const evaluated = await evaluateHead({
    head: { weights, weightsSha256: 'a'.repeat(64) },
    data: { kind: 'folder', folder: heldOut, embedder: encoder },
    root: dir,
    truth: { kind: 'folders', positive: 'hat' },
  });
  const figures = set.measure(weights, 4);
  assert.equal(figures.averagePrecision, evaluated.metrics!.averagePrecision);
  assert.equal(figures.rocAuc, evaluated.metrics!.rocAuc);
  assert.deepEqual([figures.n, figures.positives], [20, 12]);
  // A labelled record is left out, as the worker's Evaluate Head leaves out what the head was trained on.
  const labelled = new Set([`held-out/hat/${(await fs.readdir(path.join(heldOut, 'hat')))[0]}`]);
  assert.deepEqual([set.measure(weights, 4, labelled).n, set.measure(weights, 4, labelled).positives], [19, 11]);
});
