import * as path from 'node:path';
import * as vscode from 'vscode';
import { WEIGHTS_FILE_NAME } from '../../core/head/weights-file';
import type { Ctx } from '../ctx';
import { pickWeights } from './open-head';

/**
 * `Vector Tune: Rebuild Head`: rewrites a head's weights from its start point and labels.jsonl, e.g. after a merge
 * (a conflicted head is resolved: both sides' labels kept). The open head by default; then it is the open head.
 */
export async function rebuildHead(ctx: Ctx, uri?: vscode.Uri): Promise<void> {
  const file = uri?.fsPath ?? (ctx.head ? ctx.head.weightsFile : await pickWeights(ctx));
  if (!file) return;
  const headDir = path.basename(file) === WEIGHTS_FILE_NAME ? path.dirname(file) : file;
  const { head, notes } = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Vector Tune: rebuilding the head...' },
    () => ctx.request('rebuildHead', { headDir }),
  );
  ctx.setHead(head);
  void vscode.window.showInformationMessage(
    [`Head "${head.name}" rebuilt from ${head.labelCount} labels.`, ...notes].join(' '),
  );
}
