import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import * as yaml from 'js-yaml';
import { asMatrix, readNpy, writeNpy } from '../../src/core/io/npy';
import { readCsv, toCsv } from '../../src/core/io/csv';
import { cliOk } from '../helpers/cli';
import { CLOTHING_HEADS_CSV, CLOTHING_HEADS_NPY, trainClothingHeads } from '../helpers/clothing-heads';
import { REPO_ROOT } from '../helpers/temp';

/**
 * The example pipeline (examples/ci/guard-heads.sh) run as CI would run it, on a temporary git repository:
 * two heads (hat, skirt) trained by the loop on the real clothing embeddings, their reports and a small
 * held-out set (the test split, as .npy + CSV) committed on main. On main the script passes; on a branch where
 * skirt was tuned on wrong labels it fails naming skirt only, also when the branch commits the worse report.
 */
const SCRIPT = path.join(REPO_ROOT, 'examples', 'ci', 'guard-heads.sh');
const WORKFLOW = path.join(REPO_ROOT, 'examples', 'ci', 'github-actions.yml');
const [NPY, CSV] = [CLOTHING_HEADS_NPY, CLOTHING_HEADS_CSV];
const SETTINGS = {
  HELDOUT_NPY: 'heldout/embeddings.npy',
  HELDOUT_CSV: 'heldout/embeddings.csv',
  MIN_AP: '0.02',
  MAX_DROP: '0.02',
  BASE_REF: 'main',
  // The package's own bundle, as `npx vector-tune` runs it in a project that installed @vector-tune/cli.
  VECTOR_TUNE: `${process.execPath} ${path.join(REPO_ROOT, 'packages', 'cli', 'dist', 'cli.js')}`,
};

let tmp: string;
let repo: string;
let training: string;

function git(...args: string[]): string {
  const r = spawnSync('git', args, { cwd: repo, encoding: 'utf8' });
  assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function guard(extra: Record<string, string> = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env, ...SETTINGS, ...extra };
  delete env.GITHUB_STEP_SUMMARY;
  const r = spawnSync('bash', [SCRIPT], { cwd: repo, encoding: 'utf8', env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The summary's Markdown row of a head. */
async function summaryRow(head: string): Promise<string> {
  const md = await fs.readFile(path.join(repo, 'vector-tune-summary.md'), 'utf8');
  const row = md.split('\n').find((l) => l.startsWith(`| \`${head}\` |`));
  assert.ok(row, `a row for ${head} in:\n${md}`);
  return row;
}

/** Copies the trained heads (weights and labels, no store) into the repository. */
async function copyHeads(): Promise<void> {
  await fs.cp(path.join(training, 'vectortune'), path.join(repo, 'vectortune'), { recursive: true });
}

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'vt-ci-pipeline-'));
  repo = path.join(tmp, 'repo');
  training = path.join(tmp, 'training');
  await fs.mkdir(path.join(repo, 'heldout'), { recursive: true });
  await fs.mkdir(training);

  // The held-out set: the 372 rows of the test split, as a team would commit them.
  const matrix = asMatrix(await readNpy(NPY), NPY);
  const csv = await readCsv(CSV);
  const split = csv.header.indexOf('split');
  const rows = csv.rows.map((r, i) => ({ r, i })).filter(({ r }) => r[split] === 'test');
  const data = new Float32Array(rows.length * matrix.dim);
  rows.forEach(({ i }, k) => data.set(matrix.data.subarray(i * matrix.dim, (i + 1) * matrix.dim), k * matrix.dim));
  await writeNpy(path.join(repo, SETTINGS.HELDOUT_NPY), rows.length, matrix.dim, data);
  await fs.writeFile(
    path.join(repo, SETTINGS.HELDOUT_CSV),
    toCsv(
      csv.header,
      rows.map(({ r }) => r),
    ),
  );

  // Two heads trained by the loop, in a workspace of their own (the store is never committed).
  await trainClothingHeads((...args) => cliOk(training, ...args), ['hat', 'skirt'], 6);
  await copyHeads();
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 'ci@example.invalid');
  git('config', 'user.name', 'CI');
  // The first run writes the reports that become the baseline; they are committed with the heads.
  const first = guard();
  assert.equal(first.status, 0, first.stderr);
  git('add', '-A');
  git('commit', '-q', '-m', 'two heads, their reports and the held-out set');
});
after(() => fs.rm(tmp, { recursive: true, force: true }));

test('on main: every head passes, exit 0, and the summary says so', async () => {
  const r = guard();
  assert.equal(r.status, 0, r.stderr);
  assert.match(await summaryRow('hat'), /\| ±0 \| [\d.]+ \| 372 \| passed \|/);
  assert.match(await summaryRow('skirt'), /\| ±0 \| [\d.]+ \| 372 \| passed \|/);
});

test('a branch that makes skirt worse fails, naming skirt only, even after committing the worse report', async () => {
  git('checkout', '-q', '-b', 'worse-skirt');
  // Three rounds of wrong answers (shorts scored as skirts): a realistic regression of the labels.
  cliOk(
    training,
    'tune',
    'skirt',
    '--answers',
    CSV,
    '--label-column',
    'label',
    '--positive',
    'shorts',
    '--rounds',
    '3',
    '--batch',
    '10',
  );
  await copyHeads();
  git('add', '-A');
  git('commit', '-q', '-m', 'retune skirt');

  const r = guard();
  assert.equal(r.status, 1, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /eval --all: 1 of 2 heads failed: skirt\.$/m);
  assert.match(
    await summaryRow('skirt'),
    /\| −0\.\d{4} \| [\d.]+ \| 372 \| FAILED: average precision dropped by 0\.\d{4} \(from [\d.]+ to [\d.]+\), more than the allowed 0\.02 \|/,
  );
  assert.match(await summaryRow('hat'), /\| ±0 \| [\d.]+ \| 372 \| passed \|/);

  // The branch evaluates the worse head without gates, which overwrites its report, and commits that: the
  // baseline is still main's report, so it still fails.
  const heldOut = ['--npy', SETTINGS.HELDOUT_NPY, '--csv', SETTINGS.HELDOUT_CSV, '--label-column', 'label'];
  cliOk(repo, 'eval', 'skirt', ...heldOut, '--positive', 'skirt');
  git('add', '-A');
  git('commit', '-q', '-m', 'commit the new report of skirt');
  const again = guard();
  assert.equal(again.status, 1, again.stdout);
  assert.match(await summaryRow('skirt'), /FAILED: average precision dropped by/);

  // Without the base commit (a shallow clone), the branch's own reports are the baseline: it says so.
  const shallow = guard({ BASE_REF: 'no-such-ref' });
  assert.match(shallow.stderr, /no-such-ref is not here \(fetch it: a shallow clone lacks it\)/);
  git('reset', '-q', '--hard');
  git('checkout', '-q', 'main');
});

test('usage: no held-out set is exit 2 with what to set', () => {
  const r = guard({ HELDOUT_NPY: '', HELDOUT_CSV: '' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /set HELDOUT_NPY and HELDOUT_CSV .* or HELDOUT_FOLDER/);
});

test('the GitHub Actions workflow runs the script with what it needs', async () => {
  const workflow = yaml.load(await fs.readFile(WORKFLOW, 'utf8')) as {
    on: Record<string, unknown>;
    jobs: Record<
      string,
      { steps: { uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string> }[] }
    >;
  };
  assert.ok('pull_request' in workflow.on);
  const steps = Object.values(workflow.jobs)[0].steps;
  const checkout = steps.find((s) => s.uses?.startsWith('actions/checkout@'));
  assert.equal(checkout?.with?.['fetch-depth'], 0, "the base branch's reports need the full history");
  const script = await fs.readFile(SCRIPT, 'utf8');
  const guardStep = steps.find((s) => s.run === 'bash ci/guard-heads.sh');
  assert.ok(guardStep?.env, 'a step runs the script');
  for (const name of Object.keys(guardStep.env)) assert.ok(script.includes(`\${${name}`), `the script reads ${name}`);
  assert.match(guardStep.env.BASE_REF, /^origin\/\$\{\{ github\.base_ref \}\}$/);
  const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
  const uploaded = String(upload?.with?.path);
  assert.ok(uploaded.includes('vector-tune-summary.md') && uploaded.includes('vectortune/heads/*/reports/'), uploaded);
  assert.ok(steps.indexOf(upload!) > steps.indexOf(guardStep) && (upload as { if?: string }).if === 'always()');
});
