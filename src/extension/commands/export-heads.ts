import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExportFrom } from '../../core/export/export-heads';
import { exportSize } from '../../core/export/export-to-file';
import type { Ctx } from '../ctx';
import { pickHeads } from '../pick-heads';
import { withCancellableProgress } from '../progress';

/** What the command can be given instead of asking (tests, keybindings with arguments). */
export interface ExportHeadsArgs {
  heads: string[];
  from?: ExportFrom;
  /** Workspace-relative or absolute. */
  out: string;
}

/**
 * `Vector Tune: Export Heads as ONNX...`: committed heads as one ONNX model, built and checked against the
 * engine in the worker (from images it runs the configured model, which must be the heads'); its description
 * (`<file>.json`, which names the file) is opened.
 */
export async function exportHeads(ctx: Ctx, given?: ExportHeadsArgs): Promise<void> {
  const root = ctx.root();
  const heads = given?.heads ?? (await pickHeads(ctx, 'Vector Tune: heads to export (one output column each)'));
  if (!heads?.length) return;
  const from = given ? (given.from ?? 'image') : await pickFrom();
  if (!from) return;
  const out = given ? path.resolve(root, given.out) : await pickOut(root, heads, from);
  if (!out) return;

  const summary = await withCancellableProgress(`Vector Tune: exporting ${heads.join(', ')} as ONNX`, (progress) =>
    ctx.request(
      'exportHeads',
      { heads, from, out },
      { signal: progress.signal, onProgress: (p) => progress.report(p) },
    ),
  );
  ctx.lastExport = summary;
  await vscode.window.showTextDocument(vscode.Uri.file(summary.json), { preview: false });
  void vscode.window.showInformationMessage(
    `Exported ${heads.join(', ')} to ${path.relative(root, summary.model)} (${exportSize(summary.bytes)}, from ${from === 'image' ? 'images' : 'embeddings'}); its logits match Vector Tune's within ${summary.check.maxLogitDifference.toExponential(1)}.`,
  );
}

async function pickFrom(): Promise<ExportFrom | undefined> {
  const choices = [
    {
      label: 'From images',
      description: "pixel_values in: the heads' own CLIP vision tower, then the heads",
      use: 'image' as const,
    },
    {
      label: 'From embeddings',
      description: 'raw embeddings in: the heads alone (a few KB)',
      use: 'embedding' as const,
    },
  ];
  return (await vscode.window.showQuickPick(choices, { title: 'Vector Tune: what the model takes' }))?.use;
}

async function pickOut(root: string, heads: string[], from: ExportFrom): Promise<string | undefined> {
  const suffix = from === 'embedding' ? '-embedding' : '';
  const picked = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.file(path.join(root, `${heads.join('+')}${suffix}.onnx`)),
    filters: { ONNX: ['onnx'] },
    saveLabel: 'Export',
    title: 'Vector Tune: ONNX file to write',
  });
  return picked?.fsPath;
}
