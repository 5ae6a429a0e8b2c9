import type { HeadView, PanelAction, PanelState } from '../../protocol/webview-protocol';
import { h, icon, type IconName } from '../dom';

/** Button labels follow VS Code's command naming ("..." when a dialog or input follows). */
export const ACTION_LABELS: Record<PanelAction, string> = {
  indexFolder: 'Index Folder...',
  newHeadFromPrompt: 'New Head from Prompt...',
  openHead: 'Open Head...',
  resetSeen: 'Reset Seen',
  nextBatch: 'Next Batch',
  showLog: 'Show Log',
  showLabelled: 'Labelled Images',
};

/** A button that asks the extension to run a palette command; main.ts turns the click into `runAction`. */
export function actionButton(action: PanelAction, secondary = false): HTMLElement {
  return h(
    'vscode-button',
    { 'data-cmd': 'run', 'data-action': action, 'data-testid': `action-${action}`, secondary },
    ACTION_LABELS[action],
  );
}

/**
 * Every state but `batch`, laid out like VS Code's welcome views: an icon, a title, one short explanation
 * and the buttons that get the user out of it.
 */
export function renderMessageState(state: Exclude<PanelState, { kind: 'batch' | 'labelled' }>): HTMLElement {
  switch (state.kind) {
    case 'loading':
      return screen(
        'loading',
        h('vscode-progress-ring', { class: 'ring', 'aria-label': 'Loading' }),
        h('p', { class: 'lead', role: 'status', 'data-testid': 'loading-message' }, state.message),
      );
    case 'empty-store':
      return screen(
        'empty-store',
        badge('folder'),
        h('h2', {}, 'No images indexed yet'),
        h(
          'p',
          {},
          'Index a folder of images to start. Each image is embedded with CLIP on this machine; nothing is uploaded. Indexing is incremental, so a second run only embeds what changed.',
        ),
        buttons(actionButton('indexFolder')),
      );
    case 'no-head':
      return screen(
        'no-head',
        badge('sparkle'),
        h('h2', {}, 'No head open'),
        h(
          'p',
          {},
          `${state.storeCount.toLocaleString()} ${state.storeCount === 1 ? 'image is' : 'images are'} indexed. Start a head from a text prompt that describes the class, or open one committed in vectortune/heads/.`,
        ),
        buttons(actionButton('newHeadFromPrompt'), actionButton('openHead', true)),
      );
    case 'all-seen':
      return screen(
        'all-seen',
        badge('check'),
        h('h2', {}, 'Every record has been seen by this head'),
        headLine(state.head),
        h(
          'p',
          {},
          'Reset Seen shows the skipped images again; labelled ones stay labelled. Or index more images to give the head new candidates.',
        ),
        buttons(actionButton('resetSeen'), actionButton('indexFolder', true)),
      );
    case 'error':
      return screen(
        'error',
        badge('warning', 'error'),
        h('h2', {}, 'Something went wrong'),
        h('p', { class: 'error-message', 'data-testid': 'error-message' }, state.message),
        buttons(
          state.action && state.action !== 'showLog' ? actionButton(state.action) : null,
          actionButton('showLog', !!state.action && state.action !== 'showLog'),
        ),
      );
  }
}

function screen(kind: string, ...children: (Node | null)[]): HTMLElement {
  return h(
    'section',
    { class: `message-state state-${kind}`, 'data-testid': `state-${kind}` },
    h('div', { class: 'message-inner' }, ...children),
  );
}

function badge(name: IconName, tone = ''): HTMLElement {
  return h('div', { class: `state-icon ${tone}`.trim(), 'aria-hidden': 'true' }, icon(name));
}

function buttons(...children: (HTMLElement | null)[]): HTMLElement {
  return h('div', { class: 'state-buttons' }, ...children);
}

function headLine(head: HeadView): HTMLElement {
  return h(
    'p',
    { class: 'head-line' },
    h('strong', {}, head.name),
    ` \u00b7 ${head.labelCount.toLocaleString()} labels \u00b7 ${head.seenCount.toLocaleString()} of ${head.storeCount.toLocaleString()} seen`,
  );
}
