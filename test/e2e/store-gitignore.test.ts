import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { STORE_GITIGNORE } from '../../src/core/store/embedded-files';
import { generateClipModel } from '../../tools/generate-model/generate';
import { REPO_ROOT, tempDir } from '../helpers/temp';

/**
 * The store ignores itself in git: after `vector-tune index` in a real git repository, git sees the photos
 * and nothing of `.vectortune/` (store files, writer lock). Through the built CLI, as a user runs it; the
 * extension's worker creates the store through the same core function.
 */
const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const PHOTOS = path.join(REPO_ROOT, 'samples', 'clothing', 'images', 'hat');
let modelDir: string;

before(async () => {
  modelDir = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'vt-model-')), 'tiny');
  await generateClipModel(modelDir);
});

function run(cwd: string, command: string, args: string[]): string {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `${command} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function repoWithPhotos(t: Parameters<typeof tempDir>[0]): Promise<string> {
  const ws = await tempDir(t);
  run(ws, 'git', ['init', '-q']);
  await fs.cp(PHOTOS, path.join(ws, 'photos'), { recursive: true });
  return ws;
}

const untracked = (ws: string) =>
  run(ws, 'git', ['status', '--porcelain', '--untracked-files=all'])
    .split('\n')
    .filter(Boolean)
    .map((l) => l.slice(3));

test('a store created by vector-tune index is invisible to git status', async (t) => {
  const ws = await repoWithPhotos(t);
  run(ws, process.execPath, [CLI, 'index', 'photos', '--model', modelDir, '--offline']);
  const store = path.join(ws, '.vectortune', 'store');
  assert.ok((await fs.readdir(store)).includes('manifest.json'), 'the store was written');
  assert.equal(await fs.readFile(path.join(store, '.gitignore'), 'utf8'), STORE_GITIGNORE);
  const listed = untracked(ws);
  const photos = (await fs.readdir(PHOTOS)).map((f) => `photos/${f}`).sort();
  assert.deepEqual(listed.sort(), photos, 'git lists the photos and nothing of the store');
});

test("a .gitignore already in the store's folder is the user's and is kept", async (t) => {
  const ws = await repoWithPhotos(t);
  const store = path.join(ws, '.vectortune', 'store');
  await fs.mkdir(store, { recursive: true });
  await fs.writeFile(path.join(store, '.gitignore'), 'manifest.json\n');
  run(ws, process.execPath, [CLI, 'index', 'photos', '--model', modelDir, '--offline']);
  assert.equal(await fs.readFile(path.join(store, '.gitignore'), 'utf8'), 'manifest.json\n');
  assert.ok(
    untracked(ws).some((f) => f.startsWith('.vectortune/store/vectors-')),
    'their rule, not ours',
  );
});
