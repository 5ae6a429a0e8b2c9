import type { CandidateView, HeadView, PanelState, ScoreEntry, SubmitResult } from '../protocol/webview-protocol';

/**
 * The scoring panel's model and its pure reducer. No DOM here: this file also compiles under the root
 * tsconfig (Node types only) so the unit tests run it in plain Node.
 *
 * Scores live in a map from candidate id to a number in [-1, 1]; an id missing from the map is unscored,
 * and unscored images are submitted as skipped (score null: seen, not labelled).
 */

/** The five quick scores, in key order: key "1" gives QUICK_SCORES[0]. */
export const QUICK_SCORES = [-1, -0.5, 0, 0.5, 1] as const;
/** The slider's step, and what +/- nudge by. */
export const SCORE_STEP = 0.25;
/** Undo depth: the stack is persisted with setState, so it stays bounded. */
export const MAX_UNDO = 200;

export type Overlay = 'none' | 'viewer' | 'help';
/** Thumbnail sizes of the grid, smallest first (the look bar's control; persisted with the panel's state). */
export const THUMB_SIZES = ['small', 'medium', 'large'] as const;
export type ThumbSize = (typeof THUMB_SIZES)[number];
export type Direction = 'left' | 'right' | 'up' | 'down' | 'first' | 'last' | 'next' | 'prev';

/** One undoable edit: the previous score (null = unscored) of every id it changed, and where focus was. */
export interface UndoStep {
  changes: { id: string; before: number | null }[];
  focus: number;
  /** Consecutive edits with the same key merge into one step (a slider drag is one undo, not twenty). */
  coalesce?: string;
}

export interface Notice {
  message: string;
  /** false: a bug rather than something the user can fix, so the panel offers the log. */
  userError: boolean;
}

export interface PanelModel {
  /** The last state the extension sent. */
  state: PanelState;
  /** The batch the scores belong to; kept through non-batch states so a re-sent batch keeps its scores. */
  batchId: string | null;
  scores: Readonly<Record<string, number>>;
  focus: number;
  undo: readonly UndoStep[];
  /** Grid columns as laid out (the view measures them): up/down move by this much. */
  columns: number;
  inFlight: boolean;
  /** The batch was trained on; it stays read-only until the next state arrives. */
  submitted: boolean;
  lastResult: SubmitResult | null;
  notice: Notice | null;
  overlay: Overlay;
  thumbSize: ThumbSize;
}

export type Action =
  | { type: 'receiveState'; state: PanelState }
  | { type: 'setColumns'; columns: number }
  | { type: 'focus'; index: number }
  | { type: 'move'; dir: Direction }
  | { type: 'setScore'; score: number; index?: number; advance?: boolean; coalesce?: string }
  | { type: 'nudge'; delta: number }
  | { type: 'clear'; index?: number }
  | { type: 'scoreRestNegative' }
  | { type: 'undo' }
  | { type: 'applyDraft'; draft: Record<string, number | null> }
  | { type: 'submitStart' }
  | { type: 'submitDone'; batchId: string; result: SubmitResult }
  | { type: 'submitFailed'; batchId: string; notice: Notice }
  | { type: 'dismissNotice' }
  | { type: 'showNotice'; notice: Notice }
  | { type: 'setThumbSize'; size: ThumbSize }
  | { type: 'setOverlay'; overlay: Overlay }
  | { type: 'toggleViewer' }
  | { type: 'toggleHelp' }
  | { type: 'escape' };

/** What a key can ask for: a model action, or an effect main.ts performs (it talks to the extension). */
export type Command =
  | Action
  | { type: 'submit' }
  | { type: 'openInEditor' }
  /** "More like this" of the focused image, and moving the focus to the search box: effects main.ts performs. */
  | { type: 'moreLikeThis' }
  | { type: 'focusSearch' };

export function initialModel(state: PanelState = { kind: 'loading', message: 'Loading...' }): PanelModel {
  return {
    state,
    batchId: null,
    scores: {},
    focus: 0,
    undo: [],
    columns: 1,
    inFlight: false,
    submitted: false,
    lastResult: null,
    notice: null,
    overlay: 'none',
    thumbSize: 'medium',
  };
}

export function candidatesOf(model: PanelModel): CandidateView[] {
  return model.state.kind === 'batch' ? model.state.candidates : [];
}

/** Scoring is possible on a shown batch that is neither being trained on nor already trained on. */
export function canEdit(model: PanelModel): boolean {
  return model.state.kind === 'batch' && model.state.candidates.length > 0 && !model.inFlight && !model.submitted;
}

export const canSubmit = canEdit;

export function scoreOf(model: PanelModel, id: string): number | null {
  return Object.prototype.hasOwnProperty.call(model.scores, id) ? model.scores[id] : null;
}

export function unscoredCount(model: PanelModel): number {
  return candidatesOf(model).filter((c) => scoreOf(model, c.id) === null).length;
}

/** The submit payload: every candidate in batch order, unscored ones as null (skipped). */
export function submitEntries(model: PanelModel): ScoreEntry[] {
  return candidatesOf(model).map((c) => ({ id: c.id, score: scoreOf(model, c.id) }));
}

/**
 * The header's numbers: a submit result newer than the head the extension last sent wins, if it is this head's
 * (after a switch of heads, the last head's round must not show beside the new one).
 */
export function headSummary(
  model: PanelModel,
): { head: HeadView; labelCount: number; lastRound: HeadView['lastRound'] } | null {
  const s = model.state;
  if (s.kind !== 'batch' && s.kind !== 'all-seen') return null;
  const r = model.lastResult;
  const fresher = r !== null && !r.audit && r.head === s.head.name && r.round > (s.head.lastRound?.round ?? -Infinity);
  return {
    head: s.head,
    labelCount: fresher ? Math.max(r.labelCount, s.head.labelCount) : s.head.labelCount,
    lastRound: fresher ? { round: r.round, loss: r.loss, moved: r.moved } : s.head.lastRound,
  };
}

/** Formats a score the way the UI shows it: "+0.5", "-1", "0". */
export function formatScore(score: number | null): string {
  if (score === null) return 'skip';
  if (score === 0) return '0';
  const text = Number(Math.abs(score).toFixed(2)).toString();
  return (score > 0 ? '+' : '\u2212') + text;
}

const clampScore = (s: number) => Math.min(1, Math.max(-1, s));
const clampIndex = (i: number, n: number) => Math.min(Math.max(0, n - 1), Math.max(0, i));

export function reduce(model: PanelModel, action: Action): PanelModel {
  switch (action.type) {
    case 'receiveState':
      return receiveState(model, action.state);
    case 'setColumns': {
      const columns = Math.max(1, Math.floor(action.columns) || 1);
      return columns === model.columns ? model : { ...model, columns };
    }
    case 'focus': {
      const n = candidatesOf(model).length;
      const focus = clampIndex(action.index, n);
      return n === 0 || focus === model.focus ? model : { ...model, focus };
    }
    case 'move':
      return move(model, action.dir);
    case 'setScore': {
      const index = action.index ?? model.focus;
      if (!Number.isFinite(action.score)) return model;
      const next = edit(model, [[index, clampScore(action.score)]], action.coalesce);
      return action.advance ? move(next, 'next') : next;
    }
    case 'nudge': {
      const c = candidatesOf(model)[model.focus];
      if (!c) return model;
      const current = scoreOf(model, c.id) ?? 0;
      const stepped = Math.round((current + action.delta) / SCORE_STEP) * SCORE_STEP;
      return edit(model, [[model.focus, clampScore(stepped)]], `nudge:${c.id}`);
    }
    case 'clear':
      return edit(model, [[action.index ?? model.focus, null]]);
    case 'scoreRestNegative': {
      const rest = candidatesOf(model).flatMap((c, i) =>
        scoreOf(model, c.id) === null ? [[i, -1] as [number, number]] : [],
      );
      return edit(model, rest);
    }
    case 'undo':
      return undo(model);
    case 'applyDraft':
      return { ...model, scores: sanitizeDraft(action.draft, candidatesOf(model)), undo: [] };
    case 'submitStart':
      return canSubmit(model) ? { ...model, inFlight: true, notice: null, overlay: 'none' } : model;
    case 'submitDone':
      // A response that arrives after the next batch is on screen only updates the header's numbers.
      if (action.batchId !== model.batchId) return { ...model, lastResult: action.result };
      return { ...model, inFlight: false, submitted: true, lastResult: action.result, notice: null };
    case 'submitFailed':
      if (action.batchId !== model.batchId) return { ...model, notice: action.notice };
      return { ...model, inFlight: false, notice: action.notice };
    case 'dismissNotice':
      return model.notice ? { ...model, notice: null } : model;
    case 'showNotice':
      return { ...model, notice: action.notice };
    case 'setThumbSize':
      return (THUMB_SIZES as readonly string[]).includes(action.size) && action.size !== model.thumbSize
        ? { ...model, thumbSize: action.size }
        : model;
    case 'setOverlay':
      if (action.overlay === 'viewer' && candidatesOf(model).length === 0) return model;
      return action.overlay === model.overlay ? model : { ...model, overlay: action.overlay };
    case 'toggleViewer':
      if (model.overlay === 'help') return model;
      return reduce(model, { type: 'setOverlay', overlay: model.overlay === 'viewer' ? 'none' : 'viewer' });
    case 'toggleHelp':
      return { ...model, overlay: model.overlay === 'help' ? 'none' : 'help' };
    case 'escape':
      if (model.overlay !== 'none') return { ...model, overlay: 'none' };
      return model.notice ? { ...model, notice: null } : model;
  }
}

function receiveState(model: PanelModel, state: PanelState): PanelModel {
  if (state.kind !== 'batch') {
    // Keep batchId and scores: the extension shows "loading" between batches and may re-send the same batch.
    return { ...model, state, submitted: false, overlay: model.overlay === 'viewer' ? 'none' : model.overlay };
  }
  if (state.batchId === model.batchId) {
    // The same batch again (panel re-shown, head numbers updated): local scores are at least as new as
    // the extension's draft, so they win. Drop ids no longer in the batch.
    const ids = new Set(state.candidates.map((c) => c.id));
    const scores = Object.fromEntries(Object.entries(model.scores).filter(([id]) => ids.has(id)));
    return { ...model, state, scores, focus: clampIndex(model.focus, state.candidates.length), submitted: false };
  }
  const scores = sanitizeDraft(state.draft, state.candidates);
  // Restoring a draft continues where the user stopped: at the first image still unscored.
  const firstUnscored = state.candidates.findIndex((c) => !(c.id in scores));
  return {
    ...model,
    state,
    batchId: state.batchId,
    scores,
    focus: firstUnscored < 0 ? 0 : firstUnscored,
    undo: [],
    inFlight: false,
    submitted: false,
    notice: null,
    overlay: model.overlay === 'help' ? 'help' : 'none',
  };
}

/** Only ids of the batch, only finite numbers (clamped to [-1, 1]); null means unscored. */
export function sanitizeDraft(
  draft: Record<string, number | null> | undefined,
  candidates: readonly CandidateView[],
): Record<string, number> {
  const out: Record<string, number> = {};
  if (!draft || typeof draft !== 'object') return out;
  for (const c of candidates) {
    if (!Object.prototype.hasOwnProperty.call(draft, c.id)) continue;
    const s = draft[c.id];
    if (typeof s === 'number' && Number.isFinite(s)) out[c.id] = clampScore(s);
  }
  return out;
}

function move(model: PanelModel, dir: Direction): PanelModel {
  const n = candidatesOf(model).length;
  if (n === 0) return model;
  // In the large viewer there is one image at a time, so every direction steps through the batch in order.
  const cols = model.overlay === 'viewer' ? 1 : model.columns;
  const f = model.focus;
  let to = f;
  switch (dir) {
    case 'left':
    case 'prev':
      to = f - 1;
      break;
    case 'right':
    case 'next':
      to = f + 1;
      break;
    case 'up':
      to = f - cols >= 0 ? f - cols : f;
      break;
    case 'down':
      // Down from a column the last (short) row lacks lands on the last image, as in file explorers.
      to = f + cols < n ? f + cols : Math.floor(f / cols) < Math.floor((n - 1) / cols) ? n - 1 : f;
      break;
    case 'first':
      to = 0;
      break;
    case 'last':
      to = n - 1;
      break;
  }
  to = clampIndex(to, n);
  return to === f ? model : { ...model, focus: to };
}

/** Applies score changes (null = clear) as one undo step; no-ops leave the model (and the stack) as is. */
function edit(model: PanelModel, changes: [number, number | null][], coalesce?: string): PanelModel {
  if (!canEdit(model)) return model;
  const candidates = candidatesOf(model);
  const scores: Record<string, number> = { ...model.scores };
  // Undo returns focus to the image it changes back (for a bulk edit, to where the user was).
  const step: UndoStep = { changes: [], focus: changes.length === 1 ? changes[0][0] : model.focus };
  if (coalesce !== undefined) step.coalesce = coalesce;
  for (const [index, score] of changes) {
    const c = candidates[index];
    if (!c) continue;
    const before = scoreOf(model, c.id);
    if (before === score) continue;
    step.changes.push({ id: c.id, before });
    if (score === null) delete scores[c.id];
    else scores[c.id] = score;
  }
  if (step.changes.length === 0) return model;
  const focus = changes.length === 1 ? clampIndex(changes[0][0], candidates.length) : model.focus;
  const top = model.undo[model.undo.length - 1];
  if (coalesce !== undefined && top?.coalesce === coalesce) {
    // Merge into the previous step, keeping its original "before" values.
    const known = new Set(top.changes.map((ch) => ch.id));
    const merged: UndoStep = { ...top, changes: [...top.changes, ...step.changes.filter((ch) => !known.has(ch.id))] };
    return { ...model, scores, focus, undo: [...model.undo.slice(0, -1), merged] };
  }
  return { ...model, scores, focus, undo: [...model.undo, step].slice(-MAX_UNDO) };
}

function undo(model: PanelModel): PanelModel {
  const step = model.undo[model.undo.length - 1];
  if (!step || !canEdit(model)) return model;
  const scores: Record<string, number> = { ...model.scores };
  for (const { id, before } of step.changes) {
    if (before === null) delete scores[id];
    else scores[id] = before;
  }
  return { ...model, scores, focus: clampIndex(step.focus, candidatesOf(model).length), undo: model.undo.slice(0, -1) };
}
