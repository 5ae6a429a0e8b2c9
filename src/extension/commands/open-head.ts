import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { WEIGHTS_FILE_NAME } from '../../core/head/weights-file';
import type { Ctx } from '../ctx';

/** `Vector Tune: Open Head...`: pick a committed head (from the heads folder, or any classifier.weights.json). */
export async function openHead(ctx: Ctx, uri?: vscode.Uri): Promise<void> {
  const file = uri?.fsPath ?? (await pickWeights(ctx));
  if (!file) return;
  const headDir = path.basename(file) === WEIGHTS_FILE_NAME ? path.dirname(file) : file;
  const { head, repairs } = await ctx.request('openHead', { headDir });
  for (const note of repairs) ctx.log.warn(`head "${head.name}": ${note}`);
  if (repairs.length) void vscode.window.showWarningMessage(`Head "${head.name}" was repaired: ${repairs.join(' ')}`);
  ctx.setHead(head);
  await vscode.commands.executeCommand('vectorTune.nextBatch');
}

export async function pickWeights(ctx: Ctx): Promise<string | undefined> {
  const headsDir = ctx.engineConfig().headsDir;
  const names = await fs.readdir(headsDir).catch(() => [] as string[]);
  const heads: string[] = [];
  for (const n of names) {
    if (
      await fs.stat(path.join(headsDir, n, WEIGHTS_FILE_NAME)).then(
        () => true,
        () => false,
      )
    )
      heads.push(n);
  }
  const browse = 'Browse for a classifier.weights.json...';
  const choice = heads.length
    ? await vscode.window.showQuickPick([...heads, browse], { title: 'Vector Tune: open head' })
    : browse;
  if (!choice) return undefined;
  if (choice !== browse) return path.join(headsDir, choice, WEIGHTS_FILE_NAME);
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    filters: { 'Vector Tune head': ['json'] },
    title: 'Vector Tune: open head',
  });
  return picked?.[0]?.fsPath;
}
