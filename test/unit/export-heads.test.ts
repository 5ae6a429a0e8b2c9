import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { calibratedProbability, fitCalibration } from '../../src/core/calibration/calibration';
import { fitIsotonic, isotonicProbability, type IsotonicFit } from '../../src/core/calibration/isotonic';
import { type ClipEncoder, loadClip } from '../../src/core/embed/clip';
import { VectorTuneError } from '../../src/core/errors';
import { checkExportedModel } from '../../src/core/export/check-export';
import { buildExportedModel } from '../../src/core/export/export-heads';
import { isotonicColumn } from '../../src/core/export/isotonic-graph';
import { GraphBuilder } from '../../src/core/export/onnx-graph';
import { type CommittedHead, readCommittedHeads } from '../../src/core/eval/committed-heads';
import { lastReportOf } from '../../src/core/eval/last-report';
import { logitsOfRaw } from '../../src/core/head/apply-head';
import { writeWeights, type HeadWeights } from '../../src/core/head/weights-file';
import { sha256File } from '../../src/core/util/hash';
import { generateClipModel } from '../../tools/generate-model/generate';
import { weightsFor } from '../helpers/head-weights';
import { tempDir } from '../helpers/temp';
import { randomUnitVectors } from '../helpers/vectors';

/**
 * The export's graph on hand-made heads: centres (the engine's `import --centre` heads) shared and not, heads
 * in any order, a zero vector, and the checks that refuse what cannot be exported.
 */
let modelDir: string;
let encoder: ClipEncoder;
let workDir: string;

before(async () => {
  workDir = await fs.mkdtemp(path.join((await import('node:os')).tmpdir(), 'vt-export-unit-'));
  modelDir = path.join(workDir, 'model');
  await generateClipModel(modelDir);
  encoder = await loadClip(modelDir);
});
after(async () => {
  await encoder?.dispose();
  await fs.rm(workDir, { recursive: true, force: true });
});

const D = 64;
const vector = (seed: number, scale = 1) => Array.from(randomUnitVectors(1, D, seed), (x) => x * scale);
const exportable = (weights: HeadWeights): CommittedHead => ({ weights, weightsSha256: 'sha', lastReport: null });

function heads(modelId: string): HeadWeights[] {
  const centreA = vector(11, 0.3);
  const centreB = vector(12, 0.3);
  return [
    weightsFor('a', modelId, vector(1, 4), 0.5, centreA),
    weightsFor('plain', modelId, vector(2, 4), -0.25),
    weightsFor('b', modelId, vector(3, 4), 0.1, centreB),
    weightsFor('a2', modelId, vector(4, 4), -1, centreA),
  ];
}

test('from embeddings: heads with different centres, in the order given, give the engine logits (a zero vector gives b)', async () => {
  const weights = heads('m');
  const { bytes } = await buildExportedModel(weights.map(exportable), 'embedding');
  const rows = 16;
  const data = Float32Array.from(randomUnitVectors(rows, D, 7), (x) => x * 2.5);
  data.fill(0, 0, D); // a zero row: the engine scores it b, not NaN
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({ embeddings: new ort.Tensor('float32', data, [rows, D]) });
  await session.release();
  const logits = out.logits.data as Float32Array;
  let largest = 0;
  weights.forEach((head, h) => {
    const expected = logitsOfRaw(head, data, rows);
    for (let r = 0; r < rows; r++) largest = Math.max(largest, Math.abs(logits[r * weights.length + h] - expected[r]));
  });
  assert.ok(largest < 1e-5, `largest difference ${largest}`);
  assert.equal(logits[1], weights[1].b, "the uncentred head's b for the zero row");
});

test("from images: a centred head through the generated model's vision graph gives the engine logits", async () => {
  const weights = heads(encoder.modelId);
  const exported = await buildExportedModel(weights.map(exportable), 'image', modelDir);
  const check = await checkExportedModel(exported.bytes, weights, 'image', encoder);
  assert.ok(check.maxLogitDifference < 1e-4, String(check.maxLogitDifference));
  assert.equal(exported.description.input.name, 'pixel_values');
  assert.deepEqual(exported.description.preprocessing?.mean, [0.48145466, 0.4578275, 0.40821073]);
});

test("the export check fails a model that does not give the heads' logits", async () => {
  const weights = heads('m');
  const { bytes } = await buildExportedModel(weights.map(exportable), 'embedding');
  const other = weights.map((h) => ({ ...h, b: h.b + 0.01 }));
  await assert.rejects(checkExportedModel(bytes, other, 'embedding'), (err: Error) => {
    assert.ok(err instanceof VectorTuneError);
    assert.match(err.message, /differ from Vector Tune's own by up to 0\.01\d*.*nothing was written/);
    return true;
  });
});

test('heads of different models, a repeated or a missing head are refused by name', async (t) => {
  const dir = await tempDir(t);
  await writeWeights(path.join(dir, 'hat', 'classifier.weights.json'), weightsFor('hat', 'clip-a', vector(1)));
  await writeWeights(path.join(dir, 'cat', 'classifier.weights.json'), weightsFor('cat', 'clip-b', vector(2)));
  await assert.rejects(readCommittedHeads(dir, ['hat', 'cat']), /"hat" and "cat" were trained on different models/);
  await assert.rejects(readCommittedHeads(dir, ['hat', 'hat']), /"hat" is named twice/);
  await assert.rejects(readCommittedHeads(dir, ['dog']), /dog.classifier\.weights\.json: no weights file here/);
  const [hat] = await readCommittedHeads(dir, ['hat']);
  assert.equal(hat.weightsSha256, await sha256File(path.join(dir, 'hat', 'classifier.weights.json')));
});

test('a model folder whose vision graph is not ONNX is refused naming the file', async (t) => {
  const dir = await tempDir(t);
  await fs.cp(modelDir, dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'onnx', 'vision_model.onnx'), 'not a model');
  const weights = heads(encoder.modelId);
  await assert.rejects(buildExportedModel(weights.map(exportable), 'image', dir), (err: Error) => {
    assert.ok(err instanceof VectorTuneError);
    assert.match(err.message, /vision_model\.onnx: cannot read this ONNX model/);
    return true;
  });
});

test("a head's last report is its newest report of the current weights", async (t) => {
  const dir = await tempDir(t);
  const reports = path.join(dir, 'reports');
  await fs.mkdir(reports);
  const report = (name: string, sha: string, createdAt: string, ap: number) =>
    fs.writeFile(
      path.join(reports, `${name}.json`),
      JSON.stringify({
        format: 'vector-tune-evaluation',
        version: 1,
        createdAt,
        head: { weightsSha256: sha },
        data: {},
        model: {},
        metrics: { averagePrecision: ap, atBestF1: { threshold: ap - 1 } },
      }),
    );
  await report('old', 'current', '2025-01-01T00:00:00.000Z', 0.5);
  await report('newer', 'current', '2025-02-01T00:00:00.000Z', 0.7);
  await report('newest-of-other-weights', 'earlier', '2025-03-01T00:00:00.000Z', 0.9);
  await fs.writeFile(path.join(reports, 'broken.json'), '{');
  assert.deepEqual(await lastReportOf(dir, 'current'), {
    name: 'newer',
    createdAt: '2025-02-01T00:00:00.000Z',
    averagePrecision: 0.7,
    bestF1Threshold: 0.7 - 1,
  });
  assert.equal(await lastReportOf(dir, 'unknown'), null);
  assert.equal(await lastReportOf(path.join(dir, 'no-such-head'), 'current'), null);
});

test("a calibrated head's probabilities column is its calibrated probability (Platt, isotonic); the description says which", async () => {
  const [a, plain, b] = heads('m');
  const logits = [-2, -1, -0.5, 0, 0.3, 0.6, 1, 2];
  const positive = [false, false, true, false, false, true, true, true];
  const calibrated = {
    ...a,
    calibration: fitCalibration(a, logits, positive, { method: 'platt', rule: 'best-f1', file: 'audit.jsonl' }),
  };
  const isotonic = {
    ...b,
    calibration: fitCalibration(b, logits, positive, { method: 'isotonic', rule: 'best-f1', file: 'audit.jsonl' }),
  };
  const weights = [calibrated, plain, isotonic];
  const exported = await buildExportedModel(weights.map(exportable), 'embedding');
  assert.deepEqual(
    exported.description.heads.map((h) => [h.probability, h.threshold]),
    [
      ['platt', calibrated.calibration.threshold.logit],
      ['sigmoid', 0],
      ['isotonic', isotonic.calibration.threshold.logit],
    ],
  );
  const check = await checkExportedModel(exported.bytes, weights, 'embedding');
  assert.ok(check.maxLogitDifference < 1e-4);
  const rows = 8;
  const data = Float32Array.from(randomUnitVectors(rows, D, 17));
  const session = await ort.InferenceSession.create(exported.bytes);
  const out = await session.run({ embeddings: new ort.Tensor('float32', data, [rows, D]) });
  await session.release();
  const probabilities = out.probabilities.data as Float32Array;
  const expected = logitsOfRaw(calibrated, data, rows);
  for (let r = 0; r < rows; r++) {
    assert.ok(Math.abs(probabilities[r * 3] - calibratedProbability(calibrated.calibration, expected[r])) < 1e-5);
    const p = logitsOfRaw(plain, data, rows)[r];
    assert.ok(Math.abs(probabilities[r * 3 + 1] - 1 / (1 + Math.exp(-p))) < 1e-5);
    // The model's own logit through the engine's isotonic function (a steep knot would magnify float32's rounding).
    const own = (out.logits.data as Float32Array)[r * 3 + 2];
    const iso = calibratedProbability(isotonic.calibration, own);
    assert.ok(Math.abs(probabilities[r * 3 + 2] - iso) < 1e-6, `row ${r}: ${probabilities[r * 3 + 2]} vs ${iso}`);
  }
});

test("the isotonic step function in the graph equals the engine's at, between and beyond its knots, jumps included", async () => {
  const fits: IsotonicFit[] = [
    fitIsotonic([-3, -1, -0.5, 0, 0.2, 0.2, 1, 2.5], [false, true, false, false, true, true, false, true]),
    // Hand-made (a fitted one never repeats a knot): jumps at the first knot, in the middle and at the last one.
    { logits: [-1, -1, 0, 0.5, 0.5, 0.5, 2, 2], probabilities: [0, 0.2, 0.3, 0.4, 0.6, 0.7, 0.9, 1] },
    // Two knots a hair apart: a slope of 5e6 per logit unit.
    { logits: [0.1, 0.1 + 1e-7, 3], probabilities: [0.1, 0.6, 0.9] },
    { logits: [0.7], probabilities: [0.35] },
  ];
  for (const fit of fits) {
    const knots = fit.logits;
    // Every knot exactly (as float32), just either side of it, between knots, and far out.
    const probes = [
      ...knots.flatMap((x) => [x, x - 1e-3, x + 1e-3]),
      -50,
      50,
      ...knots.map((x, i) => (x + (knots[i + 1] ?? x + 1)) / 2),
    ];
    const input = Float32Array.from(probes);
    const g = new GraphBuilder('iso');
    g.input('logits', 'float32', ['n', 1]);
    const p = isotonicColumn(g, 'logits', 0, fit);
    g.output(p, 'float32', ['n', 1]);
    const session = await ort.InferenceSession.create(g.encode('isotonic'));
    const out = (await session.run({ logits: new ort.Tensor('float32', input, [input.length, 1]) }))[p]
      .data as Float32Array;
    await session.release();
    input.forEach((x, i) => {
      const engine = isotonicProbability(fit, x);
      assert.ok(
        Math.abs(out[i] - engine) < 1e-7,
        `knots ${knots.join(',')}: at ${x}, graph ${out[i]}, engine ${engine}`,
      );
    });
  }
});
