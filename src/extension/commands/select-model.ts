import * as vscode from 'vscode';
import { DEFAULT_MODEL_ID } from '../../core/embed/model-defaults';
import type { Ctx } from '../ctx';

/**
 * `Vector Tune: Select Model...`: the default hub model, another hub id, or a local folder. The choice is
 * loaded at once (downloading it into the extension's global storage on first use) so a problem shows now,
 * with what to do, rather than in the middle of indexing.
 */
export async function selectModel(ctx: Ctx): Promise<void> {
  const current = ctx.settings.model;
  // Items carry plain data only: VS Code copies them to the renderer, so no functions on them.
  const items: (vscode.QuickPickItem & { choice: 'default' | 'folder' | 'hub' })[] = [
    { label: DEFAULT_MODEL_ID, description: 'CLIP ViT-B/32, 512-d (downloaded once, ~150 MB)', choice: 'default' },
    {
      label: 'Local folder...',
      description: 'a folder in the transformers.js layout (works offline)',
      choice: 'folder',
    },
    { label: 'Other hub id...', description: 'e.g. Xenova/clip-vit-large-patch14', choice: 'hub' },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: `Vector Tune: select model (now: ${current})` });
  if (!picked) return;
  const model =
    picked.choice === 'default' ? DEFAULT_MODEL_ID : picked.choice === 'folder' ? await pickFolder() : await askHubId();
  if (!model) return;
  await vscode.workspace.getConfiguration('vectorTune').update('model', model, vscode.ConfigurationTarget.Workspace);
  const loaded = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Vector Tune: loading ${model} (downloading on first use)...`,
    },
    () => ctx.request('loadModel', {}),
  );
  ctx.log.info(`model ${loaded.modelId}: ${loaded.dimension}-d`);
  void vscode.window.showInformationMessage(
    `Vector Tune will use ${loaded.modelId} (${loaded.dimension}-d embeddings).`,
  );
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
