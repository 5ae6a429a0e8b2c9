import * as vscode from 'vscode';
import { listHeadNames } from '../core/head/head-folder';
import type { Ctx } from './ctx';
import { UserFacingError } from './ctx';

/** The committed heads to work on (the open one ticked), or undefined when the user dismisses the pick. */
export async function pickHeads(ctx: Ctx, title: string): Promise<string[] | undefined> {
  const headsDir = ctx.engineConfig().headsDir;
  const names = await listHeadNames(headsDir);
  if (names.length === 0)
    throw new UserFacingError(
      `There are no heads in ${headsDir} yet: start one first (Vector Tune: New Head from Prompt...).`,
    );
  const picked = await vscode.window.showQuickPick(
    names.map((name) => ({ label: name, picked: name === ctx.head?.name })),
    { canPickMany: true, title },
  );
  return picked?.map((p) => p.label);
}
