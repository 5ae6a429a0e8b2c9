import type { RequestMessage, ResponseMessage } from './rpc';

/**
 * The extension <-> scoring panel protocol. The panel is untrusted: every message from it is parsed by
 * `parseWebviewMessage` before use, and ids it sends must belong to the batch the extension showed.
 */
export const STRATEGY_NAMES = ['top', 'boundary', 'mixed', 'top-diverse', 'boundary-diverse', 'mixed-diverse'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

/** Actions the panel can ask for from its empty/error states; each maps to a palette command. */
export const PANEL_ACTIONS = [
  'indexFolder',
  'newHeadFromPrompt',
  'openHead',
  'resetSeen',
  'nextBatch',
  'showLog',
  'showLabelled',
] as const;
export type PanelAction = (typeof PANEL_ACTIONS)[number];

export interface CandidateView {
  id: string;
  /** File name, for the caption and alt text. */
  name: string;
  /** The folder it is in, relative to the workspace (POSIX, '' at the root); absent for records without a file. */
  folder?: string;
  /** The file's full path, shown on hover. */
  fullPath?: string;
  /** A webview resource URI (asWebviewUri) of the image. */
  src: string;
  logit: number;
  probability: number;
}

export interface HeadView {
  name: string;
  labelCount: number;
  storeCount: number;
  seenCount: number;
  strategy: StrategyName;
  /** Images per batch, as the next batch will ask for. */
  batchSize?: number;
  /** True when strategy and batch size come from the panel's own choice rather than the settings. */
  overridden?: boolean;
  lastRound?: { round: number; loss: number; moved: number };
  progress?: ProgressView;
  /** The head's audit sample and what it estimates; absent when none was drawn. */
  audit?: AuditView;
}

/** An estimate with its 95% interval; null where it is undefined (e.g. precision with nothing above the threshold). */
export type EstimateView = { value: number; low: number; high: number } | null;

/** The audit figures in the panel header: estimates from a random sample, never from the head's own picks. */
export interface AuditView {
  size: number;
  scored: number;
  /** Scored positive (above 0). */
  positives: number;
  /** "logit 0", or "calibrated (...)". */
  thresholdFrom: string;
  prevalence: EstimateView;
  precision: EstimateView;
  recall: EstimateView;
  ap: EstimateView;
  /** Why there are no estimates (a damaged audit file, records gone from the store). */
  error?: string;
  /**
   * The stop rule on the audit sample after the last round (kappa between successive heads' decisions; it fires
   * after `window` rounds in a row above `level`); absent before a round of this session.
   */
  stop?: { kappa: number; streak: number; fired: boolean; level: number; window: number };
}

/** How tuning goes: labels so far, and per round of this session the batch's hits and the top-100 churn. */
export interface ProgressView {
  positives: number;
  negatives: number;
  /** Labels scored 0 (neither): without them the counts did not add up to the header's label count. */
  neutral?: number;
  rounds: {
    round: number;
    hits: number;
    shown: number;
    churn: number | null;
    /** The head's AP on its held-out set, on the rounds that measured it (null: measured, AP undefined). */
    heldOutAp?: number | null;
  }[];
  /** No new positive in 3 rounds and the top 100 stable: the panel suggests boundary, or evaluating and stopping. */
  settled: boolean;
}

/** One labelled image in the Labelled view: its label, and what the current head makes of it. */
export interface LabelledView {
  id: string;
  name: string;
  /** Workspace-relative path (filtered on); empty when the record has none. */
  path: string;
  /** A webview resource URI of the image, or '' when it is not a workspace file. */
  src: string;
  score: number;
  round: number;
  by?: string;
  /** The head's probability; null when the store no longer holds the record. */
  probability: number | null;
  /** |target - probability|: how much the head contradicts the label (0..1). */
  disagreement: number;
  /** Present when two or more annotators' own scores for the record differ (annotator-agreement.ts). */
  annotators?: AnnotatorsView;
}

/** Annotators who disagree on a labelled image: each one's own latest score, and the settling line if any. */
export interface AnnotatorsView {
  /** Highest score first. */
  scores: { by: string; score: number; time: string }[];
  /** Highest minus lowest score, 0..2. */
  size: number;
  /** The settling score training now uses, while it is the record's latest line. */
  settled?: { score: number; by?: string };
}

/** The weighted kappa between each pair of annotators, formatted ("0.62", "n/a (3 shared)"). */
export interface AgreementView {
  annotators: string[];
  pairs: { a: string; b: string; shared: number; kappa: string }[];
  open: number;
  settled: number;
}

export type PanelState =
  | { kind: 'loading'; message: string }
  | {
      kind: 'batch';
      batchId: string;
      head: HeadView;
      candidates: CandidateView[];
      draft: Record<string, number | null>;
      /** What the batch came from when the user searched; absent: the head's own next batch. */
      source?: BatchSource;
    }
  | { kind: 'empty-store' }
  | { kind: 'no-head'; storeCount: number }
  | { kind: 'all-seen'; head: HeadView }
  /** The head's labels for review; `undo` describes what Undo would revert (changes and rounds of this session). */
  | { kind: 'labelled'; head: HeadView; records: LabelledView[]; undo: string | null; agreement: AgreementView }
  | { kind: 'error'; message: string; action?: PanelAction };

/** A search the panel asks for: a text query, or "more like this" of an image in the batch on screen. */
export type PanelSearch = { kind: 'text'; text: string } | { kind: 'similar'; id: string };

/**
 * Where a batch came from, for the header: a search (`name` is the image's file name), or the head's audit sample
 * (random records, never trained on; `unscored` of it were left when the batch was drawn).
 */
export type BatchSource =
  { kind: 'text'; text: string } | { kind: 'similar'; id: string; name: string } | { kind: 'audit'; unscored: number };

/** Batch sizes the panel offers. */
export const BATCH_SIZES = [4, 6, 8, 12, 16, 24, 32, 48] as const;

export interface ScoreEntry {
  id: string;
  /** -1..+1, or null to skip (seen, not labelled). */
  score: number | null;
}

export interface SubmitResult {
  /** The head the round trained: its figures belong beside that head only (another may be open by the time). */
  head: string;
  round: number;
  labelCount: number;
  loss: number;
  moved: number;
  /** Scores of audit records, saved to audit.jsonl: no round was trained (round, loss and moved mean nothing). */
  audit?: boolean;
}

/** Requests the panel makes and awaits. */
export type PanelRequests = {
  submit: [{ batchId: string; scores: ScoreEntry[] }, SubmitResult];
  /** Replaces the batch on screen with a searched one (refused while it has unsubmitted scores). */
  search: [{ query: PanelSearch }, { count: number }];
};

/** Fire-and-forget notifications from the panel. */
export type PanelNotification =
  | { kind: 'notify'; method: 'ready' }
  /** Unsubmitted scores, persisted by the extension so a window reload restores them. */
  | { kind: 'notify'; method: 'draft'; batchId: string; scores: Record<string, number | null> }
  | { kind: 'notify'; method: 'openImage'; id: string }
  | { kind: 'notify'; method: 'runAction'; action: PanelAction }
  /** In the Labelled view: a new score for a labelled image, or null to remove its label. */
  | { kind: 'notify'; method: 'changeLabel'; id: string; score: number | null }
  /** In the Labelled view: revert the last label change or submitted round of this session. */
  | { kind: 'notify'; method: 'undoLabels' }
  /** In the Labelled view: settle annotators' disagreement on a labelled image at this score. */
  | { kind: 'notify'; method: 'settleLabel'; id: string; score: number }
  /** Shows an image of the batch in the Explorer. */
  | { kind: 'notify'; method: 'revealImage'; id: string }
  /** The panel's choice of strategy and batch size for the next batches (either may be absent). */
  | { kind: 'notify'; method: 'batchOptions'; strategy?: StrategyName; batchSize?: number };

/** One request type per method, so `method` narrows `params`. */
export type PanelRequest = { [M in keyof PanelRequests]: RequestMessage<PanelRequests, M> }[keyof PanelRequests];
export type FromPanel = PanelRequest | PanelNotification;
export type ToPanel = { kind: 'state'; state: PanelState } | ResponseMessage<PanelRequests>;

/** Bounds on what the panel may send: a batch is at most a few hundred images. */
export const LIMITS = {
  maxScores: 1000,
  maxIdLength: 4096,
  maxBatchIdLength: 128,
  maxQueryLength: 1000,
  maxBatchSize: 200,
} as const;

export class ProtocolError extends Error {}

/** Parses an untrusted message from the panel; throws ProtocolError naming what is wrong. */
export function parseWebviewMessage(raw: unknown): FromPanel {
  const m = raw as Record<string, unknown>;
  if (!m || typeof m !== 'object' || Array.isArray(m)) throw new ProtocolError('message is not an object');
  if (m.kind === 'request') {
    if (!Number.isSafeInteger(m.id)) throw new ProtocolError('request id must be an integer');
    const p = m.params as Record<string, unknown>;
    if (!p || typeof p !== 'object') throw new ProtocolError(`${String(m.method).slice(0, 64)} needs params`);
    if (m.method === 'search')
      return { kind: 'request', id: m.id as number, method: 'search', params: { query: checkSearch(p.query) } };
    if (m.method !== 'submit')
      throw new ProtocolError(`unknown request method ${JSON.stringify(String(m.method)).slice(0, 64)}`);
    const batchId = checkString(p.batchId, 'batchId', LIMITS.maxBatchIdLength);
    if (!Array.isArray(p.scores) || p.scores.length > LIMITS.maxScores)
      throw new ProtocolError(`scores must be an array of at most ${LIMITS.maxScores}`);
    const scores = p.scores.map((s: unknown) => checkScoreEntry(s));
    return { kind: 'request', id: m.id as number, method: 'submit', params: { batchId, scores } };
  }
  if (m.kind !== 'notify') throw new ProtocolError('message kind must be "request" or "notify"');
  switch (m.method) {
    case 'ready':
      return { kind: 'notify', method: 'ready' };
    case 'draft': {
      const batchId = checkString(m.batchId, 'batchId', LIMITS.maxBatchIdLength);
      const scores = m.scores as Record<string, unknown>;
      if (!scores || typeof scores !== 'object' || Array.isArray(scores))
        throw new ProtocolError('draft scores must be an object');
      const entries = Object.entries(scores);
      if (entries.length > LIMITS.maxScores) throw new ProtocolError(`draft has more than ${LIMITS.maxScores} scores`);
      const clean: Record<string, number | null> = {};
      for (const [id, score] of entries) clean[checkString(id, 'id', LIMITS.maxIdLength)] = checkScore(score);
      return { kind: 'notify', method: 'draft', batchId, scores: clean };
    }
    case 'openImage':
      return { kind: 'notify', method: 'openImage', id: checkString(m.id, 'id', LIMITS.maxIdLength) };
    case 'runAction':
      if (!(PANEL_ACTIONS as readonly unknown[]).includes(m.action)) throw new ProtocolError('unknown panel action');
      return { kind: 'notify', method: 'runAction', action: m.action as PanelAction };
    case 'changeLabel':
      return {
        kind: 'notify',
        method: 'changeLabel',
        id: checkString(m.id, 'id', LIMITS.maxIdLength),
        score: checkScore(m.score),
      };
    case 'undoLabels':
      return { kind: 'notify', method: 'undoLabels' };
    case 'settleLabel': {
      const score = checkScore(m.score);
      if (score === null) throw new ProtocolError('a settling score must be a number from -1 to +1');
      return { kind: 'notify', method: 'settleLabel', id: checkString(m.id, 'id', LIMITS.maxIdLength), score };
    }
    case 'revealImage':
      return { kind: 'notify', method: 'revealImage', id: checkString(m.id, 'id', LIMITS.maxIdLength) };
    case 'batchOptions': {
      const out: PanelNotification = { kind: 'notify', method: 'batchOptions' };
      if (m.strategy !== undefined) {
        if (!(STRATEGY_NAMES as readonly unknown[]).includes(m.strategy)) throw new ProtocolError('unknown strategy');
        out.strategy = m.strategy as StrategyName;
      }
      if (m.batchSize !== undefined) {
        if (
          !Number.isInteger(m.batchSize) ||
          (m.batchSize as number) < 1 ||
          (m.batchSize as number) > LIMITS.maxBatchSize
        )
          throw new ProtocolError(`batchSize must be a whole number from 1 to ${LIMITS.maxBatchSize}`);
        out.batchSize = m.batchSize as number;
      }
      return out;
    }
    default:
      throw new ProtocolError(`unknown notification ${JSON.stringify(String(m.method)).slice(0, 64)}`);
  }
}

function checkSearch(raw: unknown): PanelSearch {
  const q = raw as Record<string, unknown>;
  if (!q || typeof q !== 'object') throw new ProtocolError('search needs a query object');
  if (q.kind === 'text') {
    const text = checkString(q.text, 'search text', LIMITS.maxQueryLength);
    if (!text.trim()) throw new ProtocolError('search text is blank');
    return { kind: 'text', text };
  }
  if (q.kind === 'similar') return { kind: 'similar', id: checkString(q.id, 'id', LIMITS.maxIdLength) };
  throw new ProtocolError('a search query is {kind: "text", text} or {kind: "similar", id}');
}

function checkScoreEntry(raw: unknown): ScoreEntry {
  const e = raw as Record<string, unknown>;
  if (!e || typeof e !== 'object') throw new ProtocolError('a score entry must be an object');
  return { id: checkString(e.id, 'id', LIMITS.maxIdLength), score: checkScore(e.score) };
}

function checkScore(raw: unknown): number | null {
  if (raw === null) return null;
  if (typeof raw !== 'number' || !Number.isFinite(raw) || raw < -1 || raw > 1)
    throw new ProtocolError('a score must be null or a number from -1 to +1');
  return raw;
}

function checkString(raw: unknown, what: string, max: number): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > max)
    throw new ProtocolError(`${what} must be a non-empty string of at most ${max} characters`);
  return raw;
}
