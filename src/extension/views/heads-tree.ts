import * as path from 'node:path';
import * as vscode from 'vscode';
import { type HeadOverview, headOverviews, type ReportOverview } from '../../core/head/head-overview';
import type { Ctx } from '../ctx';

export type HeadNode = { kind: 'head'; head: HeadOverview };
export type ReportNode = { kind: 'report'; head: HeadOverview; report: ReportOverview };
export type HeadsTreeNode = HeadNode | ReportNode;

/** Refreshes are gathered for this long: a submitted round rewrites the weights, the labels and the seen file. */
const REFRESH_DELAY_MS = 150;

/**
 * The Heads view: every head in the heads folder (labels, positives, rounds, model, last report's average
 * precision and its change), the open one marked, each with its reports. It reads the heads' files itself (no
 * worker needed) and refreshes when they change on disk, when another head opens and when the settings move the
 * heads folder.
 */
export class HeadsTree implements vscode.TreeDataProvider<HeadsTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  /** The heads as last listed (what the view shows; the tests read it). */
  heads: HeadOverview[] = [];
  private watcher: vscode.FileSystemWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** What the view shows now (its heads and which one is open), as listed by its last getChildren. */
  private shown: string | undefined;
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly ctx: Ctx) {
    this.subscriptions = [
      ctx.onHeadChanged(() => this.refresh()),
      ctx.onStoreChanged(() => this.refresh()),
      ctx.config.onDidChange(() => {
        this.watch();
        this.refresh();
      }),
    ];
    this.watch();
  }

  refresh(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.renderIfChanged(), REFRESH_DELAY_MS);
  }

  /**
   * Re-renders the view only when what it shows has changed. Every re-render drops the commands of the rows on
   * screen, so a click that lands during one runs nothing ("Actual command not found" in the workbench's log); and
   * each batch writes seen marks and reports the same open head again, which would re-render it several times a
   * round while the person is clicking in it.
   */
  private async renderIfChanged(): Promise<void> {
    const headsDir = this.headsDir();
    const heads = headsDir ? await headOverviews(headsDir).catch(() => undefined) : [];
    if (!heads || this.describe(heads) !== this.shown) this.changed.fire();
  }

  private describe(heads: HeadOverview[]): string {
    return JSON.stringify({ heads, open: this.ctx.head && path.resolve(this.ctx.head.weightsFile) });
  }

  async getChildren(node?: HeadsTreeNode): Promise<HeadsTreeNode[]> {
    if (node?.kind === 'head') return node.head.reports.map((report) => ({ kind: 'report', head: node.head, report }));
    if (node) return [];
    const headsDir = this.headsDir();
    this.heads = headsDir ? await headOverviews(headsDir) : [];
    this.shown = this.describe(this.heads);
    // With no heads the view shows its welcome, which depends on whether anything is indexed: ask once.
    if (this.heads.length === 0 && this.ctx.storeInfo === undefined && this.ctx.storeProblem === undefined)
      void this.ctx.askStore();
    return this.heads.map((head) => ({ kind: 'head', head }));
  }

  getTreeItem(node: HeadsTreeNode): vscode.TreeItem {
    return node.kind === 'head' ? this.headItem(node.head) : reportItem(node);
  }

  /** The node of a head, for reveal() (the tests select one as a click would). */
  nodeOf(name: string): HeadNode | undefined {
    const head = this.heads.find((h) => h.name === name);
    return head && { kind: 'head', head };
  }

  getParent(node: HeadsTreeNode): HeadsTreeNode | undefined {
    return node.kind === 'report' ? { kind: 'head', head: node.head } : undefined;
  }

  private headItem(head: HeadOverview): vscode.TreeItem {
    const open = isOpen(this.ctx, head);
    const item = new vscode.TreeItem(
      head.name,
      head.reports.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.id = head.dir;
    const last = head.reports[0];
    item.description = head.problem
      ? 'cannot be read'
      : [
          // The last report's AP first: in a narrow side bar the end of the line is cut off.
          last ? `AP ${formatAp(last)}` : '',
          `${head.labels} labels (${head.positives} positive)`,
          `${head.rounds} round${head.rounds === 1 ? '' : 's'}`,
        ]
          .filter(Boolean)
          .join(' · ');
    item.iconPath = head.problem
      ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'))
      : open
        ? new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('charts.green'))
        : new vscode.ThemeIcon('beaker');
    item.tooltip = headTooltip(head, open);
    item.contextValue = head.problem ? 'head.broken' : open ? 'head.open' : 'head';
    item.accessibilityInformation = { label: `Head ${head.name}${open ? ', open' : ''}: ${item.description}` };
    item.command = {
      command: 'vectorTune.heads.switch',
      title: 'Switch to This Head',
      arguments: [{ kind: 'head', head }],
    };
    return item;
  }

  private headsDir(): string | undefined {
    try {
      return this.ctx.engineConfig().headsDir;
    } catch {
      return undefined; // no folder open: nothing to list
    }
  }

  /** Watches the heads folder (again when the setting moves it): a head written by the CLI shows up too. */
  private watch(): void {
    this.watcher?.dispose();
    const headsDir = this.headsDir();
    if (!headsDir) return;
    this.watcher = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(vscode.Uri.file(headsDir), '**'),
    );
    this.watcher.onDidCreate(() => this.refresh());
    this.watcher.onDidChange(() => this.refresh());
    this.watcher.onDidDelete(() => this.refresh());
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.watcher?.dispose();
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
  }
}

export function isOpen(ctx: Ctx, head: HeadOverview): boolean {
  return ctx.head !== undefined && path.resolve(ctx.head.weightsFile) === path.resolve(head.weightsFile);
}

/** "0.812 (+0.050)": a report's average precision and its change since the previous report on the same data. */
function formatAp(report: ReportOverview): string {
  if (report.averagePrecision === null) return 'n/a';
  const change = report.averagePrecisionChange;
  const delta = change === null ? '' : ` (${change >= 0 ? '+' : '\u2212'}${Math.abs(change).toFixed(3)})`;
  return `${report.averagePrecision.toFixed(3)}${delta}`;
}

function headTooltip(head: HeadOverview, open: boolean): vscode.MarkdownString {
  const tip = new vscode.MarkdownString();
  tip.appendMarkdown(`**${head.name}**${open ? ' (open)' : ''}\n\n`);
  if (head.problem) {
    tip.appendText(head.problem);
    return tip;
  }
  tip.appendMarkdown(`- ${head.labels} labels, ${head.positives} positive, ${head.rounds} rounds\n`);
  tip.appendMarkdown(`- model \`${head.modelId}\`\n`);
  const last = head.reports[0];
  if (last) {
    tip.appendMarkdown(`- last report: AP ${formatAp(last)} on `);
    tip.appendText(`${last.data} (${last.createdAt.slice(0, 16).replace('T', ' ')})`);
    tip.appendMarkdown('\n');
  }
  tip.appendMarkdown('\nClick to switch to it; right-click for its actions.');
  return tip;
}

function reportItem({ report }: ReportNode): vscode.TreeItem {
  const item = new vscode.TreeItem(report.name, vscode.TreeItemCollapsibleState.None);
  item.id = report.markdownFile;
  item.description = `AP ${formatAp(report)} · ${report.createdAt.slice(0, 10)}`;
  item.tooltip = `${report.data}\n${report.markdownFile}`;
  item.iconPath = new vscode.ThemeIcon('graph');
  item.contextValue = 'report';
  item.command = {
    command: 'vectorTune.reports.open',
    title: 'Open Report',
    arguments: [{ kind: 'report', report }],
  };
  return item;
}
