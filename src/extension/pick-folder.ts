import * as vscode from 'vscode';

/** The folder picker of the commands that work on a folder of images, opened at the workspace root. */
export async function pickFolder(root: string, openLabel: string, title: string): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    defaultUri: vscode.Uri.file(root),
    openLabel,
    title,
  });
  return picked?.[0]?.fsPath;
}
