import type { PanelNotification, PanelState } from '../protocol/webview-protocol';
import { LabelledScreen } from './components/labelled-view';
import { Grid } from './components/grid';
import { Header } from './components/header';
import { LookBar } from './components/look-bar';
import { buildHelp, hintLine } from './components/help';
import { spokenScore } from './components/score-controls';
import { renderMessageState } from './components/states';
import { Viewer } from './components/viewer';
import { h, setAttr } from './dom';
import { candidatesOf, type PanelModel, scoreOf } from './state';

/** The batch screen's parts; rebuilt only when a different batch (or different images) arrives. */
interface BatchScreen {
  key: string;
  header: Header;
  look: LookBar;
  grid: Grid;
  main: HTMLElement;
}

/**
 * Renders the model into #app. `render(model, prev)` does the least work that brings the DOM in line:
 * a new state kind or batch rebuilds the screen; anything else updates cards, header and overlays in place.
 */
export class PanelView {
  private readonly screen = h('div', { class: 'screen' });
  private readonly viewer = new Viewer();
  private readonly help = buildHelp();
  private readonly announcer = h('div', { class: 'sr-only', 'aria-live': 'polite', 'data-testid': 'announcer' });
  private batch: BatchScreen | null = null;
  private labelled: LabelledScreen | null = null;
  private shownState: PanelState | null = null;
  private readonly headerObserver: ResizeObserver;

  constructor(
    root: HTMLElement,
    private readonly onColumns: (columns: number) => void,
    /** What the Labelled view sends (label changes, undo). */
    private readonly onLabelled: (message: PanelNotification) => void,
  ) {
    root.replaceChildren(this.screen, this.viewer.el, this.help, this.announcer);
    root.removeAttribute('aria-busy');
    // Keyboard focus scrolls cards into view; the sticky header must not cover them.
    this.headerObserver = new ResizeObserver((entries) => {
      const height = Math.ceil(entries[0]?.borderBoxSize?.[0]?.blockSize ?? 0);
      document.documentElement.style.setProperty('--header-height', `${height}px`);
    });
  }

  render(model: PanelModel, prev: PanelModel | null): void {
    const rebuilt = this.ensureScreen(model);
    document.documentElement.dataset.thumb = model.thumbSize;
    if (this.batch && model.state.kind === 'batch') {
      this.batch.header.update(model);
      this.batch.look.update(model);
      this.batch.grid.update(model);
      if (prev && prev.thumbSize !== model.thumbSize) this.batch.grid.remeasure();
    }
    this.viewer.update(model);
    this.help.hidden = model.overlay !== 'help';
    // While an overlay is open the page behind it is inert: no clicks, no Tab stops, hidden from readers.
    setAttr(this.screen, 'inert', model.overlay !== 'none');
    if (model.overlay === 'help' && prev?.overlay !== 'help') this.help.querySelector<HTMLElement>('.dialog')?.focus();

    const focusMoved = !prev || prev.focus !== model.focus || prev.overlay !== model.overlay;
    if (this.batch && model.overlay === 'none' && (rebuilt || focusMoved)) this.batch.grid.focusCard(model.focus);
    if (prev && !rebuilt) this.announce(model, prev);
  }

  /** Moves the focus to the search box (the `/` key); false when no batch is on screen. */
  focusSearch(): boolean {
    if (!this.batch) return false;
    this.batch.look.focusSearch();
    return true;
  }

  /** Back from the look bar to the grid (Escape in the search box). */
  focusGrid(index: number): void {
    this.batch?.grid.focusCard(index);
  }

  /** True when the screen was rebuilt. */
  private ensureScreen(model: PanelModel): boolean {
    const state = model.state;
    if (state === this.shownState) return false;
    this.shownState = state;
    if (state.kind === 'batch') {
      // Same images in the same order (a re-sent batch with fresher head numbers): keep the cards.
      const key = `${state.batchId}\n${state.candidates.map((c) => `${c.id}\t${c.src}`).join('\n')}`;
      if (this.batch?.key === key) {
        this.batch.main.classList.remove('stale');
        return false;
      }
      this.dropBatch();
      const header = new Header();
      const look = new LookBar();
      const grid = new Grid(state.candidates, this.onColumns);
      const main = h(
        'main',
        { class: 'batch', 'data-testid': 'state-batch', 'aria-label': 'Scoring' },
        header.el,
        look.el,
        hintLine(),
        grid.el,
      );
      this.batch = { key, header, look, grid, main };
      this.headerObserver.observe(header.el);
      this.screen.replaceChildren(main);
      return true;
    }
    if (state.kind === 'loading' && this.batch) {
      this.batch.main.classList.add('stale');
      this.batch.header.showLoading(state.message);
      return false;
    }
    this.dropBatch();
    if (state.kind === 'labelled') {
      // One screen while it stays up, so its filters and sort survive the refresh after each change.
      this.labelled ??= new LabelledScreen(this.onLabelled);
      this.labelled.update(state);
      if (this.screen.firstChild !== this.labelled.el) this.screen.replaceChildren(this.labelled.el);
      return true;
    }
    this.labelled = null;
    this.screen.replaceChildren(renderMessageState(state));
    return true;
  }

  private dropBatch(): void {
    if (!this.batch) return;
    this.headerObserver.unobserve(this.batch.header.el);
    this.batch.grid.dispose();
    this.batch = null;
  }

  /** Tells screen readers what a key did, since focus does not move when a score changes in place. */
  private announce(model: PanelModel, prev: PanelModel): void {
    let message = '';
    if (model.scores !== prev.scores && model.batchId === prev.batchId) {
      const changed = candidatesOf(model).filter((c) => scoreOf(model, c.id) !== scoreOf(prev, c.id));
      if (model.undo.length < prev.undo.length)
        message = `Undone: ${changed.map((c) => `${c.name} ${spokenScore(scoreOf(model, c.id))}`).join(', ')}`;
      else if (changed.length === 1) message = `${changed[0].name}: ${spokenScore(scoreOf(model, changed[0].id))}`;
      else if (changed.length > 1) message = `${changed.length} images scored minus 1`;
    } else if (model.submitted && !prev.submitted && model.lastResult) {
      message = `Round ${model.lastResult.round} trained. Loading the next batch.`;
    } else if (model.inFlight && !prev.inFlight) {
      message = 'Training on this batch...';
    }
    if (message) this.announcer.textContent = message;
  }
}
