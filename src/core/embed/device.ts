/**
 * Where onnxruntime runs the model: the CPU, or an accelerator through one of the execution providers that
 * onnxruntime-node 1.30 ships: CoreML on macOS, DirectML on Windows, CUDA on Linux x64 (its provider
 * libraries are not in the npm package: onnxruntime-node's install script fetches them on request), and
 * WebGPU (experimental) on Windows, macOS and Linux x64.
 *
 * `auto` tries the platform's own accelerator and falls back to the CPU with one log line saying why; a device
 * named explicitly either runs or fails with an error naming what is missing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { VectorTuneError } from '../errors';

export const DEVICES = ['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu'] as const;
export type Device = (typeof DEVICES)[number];
export type Accelerator = Exclude<Device, 'auto' | 'cpu'>;
/** Where a model ended up running. */
export type RunDevice = 'cpu' | Accelerator;

export function isDevice(value: unknown): value is Device {
  return typeof value === 'string' && (DEVICES as readonly string[]).includes(value);
}

interface AcceleratorFacts {
  label: string;
  /** The platforms onnxruntime-node's binaries offer it on, for messages. */
  where: string;
  runsOn: (platform: string, arch: string) => boolean;
  /** Libraries the provider loads from onnxruntime-node's binary folder. */
  providerFiles: string[];
  needs: string;
}

const ACCELERATORS: Record<Accelerator, AcceleratorFacts> = {
  cuda: {
    label: 'CUDA',
    where: 'Linux x64',
    runsOn: (platform, arch) => platform === 'linux' && arch === 'x64',
    // Too large for the npm registry, so neither onnxruntime-node's package nor a .vsix holds them.
    providerFiles: ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'],
    needs:
      "an NVIDIA GPU with CUDA 12 and cuDNN 9, and onnxruntime-node's CUDA provider: install onnxruntime-node with the environment variable ONNXRUNTIME_NODE_INSTALL=cuda12 (it downloads the provider), or copy those files into its binary folder",
  },
  dml: {
    label: 'DirectML',
    where: 'Windows',
    runsOn: (platform) => platform === 'win32',
    providerFiles: ['DirectML.dll'],
    needs: 'Windows 10 (1903) or later with a DirectX 12 GPU and its current driver',
  },
  coreml: {
    label: 'CoreML',
    where: 'macOS',
    runsOn: (platform) => platform === 'darwin',
    providerFiles: [],
    needs: 'macOS with Core ML',
  },
  webgpu: {
    label: 'WebGPU (experimental)',
    where: 'Windows, macOS and Linux x64',
    runsOn: (platform, arch) =>
      platform === 'win32' || platform === 'darwin' || (platform === 'linux' && arch === 'x64'),
    providerFiles: [],
    needs: 'a GPU whose driver offers WebGPU (Direct3D 12, Metal or Vulkan)',
  },
};

/** The machine as far as choosing a device goes; tests describe other machines with it. */
export interface DeviceHost {
  platform: string;
  arch: string;
  /** onnxruntime-node's binary folder for this platform (bin/napi-v6/<platform>/<arch>). */
  binDir: string;
}

export function thisHost(): DeviceHost {
  return { platform: process.platform, arch: process.arch, binDir: onnxruntimeBinDir(process.platform, process.arch) };
}

export function onnxruntimeBinDir(platform: string, arch: string): string {
  const pkg = require.resolve('onnxruntime-node/package.json');
  return path.join(path.dirname(pkg), 'bin', 'napi-v6', platform, arch);
}

export function acceleratorLabel(device: RunDevice): string {
  return device === 'cpu' ? 'CPU' : ACCELERATORS[device].label;
}

/** The accelerator `auto` tries first on this platform; undefined where onnxruntime-node offers none. */
export function autoAccelerator(host: Pick<DeviceHost, 'platform' | 'arch'>): Accelerator | undefined {
  if (host.platform === 'darwin') return 'coreml';
  if (host.platform === 'win32') return 'dml';
  if (host.platform === 'linux' && host.arch === 'x64') return 'cuda';
  return undefined;
}

/** Why the accelerator cannot run on this host, as far as can be told without trying it; null if it may. */
export function acceleratorProblem(accelerator: Accelerator, host: DeviceHost): string | null {
  const facts = ACCELERATORS[accelerator];
  if (!facts.runsOn(host.platform, host.arch))
    return `onnxruntime-node offers ${facts.label} only on ${facts.where}; this is ${host.platform} ${host.arch}`;
  const missing = facts.providerFiles.filter((f) => !fs.existsSync(path.join(host.binDir, f)));
  if (missing.length > 0)
    return `onnxruntime-node's ${facts.label} provider is not installed: ${host.binDir} lacks ${missing.join(' and ')}`;
  return null;
}

export interface OnDevice<M> {
  value: M;
  device: RunDevice;
}

export interface DeviceContext {
  host: DeviceHost;
  /** Where `auto`'s fallback to the CPU is reported (one line). */
  log?: (message: string) => void;
  /** Releases a model loaded only to tell a device's failure from the model's own. */
  release: (value: unknown) => Promise<void>;
}

/**
 * Loads a model on the device: `load` gets the onnxruntime execution providers to use. An accelerator that
 * fails to start is told from a broken model by loading on the CPU: if that works, the accelerator was at
 * fault (an explicit device then fails naming it; `auto` keeps the CPU model); if not, the model's own error
 * is thrown.
 */
export async function loadOnDevice<M>(
  device: Device,
  load: (executionProviders: string[]) => Promise<M>,
  context: DeviceContext,
): Promise<OnDevice<M>> {
  if (device === 'cpu') return { value: await load(['cpu']), device: 'cpu' };
  const { host } = context;
  const accelerator = device === 'auto' ? autoAccelerator(host) : device;
  let problem = accelerator
    ? acceleratorProblem(accelerator, host)
    : `onnxruntime-node offers no accelerator on ${host.platform} ${host.arch}`;
  if (accelerator && problem === null) {
    try {
      return { value: await load([accelerator]), device: accelerator };
    } catch (err) {
      problem = `it failed to start: ${firstLine(err)}`;
    }
  }
  const onCpu = await load(['cpu']); // a broken model fails here with its own error
  if (device === 'auto') {
    const what = accelerator ? acceleratorLabel(accelerator) : 'no accelerator';
    context.log?.(`Device auto: ${what} is not available (${problem}); running the model on the CPU.`);
    return { value: onCpu, device: 'cpu' };
  }
  await context.release(onCpu);
  throw deviceError(device, problem ?? 'unknown');
}

function deviceError(accelerator: Accelerator, problem: string): VectorTuneError {
  const facts = ACCELERATORS[accelerator];
  return new VectorTuneError(
    `The device "${accelerator}" (${facts.label}) cannot run the model: ${problem}.`,
    undefined,
    `${facts.label} needs ${facts.needs}. Or set the device to "auto" (the CPU when no accelerator works) or "cpu".`,
  );
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const line = message.split('\n').find((l) => l.trim()) ?? message;
  return line.trim().slice(0, 300);
}
