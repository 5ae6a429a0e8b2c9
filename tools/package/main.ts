/**
 * `npm run package`: one .vsix per platform (targets.ts), each holding exactly its platform's native files.
 *
 *   npx tsx tools/package/main.ts [--targets linux-x64,darwin-arm64,...]   (after `node esbuild.js`)
 *
 * Each target is staged in its own folder (.cache/package/<target>, git-ignored): the extension's files, and a
 * node_modules installed there with `npm ci --omit=dev --os --cpu [--libc]` from the project's lockfile, so the
 * repository's own node_modules is never changed and every package is the locked version. The .vscodeignore
 * whitelist is the repository's with the target's onnxruntime folder; `vsce package --target` then writes
 * dist/vector-tune-<target>.vsix (the Linux x64 one also to dist/vector-tune.vsix, which the VS Code suite
 * installs). A staged node_modules is kept while the lockfile is unchanged, so packaging again is quick.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { extensionFiles } from './extension-files';
import { onnxruntimeFolder, SUITE_TARGET, SUITE_VSIX, type Target, TARGETS, vsixPath } from './targets';

const REPO = path.resolve(__dirname, '..', '..');
const STAGING = path.join(REPO, '.cache', 'package');
const REPO_ONNXRUNTIME_LINE = '!node_modules/onnxruntime-node/bin/napi-v6/linux/x64/**';

function log(line: string): void {
  process.stderr.write(`[package] ${line}\n`);
}

function run(command: string, args: string[], cwd: string): void {
  execFileSync(command, args, {
    cwd,
    stdio: ['ignore', 'ignore', 'inherit'],
    // onnxruntime-node's install script would download CUDA files; its binaries are in the package.
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_yes: 'true' },
  });
}

/** The manifest and lockfile the staged install uses: the project's, or with another onnxruntime-node. */
function stagedManifest(target: Target): { manifest: string; lock: string | undefined } {
  const manifest = fs.readFileSync(path.join(REPO, 'package.json'), 'utf8');
  const lock = fs.readFileSync(path.join(REPO, 'package-lock.json'), 'utf8');
  if (!target.onnxruntime) return { manifest, lock };
  const pkg = JSON.parse(manifest) as { dependencies: Record<string, string>; overrides?: Record<string, string> };
  pkg.dependencies['onnxruntime-node'] = target.onnxruntime;
  // transformers.js pins onnxruntime-node too: it gets the same one.
  pkg.overrides = { ...pkg.overrides, 'onnxruntime-node': '$onnxruntime-node' };
  return { manifest: JSON.stringify(pkg, null, 2) + '\n', lock: undefined };
}

function installModules(target: Target, dir: string): void {
  const { manifest, lock } = stagedManifest(target);
  const stampFile = path.join(dir, 'node_modules', '.vector-tune-stamp');
  // What decides the installed tree (not the scripts or the description, which change more often).
  const { dependencies, overrides } = JSON.parse(manifest) as Record<string, unknown>;
  const stamp = createHash('sha256')
    .update(JSON.stringify([target, dependencies, overrides, lock ?? '']))
    .digest('hex');
  if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) {
    log(`${target.name}: node_modules as staged before`);
    return;
  }
  fs.rmSync(path.join(dir, 'node_modules'), { recursive: true, force: true });
  fs.writeFileSync(path.join(dir, 'package.json'), manifest);
  fs.rmSync(path.join(dir, 'package-lock.json'), { force: true });
  if (lock) fs.writeFileSync(path.join(dir, 'package-lock.json'), lock);
  fs.copyFileSync(path.join(REPO, '.npmrc'), path.join(dir, '.npmrc'));
  const platform = [`--os=${target.os}`, `--cpu=${target.cpu}`, ...(target.libc ? [`--libc=${target.libc}`] : [])];
  const started = Date.now();
  run('npm', [lock ? 'ci' : 'install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', ...platform], dir);
  fs.writeFileSync(stampFile, stamp);
  log(
    `${target.name}: npm ${lock ? 'ci' : 'install'} ${platform.join(' ')} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
}

function stageExtension(target: Target, dir: string): void {
  for (const file of extensionFiles(REPO)) {
    const from = path.join(REPO, file);
    if (!fs.existsSync(from)) throw new Error(`${from} is missing: run "node esbuild.js" first`);
    fs.rmSync(path.join(dir, file), { recursive: true, force: true });
    fs.cpSync(from, path.join(dir, file), { recursive: true });
  }
  // The extension's manifest, with the target's onnxruntime-node where it differs (vsce checks the installed tree against it).
  fs.writeFileSync(path.join(dir, 'package.json'), stagedManifest(target).manifest);
  const ignore = fs.readFileSync(path.join(REPO, '.vscodeignore'), 'utf8');
  if (!ignore.includes(REPO_ONNXRUNTIME_LINE))
    throw new Error(`.vscodeignore no longer holds ${REPO_ONNXRUNTIME_LINE}`);
  fs.writeFileSync(
    path.join(dir, '.vscodeignore'),
    ignore.replace(REPO_ONNXRUNTIME_LINE, `!${onnxruntimeFolder(target)}**`),
  );
}

function packageTarget(target: Target): void {
  const dir = path.join(STAGING, target.name);
  fs.mkdirSync(dir, { recursive: true });
  installModules(target, dir);
  stageExtension(target, dir);
  const out = path.join(REPO, vsixPath(target));
  fs.rmSync(out, { force: true });
  const started = Date.now();
  run(
    process.execPath,
    [path.join(REPO, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--target', target.name, '--out', out],
    dir,
  );
  const mb = (fs.statSync(out).size / 1e6).toFixed(1);
  log(`${target.name}: ${path.relative(REPO, out)} (${mb} MB) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (target.name === SUITE_TARGET) fs.copyFileSync(out, path.join(REPO, SUITE_VSIX));
}

function chosenTargets(argv: string[]): Target[] {
  const at = argv.indexOf('--targets');
  if (at < 0) return TARGETS;
  const names = (argv[at + 1] ?? '').split(',').filter(Boolean);
  const unknown = names.filter((n) => !TARGETS.some((t) => t.name === n));
  if (names.length === 0 || unknown.length > 0)
    throw new Error(
      `--targets: unknown ${unknown.join(', ') || '(none given)'}; known: ${TARGETS.map((t) => t.name).join(', ')}`,
    );
  return TARGETS.filter((t) => names.includes(t.name));
}

try {
  const started = Date.now();
  for (const target of chosenTargets(process.argv.slice(2))) packageTarget(target);
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
