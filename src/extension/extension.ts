import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Ctx } from './ctx';
import { PANEL_VIEW_TYPE, PanelController } from './panel/panel-controller';

/** What `activate` returns: the tests in a real VS Code inspect the extension through it. */
export interface VectorTuneApi {
  ctx: Ctx;
  panel: PanelController;
  /** What VS Code runs to bring the panel back after a window reload (the serializer's callback). */
  restorePanel(webviewPanel: vscode.WebviewPanel): Promise<void>;
}

export async function activate(context: vscode.ExtensionContext): Promise<VectorTuneApi> {
  const ctx = new Ctx(context);
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
  // The worker starts only when there is something to reopen, so activation stays cheap.
  void ctx.restoreHead();
  return { ctx, panel, restorePanel };
}

export function deactivate(): void {
  // Disposables registered on the context (the worker among them) are released by VS Code.
}
