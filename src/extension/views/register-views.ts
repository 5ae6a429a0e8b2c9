import * as vscode from 'vscode';
import { registerTable } from '../commands';
import type { Ctx } from '../ctx';
import type { PanelController } from '../panel/panel-controller';
import { headActions, REBUILD_COMMAND } from './head-actions';
import { HeadsTree, type HeadsTreeNode } from './heads-tree';
import { StoreTree } from './store-tree';

/** The Vector Tune view container's views (package.json declares them) and the commands of their items. */
export interface Views {
  heads: HeadsTree;
  headsView: vscode.TreeView<HeadsTreeNode>;
  store: StoreTree;
}

export function registerViews(ctx: Ctx, panel: PanelController, subscriptions: vscode.Disposable[]): Views {
  const heads = new HeadsTree(ctx);
  const store = new StoreTree(ctx);
  const headsView = vscode.window.createTreeView('vectorTune.heads', {
    treeDataProvider: heads,
    showCollapseAll: true,
  });
  subscriptions.push(
    heads,
    store,
    headsView,
    vscode.window.registerTreeDataProvider('vectorTune.store', store),
    ...registerTable(ctx, {
      ...headActions(ctx, panel),
      'vectorTune.views.refresh': [
        'refreshing',
        async () => {
          heads.refresh();
          await ctx.askStore();
        },
      ],
    }),
    // viewsWelcome's `when`: what the Heads view says when it has no heads depends on whether anything is indexed.
    ctx.onStoreChanged(
      () => void vscode.commands.executeCommand('setContext', 'vectorTune.storeState', storeState(ctx)),
    ),
  );
  void offerRebuild();
  return { heads, headsView, store };
}

function storeState(ctx: Ctx): string | undefined {
  if (ctx.storeProblem) return 'unavailable';
  if (ctx.storeInfo === undefined) return undefined;
  return ctx.storeInfo && ctx.storeInfo.count > 0 ? 'indexed' : 'empty';
}

/** The Rebuild menu item shows only when a rebuild command is registered (it comes with another part of Vector Tune). */
async function offerRebuild(): Promise<void> {
  const registered = (await vscode.commands.getCommands(true)).includes(REBUILD_COMMAND);
  await vscode.commands.executeCommand('setContext', 'vectorTune.canRebuild', registered);
}
