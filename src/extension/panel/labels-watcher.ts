import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';

/** Changes land in bursts (git writes, an editor saves twice): one sync after the burst. */
const SETTLE_MS = 300;
/** How often the file is stat'ed as well: VS Code's watcher missed outside writes in the web workbench (code-server). */
const POLL_MS = 1000;

/**
 * Watches the open head's labels.jsonl while the scoring panel is open: an outside change (an edit, a checkout,
 * a merge) is taken at once (the worker retrains from the file) and the user is told once, instead of at the next
 * batch. The worker's own writes come back here too, and find nothing new (it compares size and hash).
 */
export class LabelsWatcher implements vscode.Disposable {
  private watcher: vscode.FileSystemWatcher | undefined;
  private polled: string | undefined;
  private watchedDir: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Every note the user was shown, for the tests. */
  readonly told: string[] = [];

  constructor(
    private readonly ctx: Ctx,
    /** Called after a change was taken (the panel refreshes what it shows). */
    private readonly onSynced: () => Promise<void>,
  ) {}

  /** Watches the open head's file (or nothing when no head is open); called when the panel opens or the head changes. */
  watch(): void {
    const dir = this.ctx.head ? path.dirname(this.ctx.head.weightsFile) : undefined;
    if (dir === this.watchedDir) return;
    this.stop();
    if (!dir) return;
    this.watchedDir = dir;
    this.watcher = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(vscode.Uri.file(dir), 'labels.jsonl'),
    );
    const changed = () => this.schedule(dir);
    this.watcher.onDidChange(changed);
    this.watcher.onDidCreate(changed);
    this.watcher.onDidDelete(changed);
    // A stat a second as well (size and mtime; a replaced file too): cheap, and it does not depend on the watcher.
    this.polled = path.join(dir, 'labels.jsonl');
    fs.watchFile(this.polled, { interval: POLL_MS, persistent: false }, changed);
  }

  stop(): void {
    this.watcher?.dispose();
    this.watcher = undefined;
    if (this.polled) fs.unwatchFile(this.polled);
    this.polled = undefined;
    this.watchedDir = undefined;
    clearTimeout(this.timer);
  }

  private schedule(dir: string): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.sync(dir), SETTLE_MS);
  }

  private async sync(dir: string): Promise<void> {
    if (!this.ctx.head || path.dirname(this.ctx.head.weightsFile) !== dir) return;
    try {
      const { head, notes } = await this.ctx.request('syncLabels', { headDir: dir });
      if (notes.length === 0) return;
      this.ctx.setHead(head);
      this.tell(head.name, notes);
      await this.onSynced();
    } catch (err) {
      await this.ctx.showError(err, 'reading the changed labels.jsonl');
    }
  }

  /** Shows what the worker found (a retrain from the changed file), once. */
  tell(headName: string, notes: string[]): void {
    if (notes.length === 0) return;
    const message = `Head "${headName}": ${notes.join(' ')}`;
    this.told.push(message);
    this.ctx.log.info(message);
    void vscode.window.showInformationMessage(message);
  }

  dispose(): void {
    this.stop();
  }
}
