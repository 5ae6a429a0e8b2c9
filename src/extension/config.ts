import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_TRAINING } from '../core/head/linear-head';
import type { EngineConfig, PineconeConfig } from '../protocol/worker-protocol';
import type { StrategyName } from '../protocol/webview-protocol';

/** Every `vectorTune.*` setting, read in one place (defaults live in package.json). */
export interface Settings {
  model: string;
  allowModelDownload: boolean;
  batchSize: number;
  strategy: StrategyName;
  learningRate: number;
  stepsPerBatch: number;
  headsFolder: string;
  storeLocation: string;
  maxImagePixels: number;
  store: 'embedded' | 'pinecone';
  pinecone: PineconeSettings;
}

/** `vectorTune.pinecone.*`. The API key is not a setting: it lives in SecretStorage (see pinecone-key.ts). */
export interface PineconeSettings {
  index: string;
  cloud: string;
  region: string;
  /** The index's data-plane host; empty: looked up by name. */
  host: string;
  /** Control-plane URL; empty: Pinecone's. For local testing against a stand-in of its API. */
  controllerHost: string;
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration('vectorTune');
  return {
    model: c.get('model', 'Xenova/clip-vit-base-patch32'),
    allowModelDownload: c.get('allowModelDownload', true),
    batchSize: c.get('batchSize', 12),
    strategy: c.get('strategy', 'top'),
    learningRate: c.get('learningRate', DEFAULT_TRAINING.learningRate),
    stepsPerBatch: c.get('stepsPerBatch', DEFAULT_TRAINING.stepsPerBatch),
    headsFolder: c.get('headsFolder', 'vectortune/heads'),
    storeLocation: c.get('storeLocation', '.vectortune/store'),
    maxImagePixels: c.get('maxImagePixels', 100_000_000),
    store: c.get('store', 'embedded'),
    pinecone: {
      index: c.get('pinecone.index', '').trim(),
      cloud: c.get('pinecone.cloud', 'aws').trim(),
      region: c.get('pinecone.region', 'us-east-1').trim(),
      host: c.get('pinecone.host', '').trim(),
      controllerHost: c.get('pinecone.controllerHost', '').trim(),
    },
  };
}

/** The workspace folder Vector Tune works in: the first one (multi-root workspaces use their first folder). */
export function workspaceRoot(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

/** Turns settings into the worker's configuration; relative paths are resolved against the workspace. */
export function engineConfig(settings: Settings, root: string, modelCacheDir: string): EngineConfig {
  const inWorkspace = (p: string) =>
    p.startsWith('~/') ? path.join(os.homedir(), p.slice(2)) : path.isAbsolute(p) ? p : path.join(root, p);
  const looksLikeFolder =
    settings.model.startsWith('.') || path.isAbsolute(settings.model) || settings.model.startsWith('~');
  return {
    workspaceRoot: root,
    storeDir: inWorkspace(settings.storeLocation),
    headsDir: inWorkspace(settings.headsFolder),
    model: {
      ref: looksLikeFolder ? inWorkspace(settings.model) : settings.model,
      cacheDir: modelCacheDir,
      allowDownload: settings.allowModelDownload,
    },
    training: { ...DEFAULT_TRAINING, learningRate: settings.learningRate, stepsPerBatch: settings.stepsPerBatch },
  };
}

/**
 * The worker's Pinecone configuration from the settings and the key, or what the user must do first. Only
 * the key's presence is looked at here; it is never put in a message.
 */
export function pineconeConfig(
  settings: PineconeSettings,
  apiKey: string | undefined,
): PineconeConfig | { missing: string } {
  if (!settings.index)
    return {
      missing:
        'vectorTune.store is "pinecone" but vectorTune.pinecone.index is empty: set the name of the Pinecone index to use (it is created when absent).',
    };
  if (!apiKey)
    return {
      missing:
        'Vector Tune has no Pinecone API key yet: run "Vector Tune: Set Pinecone API Key" (it is kept in VS Code\'s secret storage, not in the settings).',
    };
  return {
    indexName: settings.index,
    cloud: settings.cloud || 'aws',
    region: settings.region || 'us-east-1',
    ...(settings.host ? { host: settings.host } : {}),
    ...(settings.controllerHost ? { controllerHostUrl: settings.controllerHost } : {}),
    apiKey,
  };
}
