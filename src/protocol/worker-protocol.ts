import * as path from 'node:path';
import type { Device } from '../core/embed/device';
import type { ModelPrecision } from '../core/embed/precision';
import type { ExportFrom } from '../core/export/export-heads';
import type { ExportSummary } from '../core/export/export-to-file';
import type { IndexReport } from '../core/ingest/index-folder';
import type { PredictReport, ThresholdChoice } from '../core/predict/predict-folder';
import type { TrainingSettings } from '../core/head/linear-head';
import type { AuditEstimates } from '../core/audit/estimates';
import type { AnnotatorChoice } from '../core/tune/annotator';
import type { AnnotatorAgreement } from '../core/tune/annotator-agreement';
import type { LabelledOrder, LabelledRecord } from '../core/tune/labelled-view';
import type { RoundProgressWithStop } from '../core/tune/progress';
import type { BatchCandidate, LabelChange, RoundResult, Verdict } from '../core/tune/session';
import type { SearchQuery } from '../core/tune/search';
import type { Strategy } from '../core/tune/strategy';
import type { CancelMessage, ProgressMessage, RequestMessage, ResponseMessage } from './rpc';

/**
 * The extension <-> worker protocol. The worker (a worker_threads thread in the extension host) owns the
 * engine: the CLIP model, the store and the open head, so embedding and training never block the editor.
 * Paths crossing this boundary are absolute file-system paths.
 */
export interface EngineConfig {
  /** Workspace root: record ids and paths are relative to it. */
  workspaceRoot: string;
  /** The embedded store's folder (used when `pinecone` is absent). */
  storeDir: string;
  headsDir: string;
  model: ModelConfig;
  training: TrainingSettings;
  /** When set, the store is this Pinecone index instead of the embedded store in `storeDir`. */
  pinecone?: PineconeConfig;
  /** Who labels (`by` on label lines; vectorTune.annotator, vectorTune.recordAnnotator); absent: not recorded. */
  annotator?: AnnotatorChoice;
  /** Measure the open head on its held-out set every N rounds (vectorTune.evalEvery); 0: never; absent: 5. */
  evalEvery?: number;
}

export interface ModelConfig {
  ref: string;
  cacheDir: string;
  allowDownload: boolean;
  /** Which of the model's ONNX files run (default fp32). */
  precision?: ModelPrecision;
  /** Where the model runs (default cpu). */
  device?: Device;
  /** onnxruntime's intra-op threads: null or absent for half the cores (at most 4), 0 for all. */
  threads?: number | null;
}

/**
 * A rule both sides apply: the worker to decide what to close on `configure`, the client to decide what to
 * restore after restarting a crashed worker. The folders and the store (embedded folder, or Pinecone index and key) that locate the data and the heads.
 * When one changes, the open store and head no longer apply.
 */
export function locationChanged(before: EngineConfig | undefined, after: EngineConfig): boolean {
  if (!before) return true;
  return (
    path.resolve(before.workspaceRoot) !== path.resolve(after.workspaceRoot) ||
    path.resolve(before.storeDir) !== path.resolve(after.storeDir) ||
    path.resolve(before.headsDir) !== path.resolve(after.headsDir) ||
    JSON.stringify(before.pinecone ?? null) !== JSON.stringify(after.pinecone ?? null)
  );
}

/** The `vectorTune.pinecone.*` settings and the key from SecretStorage. */
export interface PineconeConfig {
  indexName: string;
  /** Serverless spec of an index Vector Tune creates. */
  cloud: string;
  region: string;
  /** The index's data-plane host (default: looked up by name). */
  host?: string;
  /** Control-plane URL; only for tests against a local stand-in of Pinecone. */
  controllerHostUrl?: string;
  /**
   * From the extension's SecretStorage. It crosses this boundary in memory only; the worker masks it out
   * of every log line and error message it sends back.
   */
  apiKey: string;
  /**
   * Timeout and retries of each request (defaults 30 s, 5 retries from 0.5 s). Not a setting: tests shorten
   * them so a fault is reported in milliseconds.
   */
  transport?: { timeoutMs?: number; maxRetries?: number; baseDelayMs?: number };
}

export interface HeadSummary {
  name: string;
  weightsFile: string;
  labelsFile: string;
  labelCount: number;
  /** The round the next submit will be. */
  nextRound: number;
  modelId: string;
  storeCount: number;
  seenCount: number;
  /** Current labels scored above and below 0. */
  positives: number;
  negatives: number;
  /** The rounds submitted since the head was opened: hits, top-100 churn, the stop rule's kappa (progress.ts). */
  rounds: RoundProgressWithStop[];
  /** The head's audit sample and its estimates (src/worker/audit-requests.ts); absent when none was drawn. */
  audit?: AuditFigures;
}

/** What the audit sample says of the head now, for the panel header. */
export interface AuditFigures {
  /** Records in the sample, and how many have a score (unsure ones, 0, included). */
  size: number;
  scored: number;
  /** "logit 0", or "calibrated (...)" when the head has a current calibration. */
  thresholdFrom: string;
  /** Null until a record is scored. */
  estimates: AuditEstimates | null;
  /** Why there are no estimates when the sample could not be read or scored (a damaged file, records gone). */
  error?: string;
}

export type HeadStart =
  { kind: 'prompt'; prompt: string } | { kind: 'examples'; ids: string[] } | { kind: 'weights'; file: string };

export type WorkerProtocol = {
  /** Sets or changes the engine's configuration; closes the open head and store if their folders or the store changed. */
  configure: [EngineConfig, void];
  /** Embeds a folder into the store (incremental). Reports progress; cancellable. */
  index: [{ folder: string; batchSize: number; maxPixels: number }, IndexReport];
  /** Loads the configured model now (downloading it when allowed), so a problem shows before indexing. */
  loadModel: [Record<string, never>, { modelId: string; dimension: number }];
  /** The store's size and model, or null when there is no store yet. */
  storeInfo: [Record<string, never>, { count: number; modelId: string; dimension: number } | null];
  startHead: [{ name: string; start: HeadStart; overwrite: boolean }, HeadSummary];
  /** Opens a head folder (crash repairs are reported). */
  openHead: [{ headDir: string }, { head: HeadSummary; repairs: string[] }];
  /**
   * `headDir` names the head the caller means (the extension always sends it): the worker refuses if another
   * head is open by the time the request runs. Without it, the open head is meant.
   */
  nextBatch: [
    /** `diverseSimilarity`: the -diverse strategies' near-duplicate cosine (vectorTune.diverseSimilarity; default 0.9). */
    { headDir?: string; k: number; strategy: Strategy; diverseSimilarity?: number },
    { head: HeadSummary; candidates: BatchCandidate[]; notes?: string[] },
  ];
  /**
   * A batch the user asked for: the `k` unseen records nearest a text query (CLIP's text encoder) or one record's
   * vector ("more like this"), each with the open head's logit. Submitted like any batch (`submit`).
   */
  searchBatch: [
    { headDir?: string; k: number; query: SearchQuery },
    { head: HeadSummary; candidates: BatchCandidate[] },
  ];
  submit: [{ headDir?: string; verdicts: Verdict[] }, { head: HeadSummary; result: RoundResult }];
  resetSeen: [Record<string, never>, HeadSummary];
  /**
   * Draws the head's audit sample (`size` records, uniformly at random, seeded) into its audit.jsonl and hides it
   * from batches; refused when it has one unless `replace` (which discards that sample's scores).
   */
  drawAudit: [{ headDir: string; size: number; seed: number; replace: boolean }, HeadSummary];
  /** Up to `k` unscored records of the audit sample (not those in `skip`), shown as a batch marked "audit". */
  auditBatch: [
    { headDir: string; k: number; skip: string[] },
    { head: HeadSummary; candidates: BatchCandidate[]; unscored: number },
  ];
  /** Scores of audit records, into audit.jsonl only (never labels.jsonl, never trained on); null skips a record. */
  scoreAudit: [{ headDir: string; scores: Verdict[] }, HeadSummary];
  /**
   * Takes an outside change of the open head's labels.jsonl (an edit, a checkout): retrains from a replay of the
   * file. `notes` says what happened (empty when the file had not changed), for the user to be told once.
   */
  syncLabels: [{ headDir: string }, { head: HeadSummary; notes: string[] }];
  /** The open head's labels with its view of each (the Labelled view). */
  labelled: [
    { headDir: string; order: LabelledOrder },
    { head: HeadSummary; records: LabelledRecord[]; agreement: AnnotatorAgreement },
  ];
  /** Relabels or removes (score null) labelled records: appended lines, then the head is retrained. */
  changeLabels: [{ headDir: string; changes: LabelChange[] }, { head: HeadSummary; notes: string[]; ms: number }];
  /** Rewrites the head's weights from its start point and labels (resolving a merge conflict in its files) and opens it. */
  rebuildHead: [{ headDir: string }, { head: HeadSummary; notes: string[] }];
  /**
   * Evaluates the open head on held-out data and writes its report into the head's reports/ folder (with small
   * thumbnails of the listed images beside it unless `thumbnails` is false).
   */
  evaluate: [{ source: EvaluationSource; thumbnails?: boolean }, EvaluationSummary];
  /**
   * Applies committed heads (by name, in the heads folder) to a folder of images with the worker's model and
   * writes the predictions file (.csv, .jsonl or .parquet). Reports progress; cancellable (the rows so far are written).
   */
  predict: [{ folder: string; heads: string[]; out: string; threshold: ThresholdChoice }, PredictReport];
  /**
   * Writes committed heads (by name, in the heads folder) as one ONNX model `out` (and `out`.json), from images
   * through the worker's model (which must be the heads') or from embeddings; checked against the engine first.
   */
  exportHeads: [{ heads: string[]; from: ExportFrom; out: string }, ExportSummary];
  /** Releases the model and the store (before the worker is terminated). */
  dispose: [Record<string, never>, void];
};

/** Held-out data with truth: a folder whose class sub-folders say the truth, or the store's records with a CSV. */
export type EvaluationSource =
  | { kind: 'folder'; folder: string; positive: string }
  | { kind: 'csv'; csvFile: string; idColumn: string; labelColumn: string; positive: string };

export interface EvaluationSummary {
  markdownFile: string;
  n: number;
  positives: number;
  averagePrecision: number | null;
  rocAuc: number | null;
  /** How the report compares with the previous one of the same head and data, in a sentence. */
  comparison: string | null;
}

/** Worker -> extension log lines, shown in the output channel. */
export interface LogMessage {
  kind: 'log';
  level: 'info' | 'warn' | 'error';
  message: string;
}

export type ToWorker = RequestMessage<WorkerProtocol> | CancelMessage;
export type FromWorker = ResponseMessage<WorkerProtocol> | ProgressMessage | LogMessage;

/**
 * What the extension gives the worker thread when it starts (its workerData): two Int32 cells in shared memory,
 * so that nothing terminates the thread while onnxruntime runs in it (onnxruntime-node cannot return into a
 * terminating thread, and aborts the whole extension host). The worker counts its model calls under way in
 * `MODEL_CALLS`; the extension sets `STOPPING` before it terminates the thread, waits for the count to reach
 * zero, and no model call starts once `STOPPING` is set.
 */
export interface WorkerData {
  modelCalls: SharedArrayBuffer;
}

export const MODEL_CALLS = 0;
export const STOPPING = 1;
export const MODEL_CALL_CELLS = 2;
