import type { PanelState, SubmitResult } from '../protocol/webview-protocol';
import { initialModel, MAX_UNDO, type PanelModel, THUMB_SIZES, type ThumbSize, type UndoStep } from './state';

/**
 * What the panel keeps in `vscode.setState`: VS Code destroys a hidden webview (the panel does not retain
 * its context) and hands this back when it is shown again. It holds the last state too, so the panel
 * paints the batch at once instead of flashing "loading" while it waits for the extension.
 * Pure (no DOM), unit-tested with the reducer.
 */
export const PERSIST_VERSION = 1;

export interface Persisted {
  v: typeof PERSIST_VERSION;
  state: PanelState;
  batchId: string | null;
  scores: Record<string, number>;
  undo: UndoStep[];
  focus: number;
  lastResult: SubmitResult | null;
  /** Absent in what older panels saved: medium. */
  thumbSize?: ThumbSize;
}

export function toPersisted(model: PanelModel): Persisted {
  return {
    v: PERSIST_VERSION,
    // Transient states are not worth restoring: the extension re-sends its state on "ready" anyway.
    state:
      model.state.kind === 'loading' || model.state.kind === 'error'
        ? { kind: 'loading', message: 'Loading...' }
        : model.state,
    batchId: model.batchId,
    scores: { ...model.scores },
    undo: [...model.undo],
    focus: model.focus,
    lastResult: model.lastResult,
    thumbSize: model.thumbSize,
  };
}

/** Rebuilds a model from whatever getState returned; anything unexpected gives a fresh model. */
export function fromPersisted(raw: unknown): PanelModel {
  const p = raw as Partial<Persisted> | null | undefined;
  if (!p || typeof p !== 'object' || p.v !== PERSIST_VERSION || !p.state || typeof p.state !== 'object')
    return initialModel();
  const model = initialModel(p.state);
  const scores: Record<string, number> = {};
  for (const [id, s] of Object.entries(p.scores ?? {}))
    if (typeof s === 'number' && Number.isFinite(s) && s >= -1 && s <= 1) scores[id] = s;
  const undo = Array.isArray(p.undo) ? p.undo.filter(isUndoStep).slice(-MAX_UNDO) : [];
  const n = p.state.kind === 'batch' ? p.state.candidates.length : 0;
  const focus =
    typeof p.focus === 'number' && Number.isInteger(p.focus) ? Math.min(Math.max(0, p.focus), Math.max(0, n - 1)) : 0;
  return {
    ...model,
    batchId: typeof p.batchId === 'string' ? p.batchId : null,
    scores,
    undo,
    focus,
    lastResult: p.lastResult ?? null,
    thumbSize: (THUMB_SIZES as readonly unknown[]).includes(p.thumbSize) ? (p.thumbSize as ThumbSize) : 'medium',
  };
}

function isUndoStep(x: unknown): x is UndoStep {
  const s = x as UndoStep;
  return (
    !!s &&
    Array.isArray(s.changes) &&
    typeof s.focus === 'number' &&
    s.changes.every((c) => typeof c?.id === 'string' && (c.before === null || typeof c.before === 'number'))
  );
}
