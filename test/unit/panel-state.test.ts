import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { CandidateView, HeadView, PanelState } from '../../src/protocol/webview-protocol';
import { keyToAction } from '../../src/webview/keys';
import { fromPersisted, toPersisted } from '../../src/webview/persist';
import {
  type Action,
  canSubmit,
  formatScore,
  headSummary,
  initialModel,
  MAX_UNDO,
  type PanelModel,
  reduce,
  sanitizeDraft,
  scoreOf,
  submitEntries,
  unscoredCount,
} from '../../src/webview/state';

const head: HeadView = { name: 'hat', labelCount: 4, storeCount: 48, seenCount: 12, strategy: 'top' };
const candidates = (n: number): CandidateView[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `img/${i}.jpg`,
    name: `${i}.jpg`,
    src: `https://x/${i}.jpg`,
    logit: 0,
    probability: 0.5,
  }));
const batch = (n: number, batchId = 'b1', draft: Record<string, number | null> = {}): PanelState => ({
  kind: 'batch',
  batchId,
  head,
  candidates: candidates(n),
  draft,
});

function run(model: PanelModel, ...actions: Action[]): PanelModel {
  return actions.reduce(reduce, model);
}
const start = (n = 8, columns = 4) =>
  run(initialModel(), { type: 'receiveState', state: batch(n) }, { type: 'setColumns', columns });
const scores = (m: PanelModel) => submitEntries(m).map((e) => e.score);

test('a batch starts unscored, focused on the first image, and submits every image as skipped', () => {
  const m = start();
  assert.equal(m.focus, 0);
  assert.equal(unscoredCount(m), 8);
  assert.deepEqual(scores(m), [null, null, null, null, null, null, null, null]);
  assert.ok(canSubmit(m));
});

test('scoring with advance moves focus; clear makes an image unscored again', () => {
  let m = run(start(), { type: 'setScore', score: 1, advance: true }, { type: 'setScore', score: -0.5, advance: true });
  assert.deepEqual(scores(m).slice(0, 3), [1, -0.5, null]);
  assert.equal(m.focus, 2);
  m = run(m, { type: 'move', dir: 'left' }, { type: 'clear' });
  assert.equal(scoreOf(m, 'img/1.jpg'), null);
  assert.equal(m.focus, 1);
  // Scoring the last image keeps focus there.
  m = run(m, { type: 'move', dir: 'last' }, { type: 'setScore', score: 0, advance: true });
  assert.equal(m.focus, 7);
  assert.equal(scoreOf(m, 'img/7.jpg'), 0);
});

test('scores are clamped to [-1, 1]; NaN is ignored', () => {
  const m = run(
    start(),
    { type: 'setScore', score: 3, index: 0 },
    { type: 'setScore', score: -9, index: 1 },
    { type: 'setScore', score: NaN, index: 2 },
  );
  assert.deepEqual(scores(m).slice(0, 3), [1, -1, null]);
});

test('arrow moves follow the grid: up/down by columns, clamped at the edges', () => {
  // 10 images in 4 columns: rows 0-3, 4-7, 8-9.
  let m = start(10, 4);
  const at = (mm: PanelModel) => mm.focus;
  m = run(m, { type: 'move', dir: 'down' });
  assert.equal(at(m), 4);
  m = run(m, { type: 'move', dir: 'down' });
  assert.equal(at(m), 8);
  m = run(m, { type: 'move', dir: 'down' });
  assert.equal(at(m), 8, 'down from the last row stays');
  m = run(
    m,
    { type: 'move', dir: 'up' },
    { type: 'move', dir: 'right' },
    { type: 'move', dir: 'right' },
    { type: 'move', dir: 'right' },
  );
  assert.equal(at(m), 7);
  m = run(m, { type: 'move', dir: 'down' });
  assert.equal(at(m), 9, 'down from a column the short last row lacks lands on the last image');
  m = run(m, { type: 'move', dir: 'right' });
  assert.equal(at(m), 9, 'right from the last image stays');
  m = run(m, { type: 'move', dir: 'first' }, { type: 'move', dir: 'up' }, { type: 'move', dir: 'left' });
  assert.equal(at(m), 0);
  // Fewer columns after a resize changes what "down" means.
  m = run(m, { type: 'setColumns', columns: 2 }, { type: 'move', dir: 'down' });
  assert.equal(at(m), 2);
});

test('"a" scores only the unscored images -1, as one undo step', () => {
  let m = run(start(4), { type: 'setScore', score: 1, index: 1 }, { type: 'setScore', score: 0.5, index: 3 });
  m = run(m, { type: 'scoreRestNegative' });
  assert.deepEqual(scores(m), [-1, 1, -1, 0.5]);
  assert.equal(unscoredCount(m), 0);
  assert.equal(run(m, { type: 'scoreRestNegative' }), m, 'nothing left to score: the model is unchanged');
  m = run(m, { type: 'undo' });
  assert.deepEqual(scores(m), [null, 1, null, 0.5]);
});

test('undo is a stack: each step restores the previous score and the focus', () => {
  let m = run(
    start(),
    { type: 'setScore', score: 1, advance: true },
    { type: 'setScore', score: -1, advance: true },
    { type: 'setScore', score: 0.5, index: 0 },
  );
  assert.deepEqual(scores(m).slice(0, 2), [0.5, -1]);
  m = run(m, { type: 'undo' });
  assert.deepEqual(scores(m).slice(0, 2), [1, -1]);
  assert.equal(m.focus, 0);
  m = run(m, { type: 'undo' });
  assert.deepEqual(scores(m).slice(0, 2), [1, null]);
  assert.equal(m.focus, 1);
  m = run(m, { type: 'undo' }, { type: 'undo' }, { type: 'undo' });
  assert.deepEqual(scores(m).slice(0, 2), [null, null]);
  assert.equal(m.undo.length, 0);
});

test('a slider drag coalesces into one undo step; a same-score edit records nothing', () => {
  let m = start();
  for (const s of [0.25, 0.5, 0.75, 1])
    m = reduce(m, { type: 'setScore', score: s, index: 2, coalesce: 'slide:img/2.jpg' });
  assert.equal(m.undo.length, 1);
  assert.equal(run(m, { type: 'setScore', score: 1, index: 2 }).undo.length, 1);
  m = run(m, { type: 'undo' });
  assert.equal(scoreOf(m, 'img/2.jpg'), null);
});

test('nudge steps by 0.25 from the current score (0 when unscored), clamped', () => {
  let m = run(start(), { type: 'nudge', delta: 0.25 }, { type: 'nudge', delta: 0.25 });
  assert.equal(scoreOf(m, 'img/0.jpg'), 0.5);
  m = run(m, { type: 'nudge', delta: 0.25 }, { type: 'nudge', delta: 0.25 }, { type: 'nudge', delta: 0.25 });
  assert.equal(scoreOf(m, 'img/0.jpg'), 1);
  assert.equal(m.undo.length, 1, 'nudges on one image coalesce');
});

test('the undo stack is bounded', () => {
  let m = start(2);
  for (let i = 0; i < MAX_UNDO + 50; i++) m = reduce(m, { type: 'setScore', score: i % 2 ? 1 : -1, index: 0 });
  assert.equal(m.undo.length, MAX_UNDO);
});

test('a draft is applied to a new batch (only its ids, only valid scores); focus goes to the first unscored', () => {
  const m = run(initialModel(), {
    type: 'receiveState',
    state: batch(4, 'b1', { 'img/0.jpg': 1, 'img/1.jpg': null, 'img/9.jpg': 1, 'img/2.jpg': 0.5 }),
  });
  assert.deepEqual(scores(m), [1, null, 0.5, null]);
  assert.equal(m.focus, 1);
  assert.deepEqual(sanitizeDraft({ 'img/0.jpg': Infinity, 'img/1.jpg': 2 }, candidates(2)), {
    'img/1.jpg': 1,
  });
});

test('a new batchId resets scores and undo; the same batch again keeps them', () => {
  let m = run(start(), { type: 'setScore', score: 1, index: 0 });
  m = run(
    m,
    { type: 'receiveState', state: { kind: 'loading', message: '...' } },
    { type: 'receiveState', state: batch(8, 'b1', {}) },
  );
  assert.equal(scoreOf(m, 'img/0.jpg'), 1, 'a re-sent batch keeps local scores over an older (empty) draft');
  assert.equal(m.undo.length, 1);
  m = run(m, { type: 'receiveState', state: batch(8, 'b2') });
  assert.equal(scoreOf(m, 'img/0.jpg'), null);
  assert.equal(m.undo.length, 0);
  assert.equal(m.batchId, 'b2');
});

test('submit: in flight blocks edits and a second submit; failure keeps the scores; success waits for the next state', () => {
  const m = run(start(4), { type: 'setScore', score: 1, index: 0 }, { type: 'submitStart' });
  assert.ok(m.inFlight);
  assert.equal(canSubmit(m), false);
  assert.equal(run(m, { type: 'setScore', score: -1, index: 1 }), m);
  assert.equal(run(m, { type: 'undo' }), m);
  const failed = run(m, { type: 'submitFailed', batchId: 'b1', notice: { message: 'disk full', userError: true } });
  assert.equal(failed.inFlight, false);
  assert.equal(failed.notice?.message, 'disk full');
  assert.equal(scoreOf(failed, 'img/0.jpg'), 1);
  assert.ok(canSubmit(failed));
  const done = run(m, {
    type: 'submitDone',
    batchId: 'b1',
    result: { head: 'hat', round: 3, labelCount: 9, loss: 0.4, moved: 0.1 },
  });
  assert.ok(done.submitted && !done.inFlight && !canSubmit(done));
  const summary = headSummary(done);
  assert.equal(summary?.labelCount, 9);
  assert.deepEqual(summary?.lastRound, { round: 3, loss: 0.4, moved: 0.1 });
  const next = run(done, { type: 'receiveState', state: batch(4, 'b2') });
  assert.ok(!next.submitted && canSubmit(next));
  assert.equal(unscoredCount(next), 4);
  // Another head opened: the last head's round and count do not show beside it.
  const shoe = run(done, {
    type: 'receiveState',
    state: {
      ...(batch(4, 'b3') as Extract<PanelState, { kind: 'batch' }>),
      head: { ...head, name: 'shoe', labelCount: 0 },
    },
  });
  assert.equal(headSummary(shoe)?.labelCount, 0);
  assert.equal(headSummary(shoe)?.lastRound, undefined);
});

test('overlays: the viewer steps linearly, Escape closes, help is exclusive', () => {
  let m = run(start(8, 4), { type: 'toggleViewer' });
  assert.equal(m.overlay, 'viewer');
  m = run(m, { type: 'move', dir: 'down' });
  assert.equal(m.focus, 1, 'in the viewer, down means next');
  m = run(m, { type: 'escape' });
  assert.equal(m.overlay, 'none');
  m = run(m, { type: 'toggleHelp' }, { type: 'toggleViewer' });
  assert.equal(m.overlay, 'help');
  assert.equal(run(initialModel(), { type: 'toggleViewer' }).overlay, 'none', 'no viewer without images');
});

test('persisted state round-trips scores, undo and focus, and rejects junk', () => {
  const m = run(
    start(),
    { type: 'setScore', score: 1, advance: true },
    { type: 'setScore', score: -0.5, advance: true },
  );
  const back = fromPersisted(JSON.parse(JSON.stringify(toPersisted(m))));
  assert.deepEqual(back.scores, m.scores);
  assert.deepEqual(back.undo, m.undo);
  assert.equal(back.focus, 2);
  assert.equal(back.batchId, 'b1');
  assert.equal(
    run(back, { type: 'receiveState', state: batch(8, 'b1') }).scores['img/0.jpg'],
    1,
    'a restored panel keeps its scores when the batch comes back',
  );
  assert.equal(fromPersisted({ v: 99 }).state.kind, 'loading');
  assert.equal(fromPersisted(null).batchId, null);
  assert.deepEqual(fromPersisted({ ...toPersisted(m), scores: { a: 5, b: 'x', c: 0.5 } }).scores, { c: 0.5 });
});

test('formatScore', () => {
  assert.deepEqual([1, 0.5, 0.25, 0, -0.5, -1, null].map(formatScore), [
    '+1',
    '+0.5',
    '+0.25',
    '0',
    '\u22120.5',
    '\u22121',
    'skip',
  ]);
});

test('keyToAction: the keyboard contract', () => {
  assert.deepEqual(keyToAction('1'), { type: 'setScore', score: -1, advance: true });
  assert.deepEqual(keyToAction('3'), { type: 'setScore', score: 0, advance: true });
  assert.deepEqual(keyToAction('5'), { type: 'setScore', score: 1, advance: true });
  for (const k of ['0', 'Backspace', 'Delete']) assert.deepEqual(keyToAction(k), { type: 'clear' });
  assert.deepEqual(keyToAction('ArrowDown'), { type: 'move', dir: 'down' });
  assert.deepEqual(keyToAction('a'), { type: 'scoreRestNegative' });
  assert.deepEqual(keyToAction('u'), { type: 'undo' });
  assert.deepEqual(keyToAction('z', { ctrl: true }), { type: 'undo' });
  assert.deepEqual(keyToAction('z', { meta: true }), { type: 'undo' });
  assert.deepEqual(keyToAction('Enter'), { type: 'submit' });
  assert.deepEqual(keyToAction(' '), { type: 'toggleViewer' });
  assert.deepEqual(keyToAction('o'), { type: 'toggleViewer' });
  assert.deepEqual(keyToAction('O', { shift: true }), { type: 'openInEditor' });
  assert.deepEqual(keyToAction('Escape'), { type: 'escape' });
  assert.deepEqual(keyToAction('?', { shift: true }), { type: 'toggleHelp' });
  assert.deepEqual(keyToAction('+', { shift: true }), { type: 'nudge', delta: 0.25 });
  // Modifiers and capitals do not fire letter shortcuts; VS Code keeps its own chords.
  assert.equal(keyToAction('A', { shift: true }), null);
  assert.equal(keyToAction('a', { ctrl: true }), null);
  assert.equal(keyToAction('1', { alt: true }), null);
  assert.equal(keyToAction('p', { ctrl: true, shift: true }), null);
  assert.equal(keyToAction('x'), null);
  // A focused button keeps Enter/Space; the slider keeps its arrows; a text field keeps all but Escape.
  assert.equal(keyToAction('Enter', {}, 'button'), null);
  assert.equal(keyToAction(' ', {}, 'button'), null);
  assert.deepEqual(keyToAction('Enter', { ctrl: true }, 'button'), { type: 'submit' });
  assert.deepEqual(keyToAction('ArrowDown', {}, 'button'), { type: 'move', dir: 'down' });
  assert.equal(keyToAction('ArrowLeft', {}, 'range'), null);
  assert.deepEqual(keyToAction('4', {}, 'range'), { type: 'setScore', score: 0.5, advance: true });
  assert.equal(keyToAction('1', {}, 'text'), null);
  assert.deepEqual(keyToAction('Escape', {}, 'text'), { type: 'escape' });
});

test('every action is a no-op before any batch arrives', () => {
  const m = initialModel();
  const actions: Action[] = [
    { type: 'setScore', score: 1 },
    { type: 'clear' },
    { type: 'undo' },
    { type: 'scoreRestNegative' },
    { type: 'move', dir: 'down' },
    { type: 'submitStart' },
    { type: 'nudge', delta: 0.25 },
  ];
  for (const a of actions) assert.equal(reduce(m, a), m, a.type);
});

test('thumbnail size: a known size sets it and persists; junk is ignored or restores as medium', () => {
  const m = run(start(), { type: 'setThumbSize', size: 'large' });
  assert.equal(m.thumbSize, 'large');
  assert.equal(run(m, { type: 'setThumbSize', size: 'huge' as never }), m, 'an unknown size changes nothing');
  assert.equal(fromPersisted(JSON.parse(JSON.stringify(toPersisted(m)))).thumbSize, 'large');
  assert.equal(fromPersisted({ ...toPersisted(m), thumbSize: 'huge' }).thumbSize, 'medium');
  const { thumbSize: _, ...older } = toPersisted(m);
  assert.equal(fromPersisted(older).thumbSize, 'medium', 'what a panel saved before the control existed');
});

test('keyToAction: m asks for more like the focused image, / goes to the search box; text fields keep them', () => {
  assert.deepEqual(keyToAction('m'), { type: 'moreLikeThis' });
  assert.deepEqual(keyToAction('/'), { type: 'focusSearch' });
  assert.equal(keyToAction('M', { shift: true }), null, 'lower-case only, as the other letters');
  assert.equal(keyToAction('m', {}, 'text'), null);
  assert.equal(keyToAction('/', {}, 'text'), null);
  assert.deepEqual(keyToAction('Escape', {}, 'text'), { type: 'escape' });
});
