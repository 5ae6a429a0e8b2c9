import './elements';
import { PANEL_ACTIONS, type PanelAction, type PanelSearch, type StrategyName } from '../protocol/webview-protocol';
import { PanelApi, RequestError } from './api';
import { fromPersisted, toPersisted } from './persist';
import {
  type Action,
  candidatesOf,
  canSubmit,
  type Command,
  type PanelModel,
  reduce,
  submitEntries,
  type ThumbSize,
} from './state';
import { keyToAction, type KeyTarget } from './keys';
import { PanelView } from './view';

/**
 * Wiring: extension messages and DOM events become reducer actions; the model is rendered, persisted with
 * setState (so hiding the panel loses nothing) and, on score edits, sent to the extension as a draft (so a
 * window reload loses nothing either).
 */
const DRAFT_DELAY_MS = 300;

const root = document.getElementById('app');
if (!root) throw new Error('#app is missing from the panel HTML');

const api = new PanelApi((state) => dispatch({ type: 'receiveState', state }));
let model: PanelModel = fromPersisted(api.getState());
const view = new PanelView(
  root,
  (columns) => dispatch({ type: 'setColumns', columns }),
  (message) => api.notify(message),
);
view.render(model, null);

function dispatch(action: Action): void {
  const prev = model;
  model = reduce(model, action);
  if (model === prev) return;
  view.render(model, prev);
  api.setState(toPersisted(model));
  const edited =
    action.type !== 'receiveState' &&
    action.type !== 'applyDraft' &&
    model.scores !== prev.scores &&
    model.batchId === prev.batchId;
  if (edited) scheduleDraft();
}

// --- drafts: debounced, flushed when the page is about to go away ---

let draftTimer: ReturnType<typeof setTimeout> | undefined;

function scheduleDraft(): void {
  clearTimeout(draftTimer);
  draftTimer = setTimeout(flushDraft, DRAFT_DELAY_MS);
}

function flushDraft(): void {
  if (draftTimer === undefined) return;
  clearTimeout(draftTimer);
  draftTimer = undefined;
  if (!model.batchId || model.submitted || model.inFlight) return;
  api.notify({ kind: 'notify', method: 'draft', batchId: model.batchId, scores: { ...model.scores } });
}

window.addEventListener('pagehide', flushDraft);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') flushDraft();
});

// --- effects ---

async function submit(): Promise<void> {
  if (!canSubmit(model) || !model.batchId) return;
  const batchId = model.batchId;
  const scores = submitEntries(model);
  // The submit carries every score, so a pending draft of this batch is moot.
  clearTimeout(draftTimer);
  draftTimer = undefined;
  dispatch({ type: 'submitStart' });
  try {
    const result = await api.request('submit', { batchId, scores });
    dispatch({ type: 'submitDone', batchId, result });
  } catch (err) {
    const userError = err instanceof RequestError && err.userError;
    dispatch({
      type: 'submitFailed',
      batchId,
      notice: { message: err instanceof Error ? err.message : String(err), userError },
    });
  }
}

/**
 * A search replaces the batch on screen, so it waits until this batch's scores are submitted or cleared (the
 * extension refuses too). The extension shows "loading" and then the searched batch; a failure is a notice.
 */
async function search(query: PanelSearch): Promise<void> {
  const scored = Object.keys(model.scores).length;
  if (scored > 0) {
    const message = `This batch has ${scored} unsubmitted score${scored === 1 ? '' : 's'}: submit them (Enter) or clear them (0) first, since a search replaces the batch on screen.`;
    return dispatch({ type: 'showNotice', notice: { message, userError: true } });
  }
  try {
    await api.request('search', { query });
  } catch (err) {
    const userError = err instanceof RequestError && err.userError;
    dispatch({ type: 'showNotice', notice: { message: err instanceof Error ? err.message : String(err), userError } });
  }
}

function run(command: Command): void {
  switch (command.type) {
    case 'moreLikeThis': {
      const c = candidatesOf(model)[model.focus];
      if (c && canSubmit(model)) void search({ kind: 'similar', id: c.id });
      return;
    }
    case 'focusSearch':
      view.focusSearch();
      return;
    case 'submit':
      void submit();
      return;
    case 'openInEditor': {
      const c = candidatesOf(model)[model.focus];
      if (c) api.notify({ kind: 'notify', method: 'openImage', id: c.id });
      return;
    }
    default:
      dispatch(command);
  }
}

function runAction(action: string | undefined): void {
  if ((PANEL_ACTIONS as readonly string[]).includes(action ?? ''))
    api.notify({ kind: 'notify', method: 'runAction', action: action as PanelAction });
}

// --- keyboard ---

function targetKind(target: EventTarget | null): KeyTarget {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return 'none';
  const tag = el.tagName.toLowerCase();
  if (tag === 'input') return (el as HTMLInputElement).type === 'range' ? 'range' : 'text';
  // A select keeps its arrows and letters, as a text field does.
  if (tag === 'textarea' || tag === 'select' || el.isContentEditable) return 'text';
  if (tag === 'button' || tag === 'vscode-button' || el.getAttribute('role') === 'button') return 'button';
  return 'none';
}

document.addEventListener('keydown', (e) => {
  if (e.defaultPrevented || e.isComposing) return;
  const command = keyToAction(
    e.key,
    { shift: e.shiftKey, ctrl: e.ctrlKey, meta: e.metaKey, alt: e.altKey },
    targetKind(e.target),
  );
  if (!command) return;
  // Inside the help dialog only its own keys count; anything else would act on the page behind it.
  if (model.overlay === 'help' && command.type !== 'toggleHelp' && command.type !== 'escape') return;
  e.preventDefault();
  // Escape in the look bar (the search box, a select) goes back to the images.
  if (command.type === 'escape' && (e.target as Element | null)?.closest?.('.look-bar')) view.focusGrid(model.focus);
  run(command);
});

// --- mouse: one delegated listener; controls name their command in data-cmd ---

root.addEventListener('click', (e) => {
  const el = (e.target as Element | null)?.closest<HTMLElement>('[data-cmd]');
  if (!el || el.matches(':disabled, [disabled]')) return;
  const index = Number(el.dataset.index ?? model.focus);
  switch (el.dataset.cmd) {
    case 'score':
      return dispatch({ type: 'setScore', score: Number(el.dataset.value), index });
    case 'clear':
      return dispatch({ type: 'clear', index });
    case 'view':
      dispatch({ type: 'focus', index });
      return dispatch({ type: 'setOverlay', overlay: 'viewer' });
    case 'prev':
    case 'next':
      return dispatch({ type: 'move', dir: el.dataset.cmd });
    case 'backdrop':
      // Only a click on the dim backdrop itself, not one that bubbled up from the dialog.
      if (e.target === el) dispatch({ type: 'setOverlay', overlay: 'none' });
      return;
    case 'close-overlay':
      return dispatch({ type: 'setOverlay', overlay: 'none' });
    case 'help':
      return dispatch({ type: 'toggleHelp' });
    case 'dismiss-notice':
      return dispatch({ type: 'dismissNotice' });
    case 'undo':
      return run({ type: 'undo' });
    case 'rest-negative':
      return run({ type: 'scoreRestNegative' });
    case 'submit':
      return run({ type: 'submit' });
    case 'open-editor':
      return run({ type: 'openInEditor' });
    case 'run':
      return runAction(el.dataset.action);
    case 'more-like':
      dispatch({ type: 'focus', index });
      return run({ type: 'moreLikeThis' });
    case 'reveal': {
      const c = candidatesOf(model)[index];
      if (c) api.notify({ kind: 'notify', method: 'revealImage', id: c.id });
      return;
    }
    case 'thumb-size':
      return dispatch({ type: 'setThumbSize', size: el.dataset.size as ThumbSize });
    default:
      return; // a data-cmd this listener does not handle: nothing to do
  }
});

// A slider drag is many input events; they coalesce into one undo step per image.
root.addEventListener('input', (e) => {
  const el = e.target as HTMLInputElement;
  if (el.dataset?.cmd !== 'slide') return;
  const index = Number(el.dataset.index);
  const id = candidatesOf(model)[index]?.id;
  dispatch({ type: 'setScore', score: Number(el.value), index, coalesce: `slide:${id}` });
});

// The look bar: the search form and the strategy / batch size selects.
root.addEventListener('submit', (e) => {
  const form = e.target as HTMLFormElement;
  if (form.dataset?.cmd !== 'search') return;
  e.preventDefault();
  const text = form.querySelector('input')?.value.trim() ?? '';
  if (text) void search({ kind: 'text', text });
});

root.addEventListener('change', (e) => {
  const el = e.target as HTMLSelectElement;
  if (el.dataset?.cmd === 'strategy')
    api.notify({ kind: 'notify', method: 'batchOptions', strategy: el.value as StrategyName });
  else if (el.dataset?.cmd === 'batch-size')
    api.notify({ kind: 'notify', method: 'batchOptions', batchSize: Number(el.value) });
});

// Clicking or tabbing into a card makes it the focused one.
root.addEventListener('focusin', (e) => {
  const card = (e.target as Element | null)?.closest<HTMLElement>('.card');
  if (card?.dataset.index !== undefined) dispatch({ type: 'focus', index: Number(card.dataset.index) });
});

api.notify({ kind: 'notify', method: 'ready' });
