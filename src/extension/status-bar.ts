import * as vscode from 'vscode';
import type { HeadSummary } from '../protocol/worker-protocol';

/** Shows the current head, its labels and the store size; a click opens the scoring panel. */
export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('vectorTune.status', vscode.StatusBarAlignment.Left, 50);

  constructor() {
    this.item.name = 'Vector Tune';
    this.item.command = 'vectorTune.showPanel';
    this.show(undefined, undefined);
  }

  /** `remote`: the Pinecone index name when the store is one (the embedded store goes unmentioned). */
  show(head: HeadSummary | undefined, storeCount: number | undefined, remote?: string): void {
    const store =
      (storeCount === undefined ? 'no store' : `${storeCount.toLocaleString('en-US')} images`) +
      (remote ? ' (Pinecone)' : '');
    this.item.text = head
      ? `$(beaker) ${head.name}: ${head.labelCount} labels · ${store}`
      : `$(beaker) Vector Tune: ${store}`;
    const where = remote ? `\nStore: the Pinecone index "${remote}".` : '';
    this.item.tooltip = head
      ? `Head "${head.name}" (${head.modelId}): ${head.labelCount} labels, ${head.seenCount} of ${head.storeCount} seen.${where}\nClick to open the scoring panel.`
      : `No head open.${where} Click to open the scoring panel.`;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
