import * as path from 'node:path';
import { DEVICES, isDevice } from '../core/embed/device';
import { isModelPrecision, MODEL_PRECISIONS } from '../core/embed/precision';
import { isThreadCount } from '../core/embed/threads';
import { trainingProblem } from '../core/head/weights-schema';
import type { StoreLocation } from '../core/store/store-location';
import type { EngineConfig, PineconeConfig } from '../protocol/worker-protocol';

/**
 * How the worker reads its configuration: where the model and the store are, and whether a configuration is
 * well formed. (The rule both sides of the boundary apply, `locationChanged`, is in the protocol.)
 */

/**
 * The model reference as loadClip takes it: a hub id ("owner/name") as given, a folder as an absolute path. A
 * relative folder ("./models/clip") is taken relative to the workspace root, as the CLI takes it relative to
 * its working directory: the worker's working directory is the editor's, which means nothing to the user.
 */
export function resolveModelRef(ref: string, workspaceRoot: string): string {
  const trimmed = ref.trim();
  if (path.isAbsolute(trimmed)) return trimmed;
  if (trimmed.startsWith('.')) return path.resolve(workspaceRoot, trimmed);
  return trimmed;
}

/** Two configurations load the same encoder when they name the same model in the same cache, run the same way. */
export function modelKey(config: EngineConfig): string {
  const { cacheDir, precision, device, threads } = config.model;
  return JSON.stringify([
    resolveModelRef(config.model.ref, config.workspaceRoot),
    cacheDir,
    precision,
    device,
    threads,
  ]);
}

/**
 * The extension resolves every path before sending it (the protocol says paths are absolute); a relative one
 * here is a bug in the caller, not something a user can fix, so this throws a plain Error.
 */
export function checkConfig(config: EngineConfig): void {
  const folders: [string, unknown][] = [
    ['workspaceRoot', config?.workspaceRoot],
    ['storeDir', config?.storeDir],
    ['headsDir', config?.headsDir],
    ['model.cacheDir', config?.model?.cacheDir],
  ];
  for (const [name, value] of folders) {
    if (typeof value !== 'string' || !path.isAbsolute(value)) {
      throw new Error(`configure: ${name} must be an absolute path, got ${JSON.stringify(value)}`);
    }
  }
  if (typeof config.model.ref !== 'string') throw new Error('configure: model.ref must be a string');
  if (typeof config.model.allowDownload !== 'boolean')
    throw new Error('configure: model.allowDownload must be a boolean');
  const { precision, device, threads } = config.model;
  if (precision !== undefined && !isModelPrecision(precision))
    throw new Error(`configure: model.precision must be one of ${MODEL_PRECISIONS.join(', ')}`);
  if (device !== undefined && !isDevice(device))
    throw new Error(`configure: model.device must be one of ${DEVICES.join(', ')}`);
  if (threads !== undefined && threads !== null && !isThreadCount(threads))
    throw new Error('configure: model.threads must be null or a whole number from 0 to 256');
  const training = trainingProblem(config.training);
  if (training !== null) throw new Error(`configure: ${training}`);
  if (config.pinecone !== undefined) checkPinecone(config.pinecone);
  const { evalEvery } = config;
  if (evalEvery !== undefined && !(Number.isInteger(evalEvery) && evalEvery >= 0))
    throw new Error('configure: evalEvery must be a whole number from 0');
}

/** The extension checks the settings before sending them; values are never echoed (one of them is the key). */
function checkPinecone(p: PineconeConfig): void {
  for (const name of ['indexName', 'cloud', 'region', 'apiKey'] as const) {
    if (typeof p?.[name] !== 'string' || p[name] === '')
      throw new Error(`configure: pinecone.${name} must be a non-empty string`);
  }
  for (const name of ['host', 'controllerHostUrl'] as const) {
    if (p[name] !== undefined && typeof p[name] !== 'string')
      throw new Error(`configure: pinecone.${name} must be a string when given`);
  }
}

/** Where the configuration says the store is. */
export function storeLocation(config: EngineConfig): StoreLocation {
  if (!config.pinecone) return { kind: 'embedded', dir: config.storeDir };
  const { indexName, cloud, region, host, controllerHostUrl, apiKey, transport } = config.pinecone;
  return { kind: 'pinecone', connection: { ...transport, apiKey, indexName, host, controllerHostUrl }, cloud, region };
}
