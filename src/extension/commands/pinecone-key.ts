import * as vscode from 'vscode';
import { PINECONE_KEY_SECRET } from '../config';
import type { Ctx } from '../ctx';

/** `Vector Tune: Set Pinecone API Key`: a password input box; the key goes to SecretStorage only. */
export async function setPineconeApiKey(ctx: Ctx): Promise<void> {
  const key = await vscode.window.showInputBox({
    title: 'Vector Tune: Pinecone API key',
    prompt: "Kept in VS Code's secret storage; never written to settings, logs or the workspace.",
    placeHolder: 'the key from the Pinecone console',
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) =>
      v.trim() === '' ? 'Paste the API key' : /\s/.test(v.trim()) ? 'An API key has no spaces' : undefined,
  });
  if (key === undefined) return;
  await ctx.extension.secrets.store(PINECONE_KEY_SECRET, key.trim());
  ctx.log.info('Stored a Pinecone API key in the secret storage.');
  const hint =
    ctx.settings.store === 'pinecone'
      ? ''
      : ' Set vectorTune.store to "pinecone" (and vectorTune.pinecone.index) to use it.';
  void vscode.window.showInformationMessage(`Vector Tune: Pinecone API key saved.${hint}`);
}

/** `Vector Tune: Remove Pinecone API Key` (command id clearPineconeApiKey): removes it from SecretStorage. */
export async function clearPineconeApiKey(ctx: Ctx): Promise<void> {
  const had = (await ctx.extension.secrets.get(PINECONE_KEY_SECRET)) !== undefined;
  await ctx.extension.secrets.delete(PINECONE_KEY_SECRET);
  ctx.log.info(
    had ? 'Removed the Pinecone API key from the secret storage.' : 'There was no Pinecone API key to remove.',
  );
  void vscode.window.showInformationMessage(
    had ? 'Vector Tune: Pinecone API key removed.' : 'Vector Tune: no Pinecone API key was stored.',
  );
}
