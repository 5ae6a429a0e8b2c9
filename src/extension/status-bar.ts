import * as vscode from 'vscode';
import type { HeadSummary } from '../protocol/worker-protocol';

/**
 * Shows the current head, its labels and the store size; a click opens the scoring panel. With images indexed
 * and no head open it offers the next step instead, for as long as it is the next step (the notification that
 * offered it after indexing hides itself after a few seconds).
 */
export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('vectorTune.status', vscode.StatusBarAlignment.Left, 50);

  constructor() {
    this.item.name = 'Vector Tune';
    this.show(undefined, undefined);
  }

  /** `remote`: the Pinecone index name when the store is one (the embedded store goes unmentioned). */
  show(head: HeadSummary | undefined, storeCount: number | undefined, remote?: string): void {
    const store =
      (storeCount === undefined ? 'no store' : `${storeCount.toLocaleString('en-US')} images`) +
      (remote ? ' (Pinecone)' : '');
    const startOne = !head && storeCount !== undefined && storeCount > 0;
    this.item.text = head
      ? `$(beaker) ${head.name}: ${head.labelCount} labels · ${store}`
      : `$(beaker) Vector Tune: ${store}${startOne ? ' · $(add) New Head' : ''}`;
    this.item.command = startOne ? 'vectorTune.newHeadFromPrompt' : 'vectorTune.showPanel';
    const where = remote ? `\nStore: the Pinecone index "${remote}".` : '';
    this.item.tooltip = head
      ? `Head "${head.name}" (${head.modelId}): ${head.labelCount} labels, ${head.seenCount} of ${head.storeCount} seen.${where}\nClick to open the scoring panel.`
      : startOne
        ? `No head open.${where} Click to start one from a prompt (New Head from Prompt...).`
        : `No head open.${where} Click to open the scoring panel.`;
    this.item.show();
  }

  /** What the item shows (for tests without a page to read it from). */
  get text(): string {
    return this.item.text;
  }

  dispose(): void {
    this.item.dispose();
  }
}
