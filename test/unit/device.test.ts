/**
 * Choosing where the model runs, with the real onnxruntime-node on this machine (Linux x64, no GPU, and
 * onnxruntime-node installed without its CUDA provider, as every install here and every .vsix is): `auto` falls
 * back to the CPU with one line saying why, and an explicit device that cannot run is a clear error naming what
 * is missing. A provider whose files are present but which fails to start is reached by pointing the check at a
 * folder that holds the files: onnxruntime itself then tries CUDA and fails.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadClip } from '../../src/core/embed/clip';
import {
  acceleratorProblem,
  autoAccelerator,
  type DeviceHost,
  onnxruntimeBinDir,
  thisHost,
} from '../../src/core/embed/device';
import { onnxFileName } from '../../src/core/embed/model-ref';
import { VectorTuneError } from '../../src/core/errors';
import { generateClipModel } from '../../tools/generate-model/generate';

let root: string;
let modelDir: string;
/** A folder that holds (empty) CUDA provider files, so the check passes and onnxruntime's own attempt fails. */
let fakeCudaBin: string;

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'vt-device-'));
  modelDir = path.join(root, 'model');
  await generateClipModel(modelDir);
  fakeCudaBin = path.join(root, 'bin');
  await fs.mkdir(fakeCudaBin);
  for (const f of ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'])
    await fs.writeFile(path.join(fakeCudaBin, f), '');
});
after(() => fs.rm(root, { recursive: true, force: true }));

const linuxX64 = (binDir: string): DeviceHost => ({ platform: 'linux', arch: 'x64', binDir });

function isDeviceError(pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof VectorTuneError, `a VectorTuneError, got ${String(err)}`);
    assert.match(err.message, pattern);
    assert.match(err.message, /set the device to "auto".*or "cpu"/);
    return true;
  };
}

describe('this machine', () => {
  test('is Linux x64 with onnxruntime-node installed without its CUDA provider (what the tests below assume)', () => {
    const host = thisHost();
    assert.deepEqual([host.platform, host.arch], ['linux', 'x64']);
    assert.match(acceleratorProblem('cuda', host) ?? '', /lacks libonnxruntime_providers_shared\.so/);
  });
});

describe('device auto', () => {
  test('falls back to the CPU with one log line naming CUDA and the missing provider files', async () => {
    const lines: string[] = [];
    const encoder = await loadClip(modelDir, { device: 'auto', log: (l) => lines.push(l) });
    try {
      assert.equal(encoder.device, 'cpu');
      assert.equal(lines.length, 1, lines.join('\n'));
      assert.match(lines[0], /^Device auto: CUDA is not available \(.*lacks libonnxruntime_providers_shared\.so/);
      assert.match(lines[0], /running the model on the CPU\.$/);
      assert.equal((await encoder.embedTexts(['a hat'])).length, 1, 'the text tower runs on the CPU too');
    } finally {
      await encoder.dispose();
    }
  });

  test('falls back when the provider is installed but fails to start, saying so', async () => {
    const lines: string[] = [];
    const encoder = await loadClip(modelDir, {
      device: 'auto',
      host: linuxX64(fakeCudaBin),
      log: (l) => lines.push(l),
    });
    try {
      assert.equal(encoder.device, 'cpu');
      assert.equal(lines.length, 1, lines.join('\n'));
      assert.match(lines[0], /CUDA is not available \(it failed to start: .*Cuda.*\)/i);
    } finally {
      await encoder.dispose();
    }
  });

  test('still reports a broken model as the model, not as the device', async (t) => {
    const broken = path.join(root, 'broken');
    t.after(() => fs.rm(broken, { recursive: true, force: true }));
    await fs.cp(modelDir, broken, { recursive: true });
    await fs.writeFile(path.join(broken, onnxFileName('vision')), 'not an onnx file');
    await assert.rejects(loadClip(broken, { device: 'auto', host: linuxX64(fakeCudaBin) }), (err: unknown) => {
      assert.ok(err instanceof VectorTuneError);
      assert.match(err.message, /not a usable ONNX model/);
      assert.equal(err.file, path.join(broken, onnxFileName('vision')));
      return true;
    });
  });

  test("tries the platform's own accelerator: CoreML on macOS, DirectML on Windows, CUDA on Linux x64, none elsewhere", () => {
    assert.equal(autoAccelerator({ platform: 'darwin', arch: 'arm64' }), 'coreml');
    assert.equal(autoAccelerator({ platform: 'darwin', arch: 'x64' }), 'coreml');
    assert.equal(autoAccelerator({ platform: 'win32', arch: 'x64' }), 'dml');
    assert.equal(autoAccelerator({ platform: 'win32', arch: 'arm64' }), 'dml');
    assert.equal(autoAccelerator({ platform: 'linux', arch: 'x64' }), 'cuda');
    assert.equal(autoAccelerator({ platform: 'linux', arch: 'arm64' }), undefined);
  });
});

describe('an explicit device that cannot run', () => {
  test('cuda without its provider files: an error naming the files and how to install them', async () => {
    await assert.rejects(
      loadClip(modelDir, { device: 'cuda' }),
      isDeviceError(
        /"cuda" \(CUDA\) cannot run the model: .*lacks libonnxruntime_providers_shared\.so and libonnxruntime_providers_cuda\.so.*ONNXRUNTIME_NODE_INSTALL=cuda12/,
      ),
    );
  });

  test("cuda whose provider fails to start: an error with onnxruntime's reason", async () => {
    await assert.rejects(
      loadClip(modelDir, { device: 'cuda', host: linuxX64(fakeCudaBin) }),
      isDeviceError(/"cuda" \(CUDA\) cannot run the model: it failed to start: .*Cuda.*CUDA 12 and cuDNN 9/is),
    );
  });

  test("another platform's accelerator: an error naming where it runs", async () => {
    await assert.rejects(
      loadClip(modelDir, { device: 'coreml' }),
      isDeviceError(/offers CoreML only on macOS; this is linux x64/),
    );
    await assert.rejects(
      loadClip(modelDir, { device: 'dml' }),
      isDeviceError(/offers DirectML only on Windows; this is linux x64/),
    );
  });

  test('the checks know each platform: DirectML needs DirectML.dll, CoreML nothing extra, CUDA only on Linux x64', () => {
    const empty = path.join(root, 'empty');
    assert.match(acceleratorProblem('dml', { platform: 'win32', arch: 'x64', binDir: empty }) ?? '', /DirectML\.dll/);
    assert.equal(acceleratorProblem('coreml', { platform: 'darwin', arch: 'arm64', binDir: empty }), null);
    assert.match(acceleratorProblem('cuda', { platform: 'linux', arch: 'arm64', binDir: empty }) ?? '', /Linux x64/);
    // The Windows packages hold DirectML.dll next to onnxruntime (node_modules has every platform's folder).
    assert.equal(
      acceleratorProblem('dml', { ...thisHost(), platform: 'win32', binDir: onnxruntimeBinDir('win32', 'x64') }),
      null,
    );
  });
});
