import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { test } from 'node:test';
import { parseAudit } from '../../src/core/audit/audit-file';
import { wilson } from '../../src/core/audit/intervals';
import { readLabels } from '../../src/core/tune/labels-file';
import { cli, cliOk } from '../helpers/cli';
import { tempDir } from '../helpers/temp';
import { CLOTHING_CSV, IMPORT_CLOTHING_TRAIN, tuneHatArgs } from '../helpers/clothing-features';

/**
 * The audit sample and calibration through the built CLI on real features (MobileNetV2 clothing, train split): draw
 * a sample, tune (the sample never shows up in a batch), score the sample from the CSV, read the estimates, calibrate
 * for a target precision, and see the calibration dropped once the head trains on.
 */
const CSV = CLOTHING_CSV;

test('audit: draw, hide from batches, score from a CSV, estimates with intervals; calibrate; errors named', async (t) => {
  const cwd = await tempDir(t);
  const lines = (await fs.readFile(CSV, 'utf8')).split('\n');
  const hats = lines.filter((l) => l.includes(',train,hat')).map((l) => l.split(',')[1]);
  const isHat = new Set(hats);
  cliOk(cwd, ...IMPORT_CLOTHING_TRAIN);
  cliOk(cwd, 'start', 'hat', '--examples', hats.slice(0, 3).join(','));
  const headDir = path.join(cwd, 'vectortune', 'heads', 'hat');

  const none = cli(cwd, ['audit', 'hat']);
  assert.equal(none.status, 1);
  assert.match(none.stderr, /audit\.jsonl: head "hat" has no audit sample yet\. Draw one first/);

  assert.match(cliOk(cwd, 'audit', 'hat', '--draw', '300', '--seed', '3'), /drew 300 of 3068 records \(seed 3\)/);
  const auditFile = path.join(headDir, 'audit.jsonl');
  const sample = parseAudit(await fs.readFile(auditFile, 'utf8'), auditFile);
  assert.equal(sample.items.length, 300);
  assert.ok(sample.items.every((i) => i.score === null));
  const listed = cliOk(cwd, 'audit', 'hat', '--unscored').trim().split('\n');
  assert.deepEqual(
    listed.slice(0, 300),
    sample.items.map((i) => i.id),
  );
  assert.match(listed[300], /none of the 300 sample records is scored yet/);
  const again = cli(cwd, ['audit', 'hat', '--draw', '300']);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /already has an audit sample of 300 records.*--force/);

  const tuned = cliOk(cwd, ...tuneHatArgs('--rounds', '8', '--batch', '10'));
  // The stop rule watches the audit sample: every round after the first start has its kappa (or the rule fired).
  const roundLines = tuned.split('\n').filter((l) => /^round \d+:/.test(l));
  assert.equal(roundLines.length, 8);
  for (const line of roundLines)
    assert.match(line, /audit-sample kappa -?[01]\.\d{3} \([0-3] of 3 rounds above 0\.99\)|stop rule fired: /, line);
  const labels = (await readLabels(path.join(headDir, 'labels.jsonl'))).labels;
  const inSample = new Set(sample.items.map((i) => i.id));
  assert.deepEqual(
    labels.filter((l) => l.round > 0 && inSample.has(l.id)),
    [],
    'no audit record is ever offered in a batch',
  );

  const out = cliOk(
    cwd,
    'audit',
    'hat',
    '--from',
    CSV,
    '--label-column',
    'label',
    '--positive',
    'hat',
    '--top',
    '50',
    '--json',
    'estimates.json',
  );
  const positives = sample.items.filter((i) => isHat.has(i.id)).length;
  const prevalence = wilson(positives, 300);
  const rows = lines.slice(1).filter((l) => l.trim() !== '').length;
  assert.ok(
    out.includes(`scored 300 sample record(s); ${rows - 300} given id(s) are not in the sample and were ignored`),
    out,
  );
  const expected = `${prevalence.value.toFixed(3)} [${prevalence.low.toFixed(3)}-${prevalence.high.toFixed(3)}] (${positives}/300)`;
  assert.match(out, new RegExp(`prevalence +${expected.replace(/[[\]().]/g, '\\$&')}`));
  assert.match(out, /positives in the collection +\d+ \[\d+-\d+\]/);
  assert.match(out, /precision at logit > 0\.0000 +(\d\.\d{3} \[|n\/a)/);
  assert.match(out, /average precision +\d\.\d{3} \[\d\.\d{3}-\d\.\d{3}\]/);
  assert.match(out, /positives in the head's top 50 +\d+ \[\d+-\d+\]/);
  const written = JSON.parse(await fs.readFile(path.join(cwd, 'estimates.json'), 'utf8')) as {
    prevalence: { successes: number; trials: number };
  };
  assert.deepEqual([written.prevalence.successes, written.prevalence.trials], [positives, 300]);
  const scored = parseAudit(await fs.readFile(auditFile, 'utf8'), auditFile);
  assert.equal(scored.items.filter((i) => i.score === 1).length, positives, 'the scores are written into audit.jsonl');

  // eval --audit: the estimates go into the report, and the CI gates read them.
  const failed = cli(cwd, ['eval', 'hat', '--audit', '--min-audit-ap', '0.999', '--report-name', 'audit']);
  assert.equal(failed.status, 1, failed.stderr);
  assert.match(
    failed.stderr,
    /gate failed: audit AP \d\.\d{4} \(95% interval \d\.\d{4}-\d\.\d{4}\) is below the minimum 0\.999/,
  );
  const passed = cli(cwd, ['eval', 'hat', '--min-recall-at-precision', '0.01@0.5', '--report-name', 'audit']);
  assert.equal(passed.status, 0, passed.stderr);
  assert.match(passed.stdout, /audit estimates \(300 scored of 300, \d+ positive; 95% intervals; threshold logit 0\)/);
  const report = await fs.readFile(path.join(headDir, 'reports', 'audit.md'), 'utf8');
  assert.match(report, /## Audit estimates/);
  assert.ok(
    report.includes(
      `| prevalence | ${prevalence.value.toFixed(3)} | ${prevalence.low.toFixed(3)}–${prevalence.high.toFixed(3)} | ${positives}/300 |`,
    ),
    report,
  );
  const json = JSON.parse(await fs.readFile(path.join(headDir, 'reports', 'audit.json'), 'utf8')) as {
    audit: { positives: number };
  };
  assert.equal(json.audit.positives, positives);
  const usage = cli(cwd, ['eval', 'hat', '--min-recall-at-precision', '0.5']);
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /expected recall@precision, e\.g\. 0\.5@0\.9/);

  const bad = cli(cwd, ['audit', 'hat', '--score', 'x=2']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--score "x=2": expected id=score/);

  const calibrated = cliOk(cwd, 'calibrate', 'hat', '--target-precision', '0.5');
  assert.match(
    calibrated,
    /calibrated head "hat" on 300 audit records \(\d+ positive\) with platt: positive when logit > -?\d/,
  );
  const weightsFile = path.join(headDir, 'classifier.weights.json');
  const w2 = JSON.parse(await fs.readFile(weightsFile, 'utf8')) as {
    version: number;
    calibration?: { threshold: { precision: number } };
  };
  assert.equal(w2.version, 2);
  assert.ok(w2.calibration!.threshold.precision >= 0.5);
  assert.match(cliOk(cwd, 'audit', 'hat'), /precision at logit > -?\d+\.\d{4} \(calibrated\)/);

  assert.match(cliOk(cwd, 'reset-seen', 'hat'), /labelled records and the audit sample stay seen/);
  cliOk(cwd, ...tuneHatArgs('--rounds', '1'));
  const w1 = JSON.parse(await fs.readFile(weightsFile, 'utf8')) as { version: number; calibration?: unknown };
  assert.equal(w1.version, 1, 'trained on: the calibration no longer describes the head and is dropped');
  assert.equal(w1.calibration, undefined);
  const after = (await readLabels(path.join(headDir, 'labels.jsonl'))).labels;
  assert.equal(after.length, labels.length + 10);
  assert.deepEqual(
    after.filter((l) => l.round > 0 && inSample.has(l.id)),
    [],
    'after a reset too',
  );
});
