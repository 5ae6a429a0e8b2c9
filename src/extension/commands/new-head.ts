import * as path from 'node:path';
import * as vscode from 'vscode';
import { validateHeadName } from '../../core/head/head-folder';
import type { HeadStart } from '../../protocol/worker-protocol';
import type { Ctx } from '../ctx';
import { UserFacingError } from '../ctx';

/** `Vector Tune: New Head from Prompt...`: the prompt's CLIP text embedding becomes the head's first w. */
export async function newHeadFromPrompt(ctx: Ctx, prompt?: string, name?: string): Promise<void> {
  const text =
    prompt ??
    (await vscode.window.showInputBox({
      title: 'Vector Tune: new head from a prompt',
      prompt: 'Describe what the head should find',
      placeHolder: 'dogs at dog shows',
      validateInput: (v) => (v.trim() ? undefined : 'Type a description'),
    }));
  if (!text) return;
  const headName = name ?? (await askName(suggestName(text)));
  if (!headName) return;
  await startHead(ctx, headName, { kind: 'prompt', prompt: text.trim() });
}

/** `Vector Tune: New Head from Selected Images` (Explorer, on image files): the mean of their vectors. */
export async function newHeadFromSelection(ctx: Ctx, clicked?: vscode.Uri, selected?: vscode.Uri[]): Promise<void> {
  const root = ctx.root();
  const uris = selected?.length ? selected : clicked ? [clicked] : [];
  if (uris.length === 0)
    throw new UserFacingError(
      'Select one or more indexed images in the Explorer, then run this command from its context menu.',
    );
  const ids = uris.map((u) => path.relative(root, u.fsPath).split(path.sep).join('/'));
  const headName = await askName(suggestName(path.basename(path.dirname(uris[0].fsPath))));
  if (!headName) return;
  await startHead(ctx, headName, { kind: 'examples', ids });
}

async function startHead(ctx: Ctx, name: string, start: HeadStart): Promise<void> {
  const head = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Vector Tune: starting head "${name}"...` },
    () => ctx.request('startHead', { name, start, overwrite: false }),
  );
  ctx.setHead(head);
  ctx.log.info(`started head "${name}" from ${start.kind} -> ${head.weightsFile}`);
  await vscode.commands.executeCommand('vectorTune.nextBatch');
}

async function askName(suggestion: string): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title: 'Vector Tune: name of the new head',
    prompt: 'A folder of this name under the heads folder will hold its weights and labels',
    value: suggestion,
    validateInput: (v) => {
      try {
        validateHeadName(v);
        return undefined;
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
    },
  });
}

/** "Dogs at dog shows!" -> "dogs-at-dog-shows". */
export function suggestName(text: string): string {
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48);
  return slug || 'head';
}
