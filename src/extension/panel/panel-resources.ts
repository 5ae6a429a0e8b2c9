import * as path from 'node:path';
import * as vscode from 'vscode';
import { resolveInside } from '../../core/fs/inside';
import type { BatchCandidate } from '../../core/tune/session';
import type { CandidateView } from '../../protocol/webview-protocol';

/**
 * What the panel's webview may load and how a record is shown in it: the resource roots (the extension's media and
 * bundles, and the folders of the images on screen) and each candidate's view (file name, folder, full path and
 * webview URI). Only files that really lie inside the workspace are served: a crafted store cannot make the panel
 * show other files.
 */
export class PanelResources {
  private readonly roots = new Set<string>();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly workspaceRoot: () => string,
  ) {}

  options(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: [
        vscode.Uri.joinPath(this.extensionUri, 'media'),
        vscode.Uri.joinPath(this.extensionUri, 'dist'),
        ...[...this.roots].map((f) => vscode.Uri.file(f)),
      ],
    };
  }

  /** Adds the folders of these candidates to the roots (updating the panel's options when that changed them). */
  ensureRoots(candidates: BatchCandidate[], panel: vscode.WebviewPanel | undefined): void {
    const needed = candidates
      .map((c) => c.path && this.safeFile(c.path))
      .filter((f): f is string => !!f)
      .map((f) => path.dirname(f));
    const before = this.roots.size;
    for (const dir of needed) this.roots.add(dir);
    if (panel && this.roots.size !== before) panel.webview.options = this.options();
  }

  view(c: BatchCandidate, panel: vscode.WebviewPanel | undefined): CandidateView {
    const file = c.path ? this.safeFile(c.path) : undefined;
    const folder = c.path ? path.posix.dirname(c.path) : undefined;
    return {
      id: c.id,
      name: path.basename(c.path ?? c.id),
      ...(folder !== undefined ? { folder: folder === '.' ? '' : folder } : {}),
      ...(file ? { fullPath: file } : {}),
      src: file && panel ? panel.webview.asWebviewUri(vscode.Uri.file(file)).toString() : '',
      logit: c.logit,
      probability: c.probability,
    };
  }

  /** A record's file, only if it really lies inside the workspace. */
  safeFile(relative: string): string | undefined {
    return resolveInside(this.workspaceRoot(), relative);
  }
}
