import * as path from 'node:path';
import * as vscode from 'vscode';
import { resolveInside } from '../../core/fs/inside';
import type { Ctx } from '../ctx';

/**
 * What the scoring panel's webview may load: the extension's media and bundles, and the folders of the workspace
 * images it shows (added as images are shown). Every image path is resolved inside the workspace first.
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

  /** A record's file, only if it really lies inside the workspace: a crafted store cannot make us serve other files. */
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
}
