import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import { test } from 'node:test';
import { CLOTHING_HEADS_CSV, CLOTHING_HEADS_NPY, trainClothingHeads } from '../helpers/clothing-heads';
import { REPO_ROOT, tempDir } from '../helpers/temp';

/**
 * The CLI's npm package (packages/cli, built by `node esbuild.js`) as a team's pipeline gets it: `npm pack`, then
 * `npm install --save-dev` of the tarball into an empty project with the network off (--offline: the npm cache
 * only), then `npx vector-tune` there: --version, import, start, tune and eval on the real clothing embeddings.
 */
const PACKAGE = path.join(REPO_ROOT, 'packages', 'cli');
// onnxruntime-node's install script would download what its package already holds (see the root .npmrc).
const ENV = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_fund: 'false', npm_config_audit: 'false' };

function run(command: string, args: string[], cwd: string) {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', env: ENV, maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, `${command} ${args.join(' ')} (in ${cwd}): exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

test('the bundle needs only the dependencies the package declares', async () => {
  const pkg = JSON.parse(await fs.readFile(path.join(PACKAGE, 'package.json'), 'utf8'));
  const bundle = await fs.readFile(path.join(PACKAGE, 'dist', 'cli.js'), 'utf8');
  assert.ok(bundle.startsWith('#!/usr/bin/env node\n'), 'the bin is runnable');
  const required = new Set(
    [...bundle.matchAll(/\brequire\("([^"]+)"\)|\bimport\("([^"]+)"\)/g)].map((m) => m[1] ?? m[2]),
  );
  const external = [...required].filter((m) => !m.startsWith('node:') && !builtinModules.includes(m)).sort();
  assert.deepEqual(external, Object.keys(pkg.dependencies).sort());
  const root = JSON.parse(await fs.readFile(path.join(REPO_ROOT, 'package.json'), 'utf8'));
  assert.equal(pkg.version, root.version);
  for (const [name, version] of Object.entries(pkg.dependencies)) assert.equal(version, root.dependencies[name], name);
  assert.equal(pkg.engines.node, root.engines.node);
});

test('npm pack, install offline into an empty project, and npx vector-tune runs there', async (t) => {
  const dir = await tempDir(t, 'vt-cli-package-');
  const packed = JSON.parse(run('npm', ['pack', PACKAGE, '--pack-destination', dir, '--json'], dir))[0];
  const tarball = path.join(dir, packed.filename);
  assert.deepEqual(packed.files.map((f: { path: string }) => f.path).sort(), [
    'LICENSE',
    'README.md',
    'dist/cli.js',
    'npm-shrinkwrap.json',
    'package.json',
  ]);
  const project = path.join(dir, 'project');
  await fs.mkdir(project);
  await fs.writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'empty-project', private: true }));

  // The versions a fresh install resolves today can be newer than the repository's lockfile pinned (npm honours
  // the package's shrinkwrap only once it is published): put exactly those in the cache first, then install
  // with the network off.
  run('npm', ['install', '--package-lock-only', '--prefer-offline', tarball], project);
  const lock = JSON.parse(await fs.readFile(path.join(project, 'package-lock.json'), 'utf8'));
  const specs = Object.entries(lock.packages as Record<string, { version?: string; resolved?: string }>)
    .filter(([where, p]) => where.startsWith('node_modules/') && p.version && !p.resolved?.startsWith('file:'))
    .map(([where, p]) => `${where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length)}@${p.version}`);
  run('npm', ['cache', 'add', '--prefer-offline', ...specs], project);
  await fs.rm(path.join(project, 'package-lock.json'));
  run('npm', ['install', '--save-dev', '--offline', tarball], project);

  const size = spawnSync('du', ['-sk', path.join(project, 'node_modules')], { encoding: 'utf8' }).stdout.split('\t')[0];
  console.log(
    `  tarball ${(packed.size / 1e3).toFixed(0)} KB; installed: ${(Number(size) / 1024).toFixed(0)} MB in node_modules (${specs.length} packages)`,
  );

  const npx = (...args: string[]) => run('npx', ['--no-install', 'vector-tune', ...args], project);
  assert.equal(npx('--version').trim(), packed.version);
  await trainClothingHeads(npx, ['hat'], 3);
  const heldOut = ['--npy', CLOTHING_HEADS_NPY, '--csv', CLOTHING_HEADS_CSV, '--where', 'split=test'];
  const evaluated = npx('eval', 'hat', ...heldOut, '--label-column', 'label', '--positive', 'hat', '--min-ap', '0.05');
  assert.match(evaluated, /average precision +0\.\d{4}/);
  assert.match(evaluated, /^report: vectortune\/heads\/hat\/reports\/eval-clothing-mobilenetv2-split-test-hat\.md$/m);
});
