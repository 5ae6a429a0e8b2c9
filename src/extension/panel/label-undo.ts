import type { LabelChange } from '../../core/tune/session';

/** One undoable step: the changes that revert it, and what it was (for the Undo button's title). */
interface UndoStep {
  revert: LabelChange[];
  what: string;
}

/** Steps kept; each is a few ids, and the stack lives only as long as the window. */
const MAX_STEPS = 200;

/**
 * Undo for the head's labels across the rounds of this session: a submitted round (undone by removing its labels)
 * and each change made in the Labelled view (undone by restoring the earlier score, or the label it removed).
 * Undoing appends lines like any change: labels.jsonl keeps the whole history.
 */
export class LabelUndo {
  private steps: UndoStep[] = [];
  private headDir: string | undefined;

  /** Forgets the steps of another head (undo applies to the open head only). */
  forHead(headDir: string): this {
    if (headDir !== this.headDir) {
      this.steps = [];
      this.headDir = headDir;
    }
    return this;
  }

  roundSubmitted(round: number, labelled: string[]): void {
    if (labelled.length > 0)
      this.push({
        revert: labelled.map((id) => ({ id, score: null })),
        what: `round ${round} (${labelled.length} labels)`,
      });
  }

  labelChanged(id: string, name: string, before: number, after: number | null): void {
    this.push({
      revert: [{ id, score: before }],
      what: after === null ? `removal of ${name}` : `new score of ${name}`,
    });
  }

  /** What Undo would revert, or null. */
  get next(): string | null {
    return this.steps.at(-1)?.what ?? null;
  }

  /** Takes the last step: its reverting changes (the caller applies them). */
  pop(): UndoStep | undefined {
    return this.steps.pop();
  }

  /** Puts a step back (applying it failed). */
  push(step: UndoStep): void {
    this.steps.push(step);
    if (this.steps.length > MAX_STEPS) this.steps.shift();
  }
}
