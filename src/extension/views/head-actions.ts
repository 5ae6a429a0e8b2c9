import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HeadOverview } from '../../core/head/head-overview';
import type { CommandTable } from '../commands';
import type { Ctx } from '../ctx';
import { UserFacingError } from '../ctx';
import type { PanelController } from '../panel/panel-controller';
import { type HeadNode, isOpen, type ReportNode } from './heads-tree';

/** The command another part of Vector Tune registers to rebuild a head from its labels (menu shown only then). */
export const REBUILD_COMMAND = 'vectorTune.rebuildHead';

/**
 * What the Heads view's items do: a click switches to the head; its context menu runs the head's actions on
 * that head (switching to it first), opens its files, or deletes it. Each takes the clicked node.
 */
export function headActions(ctx: Ctx, panel: PanelController): CommandTable {
  const onHead =
    (command: string) =>
    async (node?: HeadNode): Promise<void> => {
      if (node) await switchTo(ctx, panel, node.head, false);
      await vscode.commands.executeCommand(command);
    };
  return {
    'vectorTune.heads.switch': ['switching heads', (node?: HeadNode) => node && switchTo(ctx, panel, node.head, true)],
    'vectorTune.heads.nextBatch': ['finding the next batch', onHead('vectorTune.nextBatch')],
    'vectorTune.heads.evaluate': ['evaluating the head', onHead('vectorTune.evaluateHead')],
    'vectorTune.heads.resetSeen': ['resetting seen', onHead('vectorTune.resetSeen')],
    'vectorTune.heads.rebuild': ['rebuilding the head', onHead(REBUILD_COMMAND)],
    'vectorTune.heads.openWeights': [
      'opening the weights',
      (node?: HeadNode) => node && openFile(node.head.weightsFile),
    ],
    'vectorTune.heads.openLabels': ['opening the labels', (node?: HeadNode) => node && openLabels(node.head)],
    'vectorTune.heads.delete': ['deleting the head', (node?: HeadNode) => node && deleteHead(ctx, node.head)],
    'vectorTune.reports.open': [
      'opening the report',
      async (node?: ReportNode) => {
        if (node)
          await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(node.report.markdownFile));
      },
    ],
  };
}

/**
 * Opens the head in the worker (the open one stays as it is). `fromClick`: a plain click on the head, which
 * shows its batch only when the panel is already showing another head's, rather than opening the panel.
 */
async function switchTo(ctx: Ctx, panel: PanelController, head: HeadOverview, fromClick: boolean): Promise<void> {
  if (head.problem) throw new UserFacingError(head.problem);
  if (isOpen(ctx, head)) return;
  const { head: opened, repairs } = await ctx.request('openHead', { headDir: head.dir });
  for (const note of repairs) ctx.log.warn(`head "${opened.name}": ${note}`);
  ctx.setHead(opened);
  if (fromClick && panel.visiblePanel) await panel.nextBatch({ preserveFocus: true });
}

async function openFile(file: string): Promise<void> {
  await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
}

async function openLabels(head: HeadOverview): Promise<void> {
  const exists = await fs.stat(head.labelsFile).then(
    () => true,
    () => false,
  );
  if (!exists) throw new UserFacingError(`Head "${head.name}" has no labels yet: score a batch first (Next Batch).`);
  await openFile(head.labelsFile);
}

/**
 * Deletes a head's folder (weights, labels, reports) after a modal confirmation, into the trash where there is
 * one. The open head is closed first: the worker holds its folder's lock.
 */
async function deleteHead(ctx: Ctx, head: HeadOverview): Promise<void> {
  const folder = path.relative(ctx.root(), head.dir) || head.dir;
  const choice = await vscode.window.showWarningMessage(
    `Delete head "${head.name}"?`,
    {
      modal: true,
      detail: `Its folder ${folder} (weights, ${head.labels} labels and ${head.reports.length} report(s)) is moved to the trash, or deleted where there is no trash. Committed versions stay in git.`,
    },
    'Delete',
  );
  if (choice !== 'Delete') return;
  if (isOpen(ctx, head)) await ctx.closeHead();
  const uri = vscode.Uri.file(head.dir);
  try {
    await vscode.workspace.fs.delete(uri, { recursive: true, useTrash: true });
  } catch (err) {
    ctx.log.info(`No trash for ${head.dir} (${err instanceof Error ? err.message : String(err)}): deleting it.`);
    await vscode.workspace.fs.delete(uri, { recursive: true, useTrash: false });
  }
  ctx.log.info(`Deleted head "${head.name}" (${head.dir}).`);
  vscode.window.setStatusBarMessage(`Vector Tune: deleted head "${head.name}".`, 5000);
}
