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

  show(head: HeadSummary | undefined, storeCount: number | undefined): void {
    const store = storeCount === undefined ? 'no store' : `${storeCount.toLocaleString('en-US')} images`;
    this.item.text = head ? `$(beaker) ${head.name}: ${head.labelCount} labels · ${store}` : `$(beaker) Vector Tune: ${store}`;
    this.item.tooltip = head
      ? `Head "${head.name}" (${head.modelId}): ${head.labelCount} labels, ${head.seenCount} of ${head.storeCount} seen.\nClick to open the scoring panel.`
      : 'No head open. Click to open the scoring panel.';
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
