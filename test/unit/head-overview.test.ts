import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import { summariseRanking } from '../../src/core/eval/evaluate';
import { EvaluationResult, REPORT_FORMAT, REPORT_FORMAT_VERSION } from '../../src/core/eval/evaluation-result';
import { writeReport } from '../../src/core/eval/report';
import { headOverviews } from '../../src/core/head/head-overview';
import { DEFAULT_TRAINING } from '../../src/core/head/linear-head';
import { writeWeights, type HeadWeights } from '../../src/core/head/weights-file';
import { appendLabels } from '../../src/core/tune/labels-file';
import { tempDir } from '../helpers/temp';

/**
 * What the Heads view lists: each head's labels, positives, rounds and model from its real files, and its
 * reports with the change in average precision that the report itself records.
 */

function weights(name: string, rounds: number): HeadWeights {
  const now = new Date().toISOString();
  return {
    format: 'vector-tune-head',
    version: 1,
    name,
    model: { id: 'test/clip', dimension: 2 },
    preprocessing: { centre: null, normalise: 'l2' },
    w: [1, 0],
    b: 0,
    training: { ...DEFAULT_TRAINING, loss: 'bce-with-logits', target: '(score + 1) / 2' },
    start: { kind: 'prompt', prompt: name, w: [1, 0], b: 0 },
    labels: { file: 'labels.jsonl', count: 3, rounds, sha256: '0'.repeat(64) },
    createdAt: now,
    updatedAt: now,
  };
}

function result(scores: number[], truth: boolean[], createdAt: string): EvaluationResult {
  const ranked = scores.map((logit, i) => ({ id: `r${i}`, logit })).sort((a, b) => b.logit - a.logit);
  const s = summariseRanking(ranked, { of: (r) => truth[Number(r.id.slice(1))] }, 5);
  return {
    format: REPORT_FORMAT,
    version: REPORT_FORMAT_VERSION,
    createdAt,
    tool: { name: 'vector-tune', reportFormatVersion: REPORT_FORMAT_VERSION },
    head: { name: 'hat', weightsSha256: 'a'.repeat(64), labelsCount: 3, labelsRounds: 2, weightsUpdatedAt: createdAt },
    model: { id: 'test/clip', dimension: 2 },
    data: {
      kind: 'folder',
      folder: 'held-out',
      description: 'images in held-out/',
      records: scores.length,
      skipped: [],
    },
    truth: { kind: 'folders', description: 'sub-folder "hat" of held-out/', positive: 'hat', unanswered: 0 },
    ...s.figures,
  };
}

test('heads are listed with their labels, positives, rounds, model and reports (newest first, AP change)', async (t) => {
  const headsDir = await tempDir(t);
  const hat = path.join(headsDir, 'hat');
  await fs.mkdir(hat, { recursive: true });
  await writeWeights(path.join(hat, 'classifier.weights.json'), weights('hat', 2));
  const time = new Date().toISOString();
  await appendLabels(path.join(hat, 'labels.jsonl'), [
    { id: 'a.jpg', score: 1, round: 1, time },
    { id: 'b.jpg', score: -0.5, round: 1, time },
    { id: 'c.jpg', score: 0.5, round: 2, time },
    // A relabel and a removal are lines too: the head has 2 labels now, 1 positive.
    { id: 'a.jpg', score: -1, round: 3, time },
    { id: 'b.jpg', score: 0, round: 3, time, removed: true },
  ]);
  const truth = [true, true, false, false];
  const root = headsDir;
  // The same data twice (the second replaces the first and records the change), then other data.
  await writeReport(hat, result([4, 3, 2, 1], truth, '2026-01-01T00:00:00.000Z'), { root, thumbnails: false });
  await writeReport(hat, result([2, 1, 3, 0], truth, '2026-01-02T00:00:00.000Z'), { root, thumbnails: false });
  await writeReport(hat, result([4, 3, 2, 1], truth, '2026-01-03T00:00:00.000Z'), {
    root,
    name: 'other-data',
    thumbnails: false,
  });
  await fs.mkdir(path.join(headsDir, 'not-a-head'));

  const [overview, ...others] = await headOverviews(headsDir);
  assert.equal(others.length, 0, 'a folder without a weights file is not a head');
  assert.equal(overview.problem, null);
  assert.deepEqual(
    [overview.name, overview.labels, overview.positives, overview.rounds, overview.modelId],
    ['hat', 2, 1, 2, 'test/clip'],
  );
  assert.deepEqual(
    overview.reports.map((r) => r.name),
    ['other-data', 'eval-held-out-hat'],
  );
  const [first, replaced] = overview.reports;
  assert.equal(first.averagePrecision, 1);
  assert.equal(first.averagePrecisionChange, null, 'a first report on its data has no change');
  assert.ok(Math.abs(replaced.averagePrecision! - 7 / 12) < 1e-12);
  assert.ok(Math.abs(replaced.averagePrecisionChange! - (7 / 12 - 1)) < 1e-12);
  assert.equal(replaced.markdownFile, path.join(hat, 'reports', 'eval-held-out-hat.md'));
  await fs.access(replaced.markdownFile);
});

test('a head whose weights file is broken is listed with the problem, not dropped', async (t) => {
  const headsDir = await tempDir(t);
  await fs.mkdir(path.join(headsDir, 'broken'));
  await fs.writeFile(path.join(headsDir, 'broken', 'classifier.weights.json'), '{"w": [0.1, ');
  const [overview] = await headOverviews(headsDir);
  assert.equal(overview.name, 'broken');
  assert.match(overview.problem ?? '', /classifier\.weights\.json: the weights file is not valid JSON/);
});
