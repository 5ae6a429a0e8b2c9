/**
 * Fuzzing classifier.weights.json, a committed, hand-editable file that gates CI: every field deleted or
 * given an odd value (wrong type, NaN and Infinity as Python writes them, numbers too large for float32 or
 * for a loop), the file cut short, another model or dimension, a newer format. The reader must refuse all
 * of it with the file named and the field, and accept exactly what the format's one schema (weights-schema.ts)
 * accepts; every accepted head is then used by the real loading code (useHead, below).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { DEFAULT_TRAINING, LinearHead } from '../../src/core/head/linear-head';
import { checkWeightsMatchStore, HeadWeights, readWeights } from '../../src/core/head/weights-file';
import { headIdOf } from '../../src/core/head/head-id';
import { HEAD_ID, weightsProblem } from '../../src/core/head/weights-schema';
import { CaseTally, outcome, outcomeSync } from '../helpers/fuzz-check';
import { type Json, jsonMutationArb, mutateJson, nonFiniteLiteralArb, replaceNthNumber } from '../helpers/fuzz-json';
import { tempDir } from '../helpers/temp';

const tally = new CaseTally();
test.after(() => tally.print());

function sampleWeights(kind: 'prompt' | 'examples' | 'weights'): HeadWeights {
  const start =
    kind === 'prompt'
      ? { kind, prompt: 'a red hat', w: [1, 0, 0], b: 0 }
      : kind === 'examples'
        ? { kind, ids: ['a.jpg', 'b.jpg'], w: [0.5, 0.5, 0], b: 0 }
        : { kind, file: '../hat/classifier.weights.json', sha256: 'ab12', w: [0, 1, 0], b: -0.5 };
  return {
    format: 'vector-tune-head',
    version: 1,
    name: 'hat',
    // Heads from before ids existed have none (examples here): both forms are read.
    ...(kind === 'examples' ? {} : { id: '0123456789abcdef0123456789abcdef' }),
    model: { id: 'Xenova/clip-vit-base-patch32', dimension: 3 },
    preprocessing: { centre: [0.1, -0.2, 0.3], normalise: 'l2' },
    w: [0.5, -0.25, 1e-9],
    b: -0.75,
    training: { ...DEFAULT_TRAINING, loss: 'bce-with-logits', target: '(score + 1) / 2' },
    start,
    labels: { file: 'labels.jsonl', count: 4, rounds: 1, sha256: 'x' },
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

/**
 * What the code that loads an accepted head does with it, run for real: the float32 query vector and logits of the
 * scoring path, centring then L2 of the preprocessing, and one round of the SGD loop with the file's own settings
 * (stepsPerBatch passes). Throws when any of it fails or gives a non-finite number.
 */
function useHead(h: HeadWeights): void {
  assert.match(headIdOf(h), HEAD_ID, 'the head has an id (its own or one derived from the file)');
  const unit = Float32Array.from([0.6, 0.8, 0].slice(0, h.model.dimension));
  const centred = h.preprocessing.centre ? unit.map((x, i) => x - h.preprocessing.centre![i]) : unit;
  const norm = Math.hypot(...centred);
  const x = norm > 0 ? centred.map((v) => v / norm) : centred;
  for (const [w, b] of [
    [h.w, h.b],
    [h.start.w, h.start.b],
  ] as const) {
    const head = LinearHead.fromStart(w, b);
    assert.ok(head.queryVector().every(Number.isFinite), 'query vector is finite');
    assert.ok(Number.isFinite(head.logit(x)), 'logit is finite');
  }
  const head = LinearHead.fromStart(h.w, h.b);
  const examples = [
    { x, target: 1 },
    { x: x.map((v) => -v), target: 0 },
  ];
  const trained = head.train(examples, h.training, Math.max(1, h.labels.rounds));
  assert.ok(Number.isFinite(trained.loss), 'training loss is finite');
}

/** Writes `text` to a fresh file and reads it back as weights. */
async function readText(dir: string, n: number, text: string) {
  const file = path.join(dir, `w${n}.json`);
  await fs.writeFile(file, text);
  return { file, result: await outcome(() => readWeights(file), file) };
}

test('fuzz: weights with a field deleted or given an odd value are refused exactly when the head is unusable', async (t) => {
  const dir = await tempDir(t, 'vt-fuzz-weights-');
  let n = 0;
  const mutations = fc.array(jsonMutationArb, { minLength: 1, maxLength: 2 });
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('prompt' as const, 'examples' as const, 'weights' as const),
      mutations,
      async (kind, ms) => {
        let doc = sampleWeights(kind) as unknown as Json;
        const changes: string[] = [];
        for (const m of ms) {
          const next = mutateJson(doc, m);
          doc = next.doc;
          changes.push(next.describe);
        }
        const { result } = await readText(dir, n++, JSON.stringify(doc));
        tally.note('classifier.weights.json fields', result);
        // One description of a usable head (weights-schema.ts) serves the reader and this oracle; what the test adds
        // is that the reader follows it exactly, and that the code loading a head really works on all it accepts.
        const why = weightsProblem(doc);
        assert.equal(
          result.ok,
          why === null,
          `${changes.join('; ')}: ${why ?? 'usable'}, but ${result.ok ? 'read' : `refused: ${result.error.message}`}`,
        );
        if (result.ok) useHead(result.value);
        else {
          // The field the schema names first, or (a version above ours) the newer-version advice.
          const field = why!.split(' ')[0];
          const named = field === '"version"' ? /"version"|newer version/ : new RegExp(escapeRegExp(field));
          assert.match(result.error.message, named, 'names the field');
        }
      },
    ),
    { seed: 1, numRuns: 1500, includeErrorInReport: true },
  );
});

test('fuzz: weights cut short, or with NaN, Infinity or 1e999 in place of a number, are refused naming the file', async (t) => {
  const dir = await tempDir(t, 'vt-fuzz-weights-text-');
  const text = JSON.stringify(sampleWeights('examples'), null, 1) + '\n';
  let n = 0;
  const damage = fc.oneof(
    fc.record({ cut: fc.nat({ max: text.length - 2 }) }),
    fc.record({ which: fc.nat(), literal: nonFiniteLiteralArb }),
  );
  await fc.assert(
    fc.asyncProperty(damage, async (d) => {
      const broken = 'cut' in d ? text.slice(0, d.cut) : replaceNthNumber(text, d.which, d.literal);
      const { file, result } = await readText(dir, n++, broken);
      tally.note('classifier.weights.json text', result);
      assert.ok(!result.ok, `should refuse ${JSON.stringify(d)}`);
      assert.ok(result.error.message.startsWith(`${file}: `), result.error.message);
    }),
    { seed: 0x747874, numRuns: 500, includeErrorInReport: true },
  );
});

test('fuzz: a head is refused for a store of another model, dimension or centring, and accepted for its own', () => {
  const store = fc.record({
    modelId: fc.constantFrom('Xenova/clip-vit-base-patch32', 'xenova/clip-vit-base-patch32', 'other', ''),
    dimension: fc.constantFrom(3, 4, 512),
    centred: fc.boolean(),
  });
  fc.assert(
    fc.property(store, fc.boolean(), ({ modelId, dimension, centred }, headCentred) => {
      const weights = sampleWeights('prompt');
      if (!headCentred) weights.preprocessing.centre = null;
      const info = { modelId, dimension, centringMean: centred ? new Float32Array(dimension) : null };
      const result = outcomeSync(
        () => checkWeightsMatchStore(weights, info, 'classifier.weights.json'),
        'classifier.weights.json',
      );
      tally.note('classifier.weights.json vs store', result);
      const same = modelId === weights.model.id && dimension === weights.model.dimension && centred === headCentred;
      assert.equal(
        result.ok,
        same,
        `${modelId} ${dimension}-d ${centred ? 'centred' : 'plain'} store, ${headCentred ? 'centred' : 'plain'} head`,
      );
    }),
    { seed: 0x6d6f64, numRuns: 200, includeErrorInReport: true },
  );
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
