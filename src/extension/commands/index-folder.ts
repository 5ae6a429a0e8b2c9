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
  const started = Date.now();
  const report = await withCancellableProgress(
    `Vector Tune: indexing ${path.relative(root, folder) || path.basename(folder)}`,
    async (progress) => {
      progress.report(0, 1, 'loading the model...');
      return ctx.request(
        'index',
        { folder, batchSize: 8, maxPixels: ctx.settings.maxImagePixels },
        {
          signal: progress.signal,
          onProgress: (p) => {
            const seconds = (Date.now() - started) / 1000;
            const rate = p.done / Math.max(seconds, 1e-3);
            const eta = rate > 0 ? Math.round((p.total - p.done) / rate) : 0;
            // The worker's message names the count, its images/s and how the model runs (precision, device, threads).
            const message = p.total > 0 ? `${p.message}, about ${eta} s left` : p.message;
            ctx.lastProgressMessage = message;
            progress.report(p.done, p.total, message);
          },
        },
      );
    },
  );
  ctx.log.info(
    `indexed ${folder}: ${report.added} added, ${report.updated} updated, ${report.unchanged} unchanged, ${report.removed} removed, ` +
      `${report.skipped.length} skipped, ${report.seconds.toFixed(1)} s${report.cancelled ? ' (cancelled: run it again to resume)' : ''}`,
  );
  for (const s of report.skipped) ctx.log.warn(`skipped ${s.path}: ${s.reason}`);
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
