/**
 * Fuzzing classifier.weights.json, a committed, hand-editable file that gates CI: every field deleted or
 * given an odd value (wrong type, NaN and Infinity as Python writes them, numbers too large for float32 or
 * for a loop), the file cut short, another model or dimension, a newer format. The reader must refuse all
 * of it with the file named, and accept exactly the heads that the code loading them can use: the test's
 * own description of a usable head (below) is held against the reader both ways.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { DEFAULT_TRAINING, LinearHead } from '../../src/core/head/linear-head';
import { checkWeightsMatchStore, HeadWeights, readWeights, WEIGHTS_VERSION } from '../../src/core/head/weights-file';
import { CaseTally, outcome, outcomeSync } from '../helpers/fuzz-check';
import { type Json, jsonMutationArb, mutateJson, nonFiniteLiteralArb, replaceNthNumber } from '../helpers/fuzz-json';
import { tempDir } from '../helpers/temp';

const tally = new CaseTally();
test.after(() => tally.print());

const FLOAT32_MAX = 3.4028234663852886e38;

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
 * What the code that loads a head relies on, written here independently of validateWeights: the scoring
 * path (w and b, also as a float32 query vector), centring, the training loop (which runs stepsPerBatch
 * passes), the replay from the start point, and the session's label bookkeeping. null when usable.
 * Ignored, as nothing relies on them: createdAt, updatedAt, training.loss/target and labels.sha256 (a
 * mismatch there only makes a session retrain from the labels).
 */
function unusable(h: Record<string, any>): string | null {
  const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
  const vector = (v: unknown, d: number) =>
    Array.isArray(v) && v.length === d && v.every((x) => typeof x === 'number' && Math.abs(x) <= FLOAT32_MAX);
  const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  const whole = (v: unknown, min: number, max = Number.MAX_SAFE_INTEGER) =>
    Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
  if (!isObject(h)) return 'not an object';
  if (h.format !== 'vector-tune-head' || !whole(h.version, 1, WEIGHTS_VERSION)) return 'format/version';
  if (typeof h.name !== 'string' || h.name === '') return 'name';
  if (!isObject(h.model) || typeof h.model.id !== 'string' || h.model.id === '' || !whole(h.model.dimension, 1))
    return 'model';
  const d = h.model.dimension;
  if (!vector(h.w, d) || !finite(h.b)) return 'w/b';
  if (
    !isObject(h.preprocessing) ||
    h.preprocessing.normalise !== 'l2' ||
    (h.preprocessing.centre !== null && !vector(h.preprocessing.centre, d))
  )
    return 'preprocessing';
  const t = h.training;
  if (!isObject(t) || !(finite(t.learningRate) && t.learningRate > 0) || !(finite(t.l2) && t.l2 >= 0))
    return 'training rates';
  if (!whole(t.stepsPerBatch, 0, 100_000) || !whole(t.batchSize, 1) || !whole(t.seed, Number.MIN_SAFE_INTEGER))
    return 'training counts';
  const s = h.start;
  if (!isObject(s) || !vector(s.w, d) || !finite(s.b)) return 'start';
  const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string' && x !== '');
  if (
    !(s.kind === 'prompt'
      ? typeof s.prompt === 'string'
      : s.kind === 'examples'
        ? strings(s.ids)
        : s.kind === 'weights' && typeof s.file === 'string' && typeof s.sha256 === 'string')
  )
    return 'start kind';
  if (
    !isObject(h.labels) ||
    typeof h.labels.file !== 'string' ||
    !whole(h.labels.count, 0) ||
    !whole(h.labels.rounds, 0)
  )
    return 'labels';
  return null;
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
        const why = unusable(doc as Record<string, any>);
        assert.equal(
          result.ok,
          why === null,
          `${changes.join('; ')}: ${why ?? 'usable'}, but ${result.ok ? 'read' : `refused: ${result.error.message}`}`,
        );
        if (!result.ok) return;
        // Accepted means scoreable: the float32 query and the logits are finite for any unit input.
        const head = LinearHead.fromStart(result.value.w, result.value.b);
        assert.ok(head.queryVector().every(Number.isFinite) && Number.isFinite(head.logit([0.6, 0.8, 0])));
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
