import * as fs from 'node:fs/promises';
import * as vscode from 'vscode';
import { UserFacingError } from './ctx';

/**
 * A held-out folder and its positive class, as Evaluate Head and Set Held-out Set ask for them: a folder picker, then
 * its sub-folders (the classes) with the head's own name first.
 */
export async function pickClassFolder(
  root: string,
  headName: string,
): Promise<{ folder: string; positive: string } | undefined> {
  const folder = (
    await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: false,
      defaultUri: vscode.Uri.file(root),
      title: 'Held-out folder',
    })
  )?.[0]?.fsPath;
  if (!folder) return undefined;
  const classes = (await fs.readdir(folder, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  if (classes.length === 0)
    throw new UserFacingError(
      `${folder} has no class sub-folders; put each class's images in a sub-folder named after it.`,
    );
  const ordered = classes.includes(headName) ? [headName, ...classes.filter((c) => c !== headName)] : classes;
  const positive = await vscode.window.showQuickPick(ordered, { title: 'Which sub-folder is the positive class?' });
  return positive ? { folder, positive } : undefined;
}
