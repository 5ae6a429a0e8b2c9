import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Ctx } from './ctx';
import { PANEL_VIEW_TYPE, PanelController } from './panel/panel-controller';
import { registerViews, type Views } from './views/register-views';

/** What `activate` returns: the tests in a real VS Code inspect the extension through it. */
export interface VectorTuneApi {
  ctx: Ctx;
  panel: PanelController;
  views: Views;
  /** What VS Code runs to bring the panel back after a window reload (the serializer's callback). */
  restorePanel(webviewPanel: vscode.WebviewPanel): Promise<void>;
}

/** The active extension's state, for deactivate. */
let active: Ctx | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<VectorTuneApi> {
  const ctx = new Ctx(context);
  active = ctx;
  const panel = new PanelController(ctx);
  const restorePanel = async (webviewPanel: vscode.WebviewPanel) => {
    await ctx.restoreHead();
    await panel.restore(webviewPanel);
  };
  context.subscriptions.push(
    ctx,
    panel,
    ...registerCommands(ctx, panel),
    // Brings the panel back after a window reload, with its batch and the user's unsubmitted scores.
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, { deserializeWebviewPanel: restorePanel }),
  );
  const views = registerViews(ctx, panel, context.subscriptions);
  // The worker starts only when there is something to reopen, so activation stays cheap.
  void ctx.restoreHead();
  return { ctx, panel, views, restorePanel };
}

/**
 * Returns the worker's shutdown, so VS Code waits for it: a running batch reaches a safe point and onnxruntime is
 * released before the extension host goes (disposing the context's subscriptions alone would not wait).
 */
export function deactivate(): Promise<void> | undefined {
  const ctx = active;
  active = undefined;
  return ctx?.stop();
}
