import * as vscode from 'vscode';
import { EngineError } from './worker-client';

/** The buttons an error can carry, each a way out of it. */
export type Remedy = 'Select Model...' | 'Open Settings' | 'Set Pinecone API Key' | 'Show Log';

/** A failure the user can fix, shown as is, with the buttons that fix it (no "Show Log" noise). */
export class UserFacingError extends Error {
  constructor(
    message: string,
    readonly remedies: Remedy[] = [],
  ) {
    super(message);
  }
}

/** The buttons an error gets: its own remedies (a model that cannot be loaded: choose another), and the log. */
export function remediesFor(err: unknown): Remedy[] {
  if (err instanceof UserFacingError) return [...err.remedies, 'Show Log'];
  if (err instanceof EngineError && err.topic === 'model') return ['Select Model...', 'Open Settings', 'Show Log'];
  return ['Show Log'];
}

/** What each button does: a command of Vector Tune or of VS Code. */
const REMEDY_COMMANDS: Record<Exclude<Remedy, 'Show Log'>, [command: string, ...args: unknown[]]> = {
  'Select Model...': ['vectorTune.selectModel'],
  'Open Settings': ['workbench.action.openSettings', '@ext:vector-tune.vector-tune'],
  'Set Pinecone API Key': ['vectorTune.setPineconeApiKey'],
};

/** Shows an error message with its remedies as buttons and runs the one clicked. Not awaited by callers: the command is over. */
export function showErrorWithRemedies(
  message: string,
  remedies: Remedy[],
  log: vscode.LogOutputChannel,
): Thenable<void> {
  return vscode.window.showErrorMessage(message, ...remedies).then(async (choice) => {
    if (!choice) return;
    if (choice === 'Show Log') return log.show();
    const [command, ...args] = REMEDY_COMMANDS[choice];
    await vscode.commands.executeCommand(command, ...args);
  });
}
