import { type Command, QUICK_SCORES, SCORE_STEP } from './state';

/** Pure key mapping for the scoring panel (no DOM): main.ts feeds it KeyboardEvent.key and modifiers. */

/** The keys 1..5 give the quick scores in order. */
const KEY_SCORES: Record<string, number> = Object.fromEntries(QUICK_SCORES.map((score, k) => [String(k + 1), score]));

export interface KeyModifiers {
  shift?: boolean;
  ctrl?: boolean;
  meta?: boolean;
  alt?: boolean;
}

/**
 * What has DOM focus when the key is pressed. A focused button keeps Enter and Space (they click it), the
 * slider keeps the arrows, Home and End (they move it), and a text field keeps everything but Escape.
 */
export type KeyTarget = 'none' | 'button' | 'range' | 'text';

export function keyToAction(key: string, mods: KeyModifiers = {}, target: KeyTarget = 'none'): Command | null {
  if (target === 'text') return key === 'Escape' ? { type: 'escape' } : null;
  if (mods.alt) return null;
  if (mods.ctrl || mods.meta) {
    // The platform's undo chord and Ctrl/Cmd+Enter (submit even with a button focused); nothing else,
    // so VS Code keeps its own shortcuts.
    if (!mods.shift && (key === 'z' || key === 'Z')) return { type: 'undo' };
    if (key === 'Enter') return { type: 'submit' };
    return null;
  }
  const native =
    (target === 'button' && (key === 'Enter' || key === ' ')) || (target === 'range' && RANGE_KEYS.has(key));
  if (native) return null;
  switch (key) {
    case 'ArrowLeft':
      return { type: 'move', dir: 'left' };
    case 'ArrowRight':
      return { type: 'move', dir: 'right' };
    case 'ArrowUp':
      return { type: 'move', dir: 'up' };
    case 'ArrowDown':
      return { type: 'move', dir: 'down' };
    case 'Home':
      return { type: 'move', dir: 'first' };
    case 'End':
      return { type: 'move', dir: 'last' };
    case '0':
    case 'Backspace':
    case 'Delete':
      return { type: 'clear' };
    case '-':
      return { type: 'nudge', delta: -SCORE_STEP };
    case '+':
    case '=':
      return { type: 'nudge', delta: SCORE_STEP };
    case 'Enter':
      return mods.shift ? null : { type: 'submit' };
    case ' ':
      return { type: 'toggleViewer' };
    case 'Escape':
      return { type: 'escape' };
    case '?':
      return { type: 'toggleHelp' };
    case '/':
      return { type: 'focusSearch' };
  }
  if (key in KEY_SCORES) return { type: 'setScore', score: KEY_SCORES[key], advance: true };
  // Letters: Shift+O (key "O") opens the image in an editor; the rest are lower-case only, so Caps Lock
  // or a stray Shift does not fire them by surprise.
  if (key === 'O' && mods.shift) return { type: 'openInEditor' };
  if (mods.shift) return null;
  switch (key) {
    case 'a':
      return { type: 'scoreRestNegative' };
    case 'u':
      return { type: 'undo' };
    case 'o':
      return { type: 'toggleViewer' };
    case 'm':
      return { type: 'moreLikeThis' };
  }
  return null;
}

const RANGE_KEYS = new Set(['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End', 'PageUp', 'PageDown']);
