import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  checkHeldOutFolder,
  describeHeldOut,
  heldOutFile,
  type HeldOutSpec,
  readHeldOutSpec,
  relativeToHead,
  writeHeldOutSpec,
} from '../../core/eval/held-out-config';
import type { Ctx } from '../ctx';
import { UserFacingError } from '../ctx';
import { pickClassFolder } from '../pick-class-folder';

/** What a test (or a keybinding) may pass instead of the pickers: a folder and its positive class, or null to remove. */
export type HeldOutChoice = { folder: string; positive: string } | null;

/**
 * `Vector Tune: Set Held-out Set...`: picks a folder of images in class sub-folders and the positive class, and writes
 * them into the open head's held-out.json (committed with the head). The worker measures the head on it every
 * vectorTune.evalEvery rounds and the panel's progress chart shows the AP trend. When the head has one, it can also
 * be removed here.
 */
export async function setHeldOut(ctx: Ctx, given?: HeldOutChoice): Promise<void> {
  const head = ctx.head;
  if (!head) throw new UserFacingError('No head is open: start or open one first (Vector Tune: Open Head...).');
  const headDir = path.dirname(head.weightsFile);
  const choice = given !== undefined ? given : await ask(ctx, headDir, head.name);
  if (choice === undefined) return;
  if (choice === null) {
    await writeHeldOutSpec(headDir, null);
    ctx.log.info(`Removed the held-out set of head "${head.name}" (${heldOutFile(headDir)}).`);
    void vscode.window.showInformationMessage(`Head "${head.name}" has no held-out set now.`);
    return;
  }
  const spec: HeldOutSpec = {
    kind: 'folder',
    folder: relativeToHead(headDir, choice.folder),
    positive: choice.positive,
  };
  await checkHeldOutFolder(headDir, spec);
  await writeHeldOutSpec(headDir, spec);
  const every = ctx.settings.evalEvery;
  const when = every > 0 ? `every ${every} rounds` : 'never: vectorTune.evalEvery is 0';
  const line = `Held-out set of "${head.name}": ${describeHeldOut(spec)}, measured ${when}. Commit held-out.json with the head.`;
  ctx.log.info(`${line} (${heldOutFile(headDir)})`);
  void vscode.window.showInformationMessage(line);
}

async function ask(ctx: Ctx, headDir: string, headName: string): Promise<HeldOutChoice | undefined> {
  const current = await readHeldOutSpec(headDir);
  if (current) {
    const items = [
      { label: 'Choose a folder...', description: 'a folder whose sub-folders are the classes', remove: false },
      { label: 'Remove the held-out set', description: describeHeldOut(current), remove: true },
    ];
    const picked = await vscode.window.showQuickPick(items, { title: `Vector Tune: held-out set of "${headName}"` });
    if (!picked) return undefined;
    if (picked.remove) return null;
  }
  return pickClassFolder(ctx.root(), headName);
}
