import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EvaluationSource } from '../../protocol/worker-protocol';
import type { Ctx } from '../ctx';
import { UserFacingError } from '../ctx';
import { pickClassFolder } from '../pick-class-folder';
import { withCancellableProgress } from '../progress';

/**
 * `Vector Tune: Evaluate Head...`: measures the open head on held-out data (a folder with class sub-folders,
 * or the indexed images with a CSV of labels) in the worker, writes the report into the head's reports/
 * folder, and opens its Markdown preview.
 */
export async function evaluateHead(ctx: Ctx, given?: EvaluationSource): Promise<void> {
  const head = ctx.head;
  if (!head) throw new UserFacingError('No head is open: start or open one first (Vector Tune: Open Head...).');
  const source = given ?? (await askSource(ctx, head.name));
  if (!source) return;
  const summary = await withCancellableProgress(`Vector Tune: evaluating "${head.name}"`, (progress) =>
    ctx.request(
      'evaluate',
      { source, thumbnails: ctx.settings.reportThumbnails },
      { signal: progress.signal, onProgress: (p) => progress.report(p) },
    ),
  );
  const ap = summary.averagePrecision === null ? 'n/a' : summary.averagePrecision.toFixed(3);
  const auc = summary.rocAuc === null ? 'n/a' : summary.rocAuc.toFixed(3);
  const line = `Head "${head.name}" on ${summary.n} held-out images (${summary.positives} positive): AP ${ap}, ROC-AUC ${auc}.`;
  ctx.log.info(`${line}${summary.comparison ? ` ${summary.comparison}.` : ''} Report: ${summary.markdownFile}`);
  ctx.lastEvaluation = summary;
  await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(summary.markdownFile));
  void vscode.window.showInformationMessage(summary.comparison ? `${line} ${summary.comparison}.` : line);
}

async function askSource(ctx: Ctx, headName: string): Promise<EvaluationSource | undefined> {
  const kinds = [
    { label: 'Held-out folder...', description: 'a folder whose sub-folders are the classes', use: 'folder' as const },
    {
      label: 'CSV of labels...',
      description: 'labels for indexed images (id column, label column)',
      use: 'csv' as const,
    },
  ];
  const choice = await vscode.window.showQuickPick(kinds, { title: `Vector Tune: evaluate "${headName}" on` });
  if (!choice) return undefined;
  const root = ctx.root();
  if (choice.use === 'folder') {
    const picked = await pickClassFolder(root, headName);
    return picked ? { kind: 'folder', ...picked } : undefined;
  }
  const csvFile = (
    await vscode.window.showOpenDialog({
      canSelectMany: false,
      filters: { CSV: ['csv'] },
      defaultUri: vscode.Uri.file(root),
      title: 'CSV of labels',
    })
  )?.[0]?.fsPath;
  if (!csvFile) return undefined;
  const idColumn = await vscode.window.showInputBox({
    title: 'Column with image paths (relative to the workspace)',
    value: 'path',
  });
  const labelColumn =
    idColumn && (await vscode.window.showInputBox({ title: 'Column with class labels', value: 'label' }));
  const positive =
    labelColumn && (await vscode.window.showInputBox({ title: 'Label of the positive class', value: headName }));
  return idColumn && labelColumn && positive
    ? { kind: 'csv', csvFile: path.resolve(root, csvFile), idColumn, labelColumn, positive }
    : undefined;
}
