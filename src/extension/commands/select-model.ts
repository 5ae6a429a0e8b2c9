import * as vscode from 'vscode';
import { Config } from '../config';
import type { Ctx } from '../ctx';
import { modelSettingFor } from '../model-setting';

/**
 * `Vector Tune: Select Model...`: the default hub model, another hub id, or a local folder (`given`: a hub id
 * or folder path, instead of asking). The choice is loaded at once (downloading it into the extension's global
 * storage on first use) so a problem shows now, with what to do, rather than in the middle of indexing.
 *
 * Where it is written: the workspace settings, with a folder inside the workspace as a relative path (the file
 * is shared with the repository). A folder outside the workspace is a path of this machine only: the user is
 * asked whether to keep it in their user settings instead.
 */
export async function selectModel(ctx: Ctx, given?: string): Promise<void> {
  const model = given ?? (await askModel(ctx));
  if (!model) return;
  const root = ctx.root();
  const isFolder = !/^[\w.-]+\/[\w.-]+$/.test(model) || model.startsWith('.');
  const written = isFolder ? modelSettingFor(model, root) : { value: model, inWorkspace: true };
  const target = written.inWorkspace ? vscode.ConfigurationTarget.Workspace : await askTarget(written.value);
  if (target === undefined) return;
  const config = vscode.workspace.getConfiguration('vectorTune');
  // A workspace value outranks the user's: it would hide the one written there.
  if (target === vscode.ConfigurationTarget.Global && config.inspect('model')?.workspaceValue !== undefined)
    await config.update('model', undefined, vscode.ConfigurationTarget.Workspace);
  await config.update('model', written.value, target);
  const loaded = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Vector Tune: loading ${written.value} (downloading on first use)...`,
    },
    () => ctx.request('loadModel', {}),
  );
  ctx.log.info(`model ${loaded.modelId}: ${loaded.dimension}-d`);
  void vscode.window.showInformationMessage(
    `Vector Tune will use ${loaded.modelId} (${loaded.dimension}-d embeddings).`,
  );
}

async function askModel(ctx: Ctx): Promise<string | undefined> {
  const fallback = Config.defaultOf<string>('model') ?? '';
  // Items carry plain data only: VS Code copies them to the renderer, so no functions on them.
  const items: (vscode.QuickPickItem & { choice: 'default' | 'folder' | 'hub' })[] = [
    {
      label: fallback,
      description: 'CLIP ViT-B/32, 512-d: downloaded once (vision model 351 MB at fp32, 96 MB at q8)',
      choice: 'default',
    },
    {
      label: 'Local folder...',
      description: 'a folder in the transformers.js layout (works offline)',
      choice: 'folder',
    },
    { label: 'Other hub id...', description: 'e.g. Xenova/clip-vit-large-patch14', choice: 'hub' },
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: `Vector Tune: select model (now: ${ctx.settings.model})`,
  });
  if (!picked) return undefined;
  return picked.choice === 'default' ? fallback : picked.choice === 'folder' ? pickFolder() : askHubId();
}

async function askTarget(folder: string): Promise<vscode.ConfigurationTarget | undefined> {
  const user = 'Use User Settings';
  const workspace = 'Use Workspace Settings';
  const choice = await vscode.window.showWarningMessage(
    'The model folder is outside the workspace.',
    {
      modal: true,
      detail: `${folder} is a path of this machine only: in the workspace settings (shared with the repository) it would point nowhere on another clone. Keep it in your user settings instead?`,
    },
    user,
    workspace,
  );
  return choice === user
    ? vscode.ConfigurationTarget.Global
    : choice === workspace
      ? vscode.ConfigurationTarget.Workspace
      : undefined;
}

function askHubId(): Thenable<string | undefined> {
  return vscode.window.showInputBox({
    title: 'Vector Tune: hub model id',
    placeHolder: 'owner/name',
    validateInput: (v) => (/^[\w.-]+\/[\w.-]+$/.test(v) ? undefined : 'Write it as owner/name'),
  });
}

async function pickFolder(): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    title: 'Vector Tune: CLIP model folder',
    openLabel: 'Use this model',
  });
  return picked?.[0]?.fsPath;
}
