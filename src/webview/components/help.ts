import { h, icon, kbd } from '../dom';

/** The keyboard contract, shown in the help overlay; keys.ts implements it. */
export const SHORTCUTS: { keys: string[]; what: string }[] = [
  { keys: ['\u2190', '\u2191', '\u2192', '\u2193'], what: 'Move between images (up and down by rows)' },
  { keys: ['1', '2', '3', '4', '5'], what: 'Score \u22121, \u22120.5, 0, +0.5, +1 and move to the next image' },
  { keys: ['\u2212', '+'], what: 'Nudge the score by 0.25' },
  { keys: ['0', 'Backspace'], what: 'Clear the score: the image is skipped (seen, not labelled)' },
  { keys: ['A'], what: 'Score every unscored image \u22121 ("the rest are negative")' },
  { keys: ['U'], what: 'Undo the last score change (repeat to go further back)' },
  { keys: ['Enter'], what: 'Submit: train on the scores, then show the next batch' },
  { keys: ['Space', 'O'], what: 'View the image larger; Escape closes' },
  { keys: ['Shift', 'O'], what: 'Open the image in an editor tab' },
  { keys: ['M'], what: 'More like this: a batch of the unseen images nearest the focused one' },
  { keys: ['/'], what: 'Search the images by text (Enter searches, Escape goes back to the images)' },
  { keys: ['Home', 'End'], what: 'First or last image' },
  { keys: ['?'], what: 'Show or hide this list' },
];

/** The one-line reminder under the header. */
export function hintLine(): HTMLElement {
  const item = (keys: string[], what: string) => h('span', { class: 'hint-item' }, kbd(...keys), ` ${what}`);
  return h(
    'div',
    { class: 'hint', 'data-testid': 'hint' },
    item(['\u2190\u2191\u2192\u2193'], 'move'),
    item(['1\u20135'], 'score'),
    item(['0'], 'skip'),
    item(['A'], 'rest \u22121'),
    item(['U'], 'undo'),
    item(['Space'], 'view'),
    item(['Enter'], 'submit'),
    h(
      'button',
      {
        type: 'button',
        class: 'link-btn hint-help',
        'data-cmd': 'help',
        'data-testid': 'help-button',
        title: 'All keyboard shortcuts  (?)',
      },
      kbd('?'),
      'All shortcuts',
    ),
  );
}

/** A modal list of every shortcut. Escape, ? or the close button dismiss it. */
export function buildHelp(): HTMLElement {
  const rows = SHORTCUTS.map(({ keys, what }) =>
    h('tr', {}, h('th', { scope: 'row' }, kbd(...keys)), h('td', {}, what)),
  );
  return h(
    'div',
    { class: 'overlay help-overlay', 'data-testid': 'help', 'data-cmd': 'backdrop', hidden: true },
    h(
      'div',
      { class: 'dialog', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'help-title', tabindex: -1 },
      h(
        'div',
        { class: 'dialog-head' },
        h('h2', { id: 'help-title' }, 'Keyboard shortcuts'),
        h(
          'button',
          {
            type: 'button',
            class: 'icon-btn',
            'data-cmd': 'close-overlay',
            'aria-label': 'Close',
            title: 'Close  (Escape)',
          },
          icon('close'),
        ),
      ),
      h('table', { class: 'shortcuts' }, h('tbody', {}, ...rows)),
      h(
        'p',
        { class: 'dialog-foot' },
        'Everything also works with the mouse. Unscored images are submitted as skipped: seen by the head, but not labelled.',
      ),
    ),
  );
}
