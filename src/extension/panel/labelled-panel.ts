import * as path from 'node:path';
import type { LabelledRecord } from '../../core/tune/labelled-view';
import type { LabelChange } from '../../core/tune/session';
import type { AnnotatorsView, HeadView, LabelledView, PanelState } from '../../protocol/webview-protocol';
import type { HeadSummary } from '../../protocol/worker-protocol';
import type { Ctx } from '../ctx';
import { agreementView, annotatorsById } from './agreement-view';
import { LabelUndo } from './label-undo';

/** What the Labelled view needs from the panel it is shown in. */
export interface LabelledHost {
  post(state: PanelState): void;
  headView(head: HeadSummary): HeadView;
  /** A webview URI for a workspace-relative path ('' when it is not a workspace file); allows its folder. */
  srcOf(relative: string | undefined): string;
  /** Something went wrong: the panel shows it. */
  fail(doing: string, err: unknown): void;
}

/**
 * The Labelled view's extension side: asks the worker for the head's labels, and turns the panel's changes and
 * undo into appended lines (changeLabels), then shows the view again. The panel is untrusted: a change must
 * name an image the view shows.
 */
export class LabelledPanel {
  readonly undo = new LabelUndo();
  private shown = new Map<string, LabelledRecord>();

  constructor(
    private readonly ctx: Ctx,
    private readonly host: LabelledHost,
  ) {}

  /** The view is on screen (between show() and hidden()). */
  showing = false;

  async show(): Promise<void> {
    const head = this.ctx.head;
    if (!head) return;
    const headDir = path.dirname(head.weightsFile);
    // A refresh after a change keeps the view on screen (with its filters and sort) until the new one arrives.
    if (!this.showing) this.host.post({ kind: 'loading', message: `Reading the labels of "${head.name}"...` });
    try {
      const { head: fresh, records, agreement } = await this.ctx.request('labelled', { headDir, order: 'round' });
      this.ctx.setHead(fresh);
      this.shown = new Map(records.map((r) => [r.id, r]));
      this.showing = true;
      const annotators = annotatorsById(agreement);
      this.host.post({
        kind: 'labelled',
        head: this.host.headView(fresh),
        records: records.map((r) => this.view(r, annotators.get(r.id))),
        undo: this.undo.forHead(headDir).next,
        agreement: agreementView(agreement),
      });
    } catch (err) {
      this.host.fail('reading the labels', err);
    }
  }

  /** The panel left the view (a batch or another state is shown). */
  hidden(): void {
    this.showing = false;
    this.shown.clear();
  }

  /** A score (or null: remove) for a labelled image the view shows; false when the panel named another. */
  async change(id: string, score: number | null): Promise<boolean> {
    const record = this.shown.get(id);
    const head = this.ctx.head;
    if (!record || !head) return false;
    if (score === record.score) return true;
    const headDir = path.dirname(head.weightsFile);
    await this.apply(headDir, [{ id, score }]);
    this.undo.forHead(headDir).labelChanged(id, path.basename(record.path ?? id), record.score, score);
    await this.show();
    return true;
  }

  /**
   * Settles annotators' disagreement on an image the view shows at `score`: a line marked settled, by this user.
   * Not an undo step: reverting it would take a plain line by this user, which would count as their own score in
   * the kappa; settling again at another score is the way back.
   */
  async settle(id: string, score: number): Promise<boolean> {
    const head = this.ctx.head;
    if (!this.shown.has(id) || !head) return false;
    await this.apply(path.dirname(head.weightsFile), [{ id, score, settle: true }]);
    await this.show();
    return true;
  }

  async undoLast(): Promise<void> {
    const head = this.ctx.head;
    if (!head) return;
    const headDir = path.dirname(head.weightsFile);
    const step = this.undo.forHead(headDir).pop();
    if (!step) return;
    if (!(await this.apply(headDir, step.revert))) this.undo.push(step);
    await this.show();
  }

  private async apply(headDir: string, changes: LabelChange[]): Promise<boolean> {
    try {
      const { head, notes, ms } = await this.ctx.request('changeLabels', { headDir, changes });
      this.ctx.setHead(head);
      this.ctx.log.info(`head "${head.name}": ${changes.length} label change(s), retrained in ${ms.toFixed(0)} ms`);
      for (const note of notes) this.ctx.log.warn(`head "${head.name}": ${note}`);
      return true;
    } catch (err) {
      await this.ctx.showError(err, 'changing a label');
      return false;
    }
  }

  private view(r: LabelledRecord, annotators: AnnotatorsView | undefined): LabelledView {
    const v: LabelledView = {
      id: r.id,
      name: path.basename(r.path ?? r.id),
      path: r.path ?? '',
      src: this.host.srcOf(r.path),
      score: r.score,
      round: r.round,
      probability: r.probability,
      disagreement: r.disagreement,
    };
    if (r.by !== undefined) v.by = r.by;
    if (annotators) v.annotators = annotators;
    return v;
  }
}
