import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PredictReport, ThresholdChoice } from '../../core/predict/predict-folder';
import type { Ctx } from '../ctx';
import { pickFolder } from '../pick-folder';
import { pickHeads } from '../pick-heads';
import { withCancellableProgress } from '../progress';

/** What the command can be given instead of asking (tests, other extensions, keybindings with arguments). */
export interface ApplyHeadsArgs {
  heads: string[];
  /** Workspace-relative or absolute; .csv, .jsonl or .parquet. */
  out: string;
  threshold?: ThresholdChoice;
}

/**
 * `Vector Tune: Apply Heads to Folder...` (palette, or Explorer context menu on a folder): committed heads
 * applied to a folder of images in the worker, with a cancellable progress notification; the predictions file
 * is opened when done (CSV and JSON Lines in an editor, Parquet revealed in the Explorer).
 */
export async function applyHeadsToFolder(ctx: Ctx, uri?: vscode.Uri, given?: ApplyHeadsArgs): Promise<void> {
  const root = ctx.root();
  const folder =
    uri?.fsPath ?? (await pickFolder(root, 'Apply Heads', 'Vector Tune: folder of images to apply heads to'));
  if (!folder) return;
  const heads = given?.heads ?? (await pickHeads(ctx, 'Vector Tune: heads to apply (one column each)'));
  if (!heads?.length) return;
  // A head's calibrated threshold (vector-tune calibrate) is the one chosen for shipping: the default when present.
  const threshold = given ? (given.threshold ?? 'auto') : await pickThreshold();
  if (!threshold) return;
  const out = given ? path.resolve(root, given.out) : await pickOut(root, folder);
  if (!out) return;

  const label = path.relative(root, folder) || path.basename(folder);
  const report: PredictReport = await withCancellableProgress(
    `Vector Tune: applying ${heads.join(', ')} to ${label}`,
    (progress) =>
      ctx.request(
        'predict',
        { folder, heads, out, threshold },
        { signal: progress.signal, onProgress: (p) => progress.report(p) },
      ),
  );
  ctx.lastPrediction = report;
  for (const f of report.failed) ctx.log.warn(`could not predict ${f.path}: ${f.reason}`);
  const uriOut = vscode.Uri.file(report.file);
  if (report.file.endsWith('.parquet')) await vscode.commands.executeCommand('revealInExplorer', uriOut);
  else await vscode.window.showTextDocument(uriOut, { preview: false });
  const failed = report.failed.length ? ` ${report.failed.length} image(s) could not be read (see the log).` : '';
  // Which threshold each head used, so a calibrated one (or its absence) is never a surprise.
  const thresholds = report.heads.map((h) => `${h.name} at ${h.thresholdFrom}`).join(', ');
  const what = report.cancelled ? 'Prediction cancelled after' : 'Predicted';
  void vscode.window
    .showInformationMessage(
      `${what} ${report.predicted} of ${report.total} images with ${thresholds}: ${path.relative(root, report.file)}.${failed}`,
      ...(report.failed.length ? ['Show Log'] : []),
    )
    .then((choice) => {
      if (choice === 'Show Log') ctx.log.show();
    });
}

async function pickThreshold(): Promise<ThresholdChoice | undefined> {
  const choices = [
    {
      label: 'Calibrated, else logit 0',
      description:
        "each head's stored calibrated threshold (vector-tune calibrate) when it has one of its current weights, else w·x + b > 0",
      use: 'auto' as const,
    },
    { label: 'Logit 0', description: "each head's own rule: positive when w·x + b > 0", use: 'zero' as const },
    {
      label: 'Best F1',
      description: "the best-F1 threshold of each head's last report of its current weights",
      use: 'best-f1' as const,
    },
  ];
  return (await vscode.window.showQuickPick(choices, { title: 'Vector Tune: when is an image positive?' }))?.use;
}

async function pickOut(root: string, folder: string): Promise<string | undefined> {
  const picked = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.file(path.join(root, `${path.basename(folder)}-predictions.csv`)),
    filters: { CSV: ['csv'], 'JSON Lines': ['jsonl'], Parquet: ['parquet'] },
    saveLabel: 'Write Predictions',
    title: 'Vector Tune: predictions file',
  });
  return picked?.fsPath;
}
