import * as path from 'node:path';
import * as vscode from 'vscode';
import { isInside } from '../../core/fs/inside';
import type { Ctx } from '../ctx';
import { UserFacingError } from '../ctx';
import { pickFolder } from '../pick-folder';
import { withCancellableProgress } from '../progress';

/** `Vector Tune: Index Folder...` (palette, or Explorer context menu on a folder). */
export async function indexFolder(ctx: Ctx, uri?: vscode.Uri): Promise<void> {
  const root = ctx.root();
  const folder = uri?.fsPath ?? (await pickFolder(root, 'Index', 'Vector Tune: folder of images to index'));
  if (!folder) return;
  if (!isInside(folder, root))
    throw new UserFacingError(
      `${folder} is outside the workspace folder ${root}; Vector Tune indexes folders of the open workspace.`,
    );
  const report = await withCancellableProgress(
    `Vector Tune: indexing ${path.relative(root, folder) || path.basename(folder)}`,
    (progress) =>
      ctx.request(
        'index',
        { folder, batchSize: 8, maxPixels: ctx.settings.maxImagePixels },
        {
          signal: progress.signal,
          // The worker says what it does: loading the model, looking for changes, then the count, its images/s
          // and how the model runs (precision, device, threads).
          onProgress: (p) => (ctx.lastProgressMessage = progress.report(p)),
        },
      ),
  );
  // The worker wrote the summary and each skipped file to the log; they are not repeated here.
  await ctx.refreshStore();
  const skipped = report.skipped.length ? ` ${report.skipped.length} file(s) skipped (see the log).` : '';
  const message = `${report.cancelled ? 'Indexing cancelled' : 'Indexed'}: ${report.added} added, ${report.updated} updated, ${report.unchanged} unchanged, ${report.removed} removed.${skipped}`;
  ctx.lastIndexReport = report;
  // Not awaited: the command is done; the buttons are offers, and waiting for a click would hold it open.
  void vscode.window
    .showInformationMessage(
      message,
      ...(report.skipped.length ? ['Show Log'] : []),
      ...(ctx.head ? [] : ['New Head from Prompt...']),
    )
    .then((choice) => {
      if (choice === 'Show Log') ctx.log.show();
      if (choice === 'New Head from Prompt...') void vscode.commands.executeCommand('vectorTune.newHeadFromPrompt');
    });
}
