import * as path from 'node:path';
import * as vscode from 'vscode';
import { resolveInside } from '../../core/fs/inside';
import type { BatchCandidate } from '../../core/tune/session';
import type { CandidateView } from '../../protocol/webview-protocol';
import type { Ctx } from '../ctx';

/**
 * What the panel's webview may load and how a record is shown in it: the resource roots (the extension's media and
 * bundles, and the folders of the workspace images it shows, added as images are shown) and each candidate's view
 * (file name, folder, full path and webview URI). Only files that really lie inside the workspace are served: a
 * crafted store cannot make the panel show other files.
 */
export class PanelResources {
  private readonly roots = new Set<string>();

  constructor(
    private readonly ctx: Ctx,
    private readonly panel: () => vscode.WebviewPanel | undefined,
  ) {}

  /** The webview options with the resource roots so far. */
  options(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    const ext = this.ctx.extension.extensionUri;
    return {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: [
        vscode.Uri.joinPath(ext, 'media'),
        vscode.Uri.joinPath(ext, 'dist'),
        ...[...this.roots].map((f) => vscode.Uri.file(f)),
      ],
    };
  }

  /** A record's file, only if it really lies inside the workspace. */
  safeFile(relative: string): string | undefined {
    return resolveInside(this.ctx.root(), relative);
  }

  /** Allows the folders of these workspace-relative paths (the webview's options change only when one is new). */
  allow(paths: (string | undefined)[]): void {
    const needed = paths
      .map((p) => p && this.safeFile(p))
      .filter((f): f is string => !!f)
      .map((f) => path.dirname(f));
    const before = this.roots.size;
    for (const dir of needed) this.roots.add(dir);
    const panel = this.panel();
    if (panel && this.roots.size !== before) panel.webview.options = this.options();
  }

  /** A webview URI for a workspace file ('' for none, or when no panel is open), its folder allowed. */
  src(relative: string | undefined): string {
    const file = relative ? this.safeFile(relative) : undefined;
    const panel = this.panel();
    if (!file || !panel) return '';
    this.allow([relative]);
    return panel.webview.asWebviewUri(vscode.Uri.file(file)).toString();
  }

  /** A batch candidate as the panel shows it: name, folder, full path on hover, image URI and the head's score. */
  view(c: BatchCandidate): CandidateView {
    const file = c.path ? this.safeFile(c.path) : undefined;
    const folder = c.path ? path.posix.dirname(c.path) : undefined;
    return {
      id: c.id,
      name: path.basename(c.path ?? c.id),
      ...(folder !== undefined ? { folder: folder === '.' ? '' : folder } : {}),
      ...(file ? { fullPath: file } : {}),
      src: this.src(c.path),
      logit: c.logit,
      probability: c.probability,
    };
  }
}
