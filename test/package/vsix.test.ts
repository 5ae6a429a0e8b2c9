/**
 * Opens every .vsix `npm run package` wrote (tools/package) and checks it holds exactly its platform's native
 * files: onnxruntime-node's binary folder and sharp's @img packages for that platform, built for that OS and CPU
 * (read from each binary's header), and nothing of another platform. Prints each file's size.
 *
 *   npx tsx --test test/package/vsix.test.ts      (run by npm run package, after packaging)
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { extensionFiles } from '../../tools/package/extension-files';
import { onnxruntimeFolder, SUITE_TARGET, SUITE_VSIX, TARGETS, vsixPath } from '../../tools/package/targets';
import { binaryPlatform, Vsix } from '../../tools/package/vsix-reader';
import { REPO_ROOT } from '../helpers/temp';

const NATIVE = /\.(node|so(\.\d+)*|dylib|dll)$/;

for (const target of TARGETS) {
  test(`${target.name}: its own onnxruntime and sharp binaries, built for ${target.os} ${target.cpu}, and no other platform's`, (t) => {
    const file = path.join(REPO_ROOT, vsixPath(target));
    assert.ok(fs.existsSync(file), `${file} is missing: run npm run package`);
    const vsix = Vsix.open(file);
    const names = vsix.names();
    t.diagnostic(`${vsixPath(target)}: ${(fs.statSync(file).size / 1e6).toFixed(1)} MB, ${names.length} files`);

    const manifest = vsix.read('extension.vsixmanifest').toString('utf8');
    assert.match(manifest, new RegExp(`TargetPlatform="${target.name}"`), 'the marketplace sees its platform');

    const bundles = extensionFiles(REPO_ROOT).filter((f) => f.startsWith('dist/'));
    assert.ok(bundles.includes('dist/decode-thread.js'), 'the decode threads the worker starts are whitelisted');
    for (const bundle of bundles) assert.ok(names.includes(`extension/${bundle}`), `${bundle} is in the package`);

    const onnx = `extension/${onnxruntimeFolder(target)}`;
    const ownSharp = target.sharp.map((p) => `extension/node_modules/@img/${p}/`);
    const natives = names.filter((n) => NATIVE.test(n));
    assert.ok(names.includes(`${onnx}onnxruntime_binding.node`), `${onnx}onnxruntime_binding.node`);
    assert.ok(
      natives.some((n) => n.startsWith(ownSharp[0]) && n.endsWith('.node')),
      `sharp's addon under ${ownSharp[0]}`,
    );
    const foreign = natives.filter((n) => !n.startsWith(onnx) && !ownSharp.some((p) => n.startsWith(p)));
    assert.deepEqual(foreign, [], 'no native file of another platform or package');
    const otherPlatforms = names.filter(
      (n) =>
        (n.includes('/onnxruntime-node/bin/') && !n.startsWith(onnx)) ||
        (/\/@img\/sharp-/.test(n) && !ownSharp.some((p) => n.startsWith(p))),
    );
    assert.deepEqual(otherPlatforms, [], "no other platform's onnxruntime folder or sharp package");

    for (const name of natives) {
      const built = binaryPlatform(vsix.read(name));
      assert.deepEqual(built, { os: target.os, cpu: target.cpu }, `${name} is built for ${target.os} ${target.cpu}`);
    }
    t.diagnostic(
      `${target.name}: ${natives.length} native files, e.g. ${natives.map((n) => path.basename(n)).join(', ')}`,
    );
  });
}

test(`${SUITE_VSIX}, which the VS Code suite installs, is the ${SUITE_TARGET} package`, () => {
  const suite = fs.readFileSync(path.join(REPO_ROOT, SUITE_VSIX));
  const linux = fs.readFileSync(path.join(REPO_ROOT, vsixPath(TARGETS.find((t) => t.name === SUITE_TARGET)!)));
  assert.ok(suite.equals(linux));
});
