import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_TRAINING } from '../core/head/linear-head';
import type { EngineConfig } from '../protocol/worker-protocol';
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
  };
}

/** The workspace folder Vector Tune works in: the first one (multi-root workspaces use their first folder). */
export function workspaceRoot(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

/** Turns settings into the worker's configuration; relative paths are resolved against the workspace. */
export function engineConfig(settings: Settings, root: string, modelCacheDir: string): EngineConfig {
  const inWorkspace = (p: string) => (p.startsWith('~/') ? path.join(os.homedir(), p.slice(2)) : path.isAbsolute(p) ? p : path.join(root, p));
  const looksLikeFolder = settings.model.startsWith('.') || path.isAbsolute(settings.model) || settings.model.startsWith('~');
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
