import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { calibratedProbability, fitCalibration } from '../../src/core/calibration/calibration';
import { type ClipEncoder, loadClip } from '../../src/core/embed/clip';
import { decodeImage } from '../../src/core/embed/image';
import { readWeights, writeWeights } from '../../src/core/head/weights-file';
import { listImageFiles, toPosixRelative } from '../../src/core/ingest/walk';
import { cliOk } from '../helpers/cli';
import { runPython } from '../helpers/python';
import { REPO_ROOT } from '../helpers/temp';
import { engineLogits, makeTrainedHeads } from '../helpers/trained-heads';

/**
 * `vector-tune export` on the sample photos with the generated CLIP: heads trained by the loop, exported from
 * images and from embeddings, one head and three; onnxruntime runs each file and must give the engine's own
 * logits (rankFolder, what `rank --folder` prints) to within 1e-4; Python's onnx.checker accepts each file.
 */
const TOLERANCE = 1e-4;

let tmp: string;
let ws: string;
let modelDir: string;
let encoder: ClipEncoder;
/** Per image id: the engine's logit of each head. */
let engine: Map<string, Map<string, number>>;
let images: string[];

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'vt-export-'));
  ({ ws, modelDir } = await makeTrainedHeads(tmp));
  encoder = await loadClip(modelDir);
  images = (await listImageFiles(path.join(ws, 'images'))).images;
  engine = await engineLogits(ws, path.join(ws, 'images'), encoder);
});

after(async () => {
  await encoder?.dispose();
  await fs.rm(tmp, { recursive: true, force: true });
});

/** The exported model's logits for every sample photo, by id; input made as the engine makes it. */
async function exportedLogits(file: string, from: 'image' | 'embedding'): Promise<Map<string, Float32Array>> {
  const session = await ort.InferenceSession.create(file);
  const out = new Map<string, Float32Array>();
  try {
    for (let i = 0; i < images.length; i += 8) {
      const files = images.slice(i, i + 8);
      const decoded = await Promise.all(files.map((f) => decodeImage(f, { targetShortSide: encoder.imageSize })));
      const batch = await encoder.preprocessImages(decoded.map((d) => (d.ok ? d.image : assert.fail(d.reason))));
      let feed: Record<string, ort.Tensor>;
      if (from === 'image') {
        feed = {
          pixel_values: new ort.Tensor('float32', batch.pixelValues.data as Float32Array, batch.pixelValues.dims),
        };
      } else {
        const vectors = await encoder.embedPixels(batch);
        const flat = new Float32Array(vectors.length * encoder.dimension);
        vectors.forEach((v, r) => flat.set(v, r * encoder.dimension));
        feed = { embeddings: new ort.Tensor('float32', flat, [vectors.length, encoder.dimension]) };
      }
      const result = await session.run(feed);
      const [rows, columns] = result.logits.dims as number[];
      const logits = result.logits.data as Float32Array;
      const probabilities = result.probabilities.data as Float32Array;
      for (let r = 0; r < rows; r++) {
        const row = logits.slice(r * columns, (r + 1) * columns);
        row.forEach((logit, c) =>
          assert.ok(
            Math.abs(probabilities[r * columns + c] - 1 / (1 + Math.exp(-logit))) < 1e-6,
            'probability = sigmoid',
          ),
        );
        out.set(toPosixRelative(ws, files[r]), row);
      }
    }
  } finally {
    await session.release();
  }
  return out;
}

const cases = [
  { heads: ['hat'], from: 'image' as const },
  { heads: ['hat', 'skirt', 'shoes'], from: 'image' as const },
  { heads: ['hat'], from: 'embedding' as const },
  { heads: ['shoes', 'hat', 'skirt'], from: 'embedding' as const },
];
const exported: string[] = [];

for (const { heads, from } of cases) {
  test(`export --heads ${heads.join(',')} --from ${from}: onnxruntime gives the engine's logits`, async () => {
    const file = path.join(ws, `${heads.join('+')}-${from}.onnx`);
    const stdout = cliOk(ws, 'export', '--heads', heads.join(','), '--from', from, '--out', file, '--model', modelDir);
    assert.match(stdout, new RegExp(`columns: ${heads.join(', ')}`));
    exported.push(file);
    const logits = await exportedLogits(file, from);
    assert.equal(logits.size, images.length);
    let largest = 0;
    for (const [id, row] of logits) {
      heads.forEach((head, c) => {
        largest = Math.max(largest, Math.abs(row[c] - engine.get(id)!.get(head)!));
      });
    }
    const size = (await fs.stat(file)).size;
    console.log(
      `  ${heads.join('+')} from ${from}: ${size} bytes, largest logit difference ${largest.toExponential(2)} over ${images.length} photos`,
    );
    assert.ok(largest <= TOLERANCE, `largest logit difference ${largest}`);

    const description = JSON.parse(await fs.readFile(`${file}.json`, 'utf8'));
    assert.deepEqual(
      description.heads.map((h: { name: string }) => h.name),
      heads,
    );
    const hat = description.heads.find((h: { name: string }) => h.name === 'hat');
    const report = JSON.parse(
      await fs.readFile(path.join(ws, 'vectortune/heads/hat/reports/eval-images-hat.json'), 'utf8'),
    );
    assert.equal(hat.weightsSha256, report.head.weightsSha256);
    assert.equal(hat.labelsCount, report.head.labelsCount);
    assert.equal(hat.lastReport.averagePrecision, report.metrics.averagePrecision);
    assert.equal(description.preprocessing === null, from === 'embedding');
    if (from === 'image') assert.deepEqual(description.preprocessing.centreCrop, { width: 224, height: 224 });
  });
}

test("Python's onnx.checker (python3-onnx 1.12) accepts every exported model, with its metadata", () => {
  assert.equal(exported.length, cases.length, 'the export tests ran first');
  const r = runPython([path.join(REPO_ROOT, 'test', 'python', 'check_onnx.py'), ...exported]);
  assert.equal(r.status, 0, r.stderr);
  const checked = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(checked.length, exported.length);
  cases.forEach(({ heads, from }, i) => {
    const c = checked[i];
    assert.ok(c.ir_version <= 8 && c.opsets['ai.onnx'] <= 17, `IR ${c.ir_version}, opset ${c.opsets['ai.onnx']}`);
    assert.deepEqual(Object.keys(c.inputs), [from === 'image' ? 'pixel_values' : 'embeddings']);
    assert.deepEqual(c.outputs, { logits: ['batch_size', heads.length], probabilities: ['batch_size', heads.length] });
    assert.deepEqual(
      c.metadata['vector_tune.heads'].map((h: { name: string }) => h.name),
      heads,
    );
  });
  console.log(
    `  onnx ${checked[0].onnx_package}: ${checked.length} models pass onnx.checker (IR ${checked[0].ir_version}, opset ${checked[0].opsets['ai.onnx']})`,
  );
});

test("an isotonic-calibrated head: the exported model's probabilities are the engine's predict on the sample photos", async () => {
  // The hat head calibrated with isotonic regression on the sample photos' truth (the class folders), by the core's
  // own fit, as `calibrate --method isotonic` stores it. Last in this file: the heads above are uncalibrated.
  const weightsFile = path.join(ws, 'vectortune', 'heads', 'hat', 'classifier.weights.json');
  const weights = await readWeights(weightsFile);
  const ids = [...engine.keys()];
  const logits = ids.map((id) => engine.get(id)!.get('hat')!);
  const positive = ids.map((id) => id.split('/').at(-2) === 'hat');
  const calibration = fitCalibration(weights, logits, positive, { method: 'isotonic', rule: 'best-f1', file: 'truth' });
  assert.ok(calibration.isotonic!.logits.length >= 4, `knots: ${calibration.isotonic!.logits.length}`);
  await writeWeights(weightsFile, { ...weights, calibration });

  const file = path.join(ws, 'hat-isotonic.onnx');
  cliOk(ws, 'export', '--heads', 'hat', '--from', 'image', '--out', file, '--model', modelDir);
  const description = JSON.parse(await fs.readFile(`${file}.json`, 'utf8'));
  assert.equal(description.heads[0].probability, 'isotonic');
  cliOk(ws, 'predict', '--heads', 'hat', '--folder', 'images', '--out', 'iso.jsonl', '--model', modelDir);
  const predicted = new Map(
    (await fs.readFile(path.join(ws, 'iso.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { path: string; hat_logit: number; hat_probability: number })
      .map((r) => [r.path, r]),
  );

  const session = await ort.InferenceSession.create(file);
  let ownLogit = 0;
  let predict = 0;
  try {
    for (let i = 0; i < images.length; i += 8) {
      const files = images.slice(i, i + 8);
      const decoded = await Promise.all(files.map((f) => decodeImage(f, { targetShortSide: encoder.imageSize })));
      const batch = await encoder.preprocessImages(decoded.map((d) => (d.ok ? d.image : assert.fail(d.reason))));
      const pixels = new ort.Tensor('float32', batch.pixelValues.data as Float32Array, batch.pixelValues.dims);
      const result = await session.run({ pixel_values: pixels });
      files.forEach((f, r) => {
        const logit = (result.logits.data as Float32Array)[r];
        const probability = (result.probabilities.data as Float32Array)[r];
        const row = predicted.get(toPosixRelative(ws, f))!;
        // The graph's step function on its own logit, and the engine's predict on the engine's logit.
        ownLogit = Math.max(ownLogit, Math.abs(probability - calibratedProbability(calibration, logit)));
        predict = Math.max(predict, Math.abs(probability - row.hat_probability));
      });
    }
  } finally {
    await session.release();
  }
  console.log(
    `  isotonic hat (${calibration.isotonic!.logits.length} knots) over ${images.length} photos: largest difference ${ownLogit.toExponential(2)} from the engine's function of the model's own logit, ${predict.toExponential(2)} from predict`,
  );
  assert.equal(predicted.size, images.length);
  const checked = runPython([path.join(REPO_ROOT, 'test', 'python', 'check_onnx.py'), file]);
  assert.equal(checked.status, 0, `onnx.checker: ${checked.stderr}`);
  assert.ok(ownLogit <= 1e-6, `the step function: ${ownLogit}`);
  assert.ok(predict <= TOLERANCE, `against predict: ${predict}`);
});
