import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import type { EvaluationSource } from '../protocol/worker-protocol';
import { applyHeadsToFolder, type ApplyHeadsArgs } from './commands/apply-heads';
import { drawAuditSample } from './commands/draw-audit';
import { evaluateHead } from './commands/evaluate-head';
import { exportHeads, type ExportHeadsArgs } from './commands/export-heads';
import { indexFolder } from './commands/index-folder';
import { newHeadFromPrompt, newHeadFromSelection } from './commands/new-head';
import { openHead } from './commands/open-head';
import { rebuildHead } from './commands/rebuild-head';
import { type HeldOutChoice, setHeldOut } from './commands/set-held-out';
import { clearPineconeApiKey, setPineconeApiKey } from './commands/pinecone-key';
import { selectModel } from './commands/select-model';
import type { PanelController } from './panel/panel-controller';

/**
 * A handler of any parameters: VS Code passes a command whatever its caller gave (nothing from the palette, the
 * clicked resources from a menu, anything from executeCommand), unchecked, and each handler declares what it takes.
 */
export type Handler = (...args: never[]) => Promise<void> | void;

/** Commands by id, each with what it is doing (for its error message) and its handler. */
export type CommandTable = Record<string, [doing: string, handler: Handler]>;

/**
 * Every palette command, by id (the ids and titles are declared in package.json). Each handler runs with
 * the shared error handling: user errors are shown as they are, anything else is logged with its stack.
 */
export function registerCommands(ctx: Ctx, panel: PanelController): vscode.Disposable[] {
  const commands: CommandTable = {
    'vectorTune.indexFolder': ['indexing', (uri?: vscode.Uri) => indexFolder(ctx, uri)],
    'vectorTune.newHeadFromPrompt': [
      'starting a head',
      (prompt?: string, name?: string) => newHeadFromPrompt(ctx, prompt, name),
    ],
    'vectorTune.newHeadFromSelection': [
      'starting a head',
      (uri?: vscode.Uri, uris?: vscode.Uri[]) => newHeadFromSelection(ctx, uri, uris),
    ],
    'vectorTune.openHead': ['opening a head', (uri?: vscode.Uri) => openHead(ctx, uri)],
    'vectorTune.nextBatch': ['finding the next batch', () => panel.nextBatch()],
    'vectorTune.showPanel': ['opening the panel', () => panel.show()],
    'vectorTune.showLabelled': ['showing the labelled images', () => panel.showLabelled()],
    'vectorTune.drawAuditSample': [
      'drawing the audit sample',
      (size?: number, seed?: number) => drawAuditSample(ctx, panel, size, seed),
    ],
    'vectorTune.labelAuditSample': ['labelling the audit sample', () => panel.labelAudit()],
    'vectorTune.evaluateHead': ['evaluating the head', (source?: EvaluationSource) => evaluateHead(ctx, source)],
    'vectorTune.applyHeads': [
      'applying heads',
      (uri?: vscode.Uri, args?: ApplyHeadsArgs | vscode.Uri[]) =>
        // From the Explorer the second argument is the selection, not options.
        applyHeadsToFolder(ctx, uri, Array.isArray(args) ? undefined : args),
    ],
    'vectorTune.exportHeads': ['exporting heads', (args?: ExportHeadsArgs) => exportHeads(ctx, args)],
    'vectorTune.resetSeen': ['resetting seen', () => resetSeen(ctx, panel)],
    'vectorTune.rebuildHead': ['rebuilding the head', (uri?: vscode.Uri) => rebuildHead(ctx, uri)],
    'vectorTune.setHeldOut': ['setting the held-out set', (choice?: HeldOutChoice) => setHeldOut(ctx, choice)],
    'vectorTune.showLog': ['showing the log', () => ctx.log.show()],
    'vectorTune.restartWorker': ['restarting the worker', () => restartWorker(ctx)],
    'vectorTune.selectModel': ['selecting the model', (model?: string) => selectModel(ctx, model)],
    'vectorTune.setPineconeApiKey': ['storing the Pinecone API key', () => setPineconeApiKey(ctx)],
    'vectorTune.clearPineconeApiKey': ['removing the Pinecone API key', () => clearPineconeApiKey(ctx)],
  };
  return registerTable(ctx, commands);
}

/** Registers each command of the table with the shared error handling. */
export function registerTable(ctx: Ctx, commands: CommandTable): vscode.Disposable[] {
  return Object.entries(commands).map(([id, [doing, handler]]) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        await handler(...(args as never[])); // unchecked, as VS Code passes them (see Handler)
      } catch (err) {
        await ctx.showError(err, doing);
      }
    }),
  );
}

async function resetSeen(ctx: Ctx, panel: PanelController): Promise<void> {
  if (!ctx.head) {
    void vscode.window.showWarningMessage('No head is open: start or open one first.');
    return;
  }
  const head = await ctx.request('resetSeen', {});
  ctx.setHead(head);
  void vscode.window.showInformationMessage(
    `Head "${head.name}": seen reset; ${head.seenCount} labelled images stay seen.`,
  );
  if (panel.visiblePanel) await panel.nextBatch();
}

/** `Vector Tune: Restart Worker`: a new worker, configured, with the open head reopened. */
async function restartWorker(ctx: Ctx): Promise<void> {
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Vector Tune: restarting the worker...' },
    () => ctx.restartWorker(),
  );
  vscode.window.setStatusBarMessage('Vector Tune: worker restarted.', 5000);
}
