import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { type Device, DEVICES, isDevice } from '../core/embed/device';
import { isModelPrecision, MODEL_PRECISIONS, type ModelPrecision } from '../core/embed/precision';
import { isThreadCount } from '../core/embed/threads';
import { DEFAULT_TRAINING } from '../core/head/linear-head';
import type { EngineConfig, PineconeConfig } from '../protocol/worker-protocol';
import type { StrategyName } from '../protocol/webview-protocol';

/** Every `vectorTune.*` setting, read in one place (defaults live in package.json). */
export interface Settings {
  model: string;
  allowModelDownload: boolean;
  batchSize: number;
  strategy: StrategyName;
  /** Cosine similarity at which the -diverse strategies count two images as near-duplicates. */
  diverseSimilarity: number;
  learningRate: number;
  stepsPerBatch: number;
  headsFolder: string;
  storeLocation: string;
  maxImagePixels: number;
  precision: ModelPrecision;
  device: Device;
  /** null: half the cores. */
  threads: number | null;
  reportThumbnails: boolean;
  store: 'embedded' | 'pinecone';
  pinecone: PineconeSettings;
  /** Empty: git's user.email in the workspace, else the OS user. */
  annotator: string;
  recordAnnotator: boolean;
  /** Measure the open head on its held-out set every N rounds; 0: never. */
  evalEvery: number;
}

/**
 * The Pinecone API key lives in VS Code's SecretStorage (the OS keychain on desktop) under this name, never in
 * the settings, the workspace or the log. The extension reads it when it configures the worker; the worker gets
 * it in memory and masks it out of everything it sends back.
 */
export const PINECONE_KEY_SECRET = 'vectorTune.pinecone.apiKey';

/** `vectorTune.pinecone.*`. The API key is not a setting: it lives in SecretStorage (PINECONE_KEY_SECRET). */
export interface PineconeSettings {
  index: string;
  cloud: string;
  region: string;
  /** The index's data-plane host; empty: looked up by name. */
  host: string;
  /** Control-plane URL; empty: Pinecone's. For local testing against a stand-in of its API. */
  controllerHost: string;
}

/** The keys of `vectorTune.*` a change of which the worker must hear about (everything engineConfig reads). */
const WORKER_KEYS = [
  'model',
  'allowModelDownload',
  'learningRate',
  'stepsPerBatch',
  'headsFolder',
  'storeLocation',
  'precision',
  'device',
  'threads',
  'store',
  'pinecone',
  'evalEvery',
] as const;

/** What changed in a `vectorTune.*` settings change. */
export interface SettingsChange {
  previous: Settings;
  /** A setting the worker's configuration is made from changed: it is sent the new one. */
  reachesWorker: boolean;
}

/**
 * The settings, read once and again whenever VS Code reports that a `vectorTune.*` setting changed (the event
 * fires before `WorkspaceConfiguration.update` resolves, so a caller that awaits an update reads the new value).
 * Defaults live only in package.json: VS Code fills them in.
 */
export class Config implements vscode.Disposable {
  private current = readSettings();
  private readonly changed = new vscode.EventEmitter<SettingsChange>();
  /** Fires after `settings` holds the new values. */
  readonly onDidChange = this.changed.event;
  private readonly listener = vscode.workspace.onDidChangeConfiguration((e) => {
    if (!e.affectsConfiguration(SECTION)) return;
    const previous = this.current;
    this.current = readSettings();
    const reachesWorker = WORKER_KEYS.some((key) => e.affectsConfiguration(`${SECTION}.${key}`));
    this.changed.fire({ previous, reachesWorker });
  });

  get settings(): Settings {
    return this.current;
  }

  /** What VS Code falls back to for a setting: the default package.json declares. */
  static defaultOf<T>(key: string): T | undefined {
    return vscode.workspace.getConfiguration(SECTION).inspect<T>(key)?.defaultValue;
  }

  dispose(): void {
    this.listener.dispose();
    this.changed.dispose();
  }
}

const SECTION = 'vectorTune';

/** Whether the settings that make the worker load the model again differ. */
export function modelSettingsChanged(before: Settings, after: Settings): boolean {
  const key = (s: Settings) => JSON.stringify([s.model, s.precision, s.device, s.threads, s.allowModelDownload]);
  return key(before) !== key(after);
}

function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration(SECTION);
  const text = (key: string) => setting<string>(c, key).trim();
  return {
    model: setting(c, 'model'),
    allowModelDownload: setting(c, 'allowModelDownload'),
    batchSize: setting(c, 'batchSize'),
    strategy: setting(c, 'strategy'),
    diverseSimilarity: setting(c, 'diverseSimilarity'),
    learningRate: setting(c, 'learningRate'),
    stepsPerBatch: setting(c, 'stepsPerBatch'),
    headsFolder: setting(c, 'headsFolder'),
    storeLocation: setting(c, 'storeLocation'),
    maxImagePixels: setting(c, 'maxImagePixels'),
    precision: setting(c, 'precision'),
    device: setting(c, 'device'),
    threads: setting(c, 'threads'),
    reportThumbnails: setting(c, 'reportThumbnails'),
    store: setting(c, 'store'),
    annotator: text('annotator'),
    recordAnnotator: setting(c, 'recordAnnotator'),
    evalEvery: setting(c, 'evalEvery'),
    pinecone: {
      index: text('pinecone.index'),
      cloud: text('pinecone.cloud'),
      region: text('pinecone.region'),
      host: text('pinecone.host'),
      controllerHost: text('pinecone.controllerHost'),
    },
  };
}

/**
 * One setting's value; VS Code falls back to the default package.json declares, so a missing value means the
 * manifest lost the setting (a bug), not that the user left it out.
 */
function setting<T>(c: vscode.WorkspaceConfiguration, key: string): T {
  const value = c.get<T>(key);
  if (value === undefined) throw new Error(`vectorTune.${key} is not declared in package.json`);
  return value;
}

/**
 * What is wrong with the model settings, in words a user can act on, or null. settings.json can hold any value;
 * VS Code only underlines it.
 */
export function modelSettingsProblem(settings: Settings): string | null {
  if (!isModelPrecision(settings.precision))
    return `vectorTune.precision is ${JSON.stringify(settings.precision)}: use one of ${MODEL_PRECISIONS.join(', ')}.`;
  if (!isDevice(settings.device))
    return `vectorTune.device is ${JSON.stringify(settings.device)}: use one of ${DEVICES.join(', ')}.`;
  if (settings.threads !== null && !isThreadCount(settings.threads))
    return `vectorTune.threads is ${JSON.stringify(settings.threads)}: leave it empty (half the cores), or give 0 (all cores) or a number of threads up to 256.`;
  return null;
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
      precision: settings.precision,
      device: settings.device,
      threads: settings.threads,
    },
    training: { ...DEFAULT_TRAINING, learningRate: settings.learningRate, stepsPerBatch: settings.stepsPerBatch },
    annotator: { record: settings.recordAnnotator, ...(settings.annotator ? { name: settings.annotator } : {}) },
    // settings.json can hold anything: a value that is not a whole number from 0 turns the trend off.
    evalEvery: Number.isInteger(settings.evalEvery) && settings.evalEvery >= 0 ? settings.evalEvery : 0,
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
  for (const [key, value] of [
    ['cloud', settings.cloud],
    ['region', settings.region],
  ] as const)
    if (!value)
      return {
        missing: `vectorTune.pinecone.${key} is empty: give the ${key} of the Pinecone serverless index (reset the setting for its default).`,
      };
  if (!apiKey)
    return {
      missing:
        'Vector Tune has no Pinecone API key yet: run "Vector Tune: Set Pinecone API Key" (it is kept in VS Code\'s secret storage, not in the settings).',
    };
  return {
    indexName: settings.index,
    cloud: settings.cloud,
    region: settings.region,
    ...(settings.host ? { host: settings.host } : {}),
    ...(settings.controllerHost ? { controllerHostUrl: settings.controllerHost } : {}),
    apiKey,
  };
}
