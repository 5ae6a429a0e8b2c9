import type * as vscode from 'vscode';
import type { BatchCandidate } from '../../core/tune/session';
import type { BatchSource } from '../../protocol/webview-protocol';

/**
 * The batch on screen, persisted in workspace state until it is submitted, with the user's unsubmitted
 * scores (the panel's drafts). A window reload shows the same batch with the same scores, and a Next Batch
 * while one is pending shows it again instead of querying anew.
 */
export interface PendingBatch {
  headDir: string;
  batchId: string;
  candidates: BatchCandidate[];
  draft: Record<string, number | null>;
  /** A searched batch's query; absent: the head's own next batch. */
  source?: BatchSource;
}

const KEY = 'vectorTune.pendingBatch';

export class BatchStore {
  constructor(private readonly state: vscode.Memento) {}

  get(headDir: string): PendingBatch | undefined {
    const pending = this.state.get<PendingBatch>(KEY);
    return pending && pending.headDir === headDir ? pending : undefined;
  }

  async set(batch: PendingBatch | undefined): Promise<void> {
    await this.state.update(KEY, batch);
  }

  async saveDraft(batchId: string, draft: Record<string, number | null>): Promise<void> {
    const pending = this.state.get<PendingBatch>(KEY);
    if (!pending || pending.batchId !== batchId) return;
    // Only ids of the batch are kept: the panel is untrusted and may not grow this record.
    const ids = new Set(pending.candidates.map((c) => c.id));
    const clean = Object.fromEntries(Object.entries(draft).filter(([id]) => ids.has(id)));
    await this.state.update(KEY, { ...pending, draft: clean });
  }
}
