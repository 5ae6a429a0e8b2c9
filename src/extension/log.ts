import * as vscode from 'vscode';

/** The "Vector Tune" output channel; `Vector Tune: Show Log` opens it. */
export function createLog(): vscode.LogOutputChannel {
  return vscode.window.createOutputChannel('Vector Tune', { log: true });
}
