import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Ctx } from './ctx';
import { PANEL_VIEW_TYPE, PanelController } from './panel/panel-controller';

/** What `activate` returns: the tests in a real VS Code inspect the extension through it. */
export interface VectorTuneApi {
  ctx: Ctx;
  panel: PanelController;
}

export async function activate(context: vscode.ExtensionContext): Promise<VectorTuneApi> {
  const ctx = new Ctx(context);
  const panel = new PanelController(ctx);
  context.subscriptions.push(
    ctx,
    panel,
    ...registerCommands(ctx, panel),
    // Brings the panel back after a window reload, with its batch and the user's unsubmitted scores.
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      deserializeWebviewPanel: async (webviewPanel) => {
        await ctx.restoreHead();
        await panel.restore(webviewPanel);
      },
    }),
  );
  // The worker starts only when there is something to reopen, so activation stays cheap.
  void ctx.restoreHead();
  return { ctx, panel };
}

export function deactivate(): void {
  // Disposables registered on the context (the worker among them) are released by VS Code.
}
