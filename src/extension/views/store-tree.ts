import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';

/**
 * The Store view: how many images are indexed, with which model, and where (the embedded store's folder or
 * the Pinecone index), and Index Folder. Empty while nothing is indexed, so the view shows its welcome instead.
 */
export class StoreTree implements vscode.TreeDataProvider<vscode.TreeItem>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly ctx: Ctx) {
    this.subscription = ctx.onStoreChanged(() => this.changed.fire());
  }

  async getChildren(element?: vscode.TreeItem): Promise<vscode.TreeItem[]> {
    if (element) return [];
    const { ctx } = this;
    if (ctx.storeProblem) return [problemItem(ctx.storeProblem)];
    if (ctx.storeInfo === undefined) {
      void ctx.askStore(); // fires onStoreChanged, which asks again
      return [];
    }
    const info = ctx.storeInfo;
    if (!info || info.count === 0) return [];
    const settings = ctx.settings;
    const count = new vscode.TreeItem(`${info.count.toLocaleString('en-US')} images`);
    count.description = `${info.modelId}, ${info.dimension}-d`;
    count.iconPath = new vscode.ThemeIcon('database');
    count.tooltip = `${info.count} images embedded with ${info.modelId} (${info.dimension}-d vectors).`;
    const where = new vscode.TreeItem(
      settings.store === 'pinecone' ? `Pinecone index "${settings.pinecone.index}"` : settings.storeLocation,
    );
    where.iconPath = new vscode.ThemeIcon(settings.store === 'pinecone' ? 'cloud' : 'folder');
    where.description = settings.store === 'pinecone' ? settings.pinecone.region : 'embedded store';
    if (settings.store !== 'pinecone') {
      const folder = ctx.engineConfig().storeDir;
      where.tooltip = folder;
      where.command = {
        command: 'revealInExplorer',
        title: 'Reveal in Explorer',
        arguments: [vscode.Uri.file(folder)],
      };
    }
    const model = new vscode.TreeItem(`Model: ${displayModel(settings.model, ctx)}`);
    model.description = settings.precision;
    model.iconPath = new vscode.ThemeIcon('symbol-misc');
    model.tooltip = 'The model new images are embedded with (vectorTune.model). Click to choose another.';
    model.command = { command: 'vectorTune.selectModel', title: 'Select Model...' };
    const index = new vscode.TreeItem('Index Folder...');
    index.iconPath = new vscode.ThemeIcon('add');
    index.command = { command: 'vectorTune.indexFolder', title: 'Index Folder...' };
    return [count, where, model, index];
  }

  getTreeItem(element: vscode.TreeItem): vscode.TreeItem {
    return element;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

function problemItem(problem: string): vscode.TreeItem {
  const item = new vscode.TreeItem('The store cannot be read');
  item.description = problem;
  item.tooltip = problem;
  item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
  item.command = {
    command: 'workbench.action.openSettings',
    title: 'Open Settings',
    arguments: ['@ext:vector-tune.vector-tune'],
  };
  return item;
}

/** A model folder inside the workspace by its relative path; a hub id or another folder as it is. */
function displayModel(model: string, ctx: Ctx): string {
  if (!path.isAbsolute(model)) return model;
  const relative = path.relative(ctx.root(), model);
  return relative.startsWith('..') ? model : relative;
}
