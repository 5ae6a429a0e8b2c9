/**
 * The extension on a Pinecone store, in a real VS Code: the settings point at the local stand-in of
 * Pinecone's API that test/vscode/run.ts starts (its URL and the key it accepts arrive in the environment),
 * the key is typed into the Set Pinecone API Key password box, then Index Folder, New Head from Prompt and
 * one round scored in the panel. The fake's records must carry the batch's seen markers, and the key must be
 * in no file of the workspace, of VS Code's user data folder (settings, state, logs), or of the output log.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { seenField } from '../../../src/core/store/pinecone/metadata';
import type { VectorTuneApi } from '../../../src/extension/extension';
import { driver, type Suite, type Until } from './harness';
import { NO_PINECONE, PINECONE_KEY_VAR, PINECONE_URL_VAR } from '../pinecone-env';

const INDEX = 'vt-suite';
const HEAD = 'pc-hat';

export function pineconeStoreTest(suite: Suite, api: () => VectorTuneApi, until: Until): void {
  suite.test(
    'Pinecone: key by command, Index Folder, a prompt head and one round leave seen marks in the index; the key is in no file',
    async (t) => {
      const url = process.env[PINECONE_URL_VAR];
      const key = process.env[PINECONE_KEY_VAR];
      if (!url || !key) return t.skip('the runner started no stand-in of Pinecone', NO_PINECONE);
      if (!driver.available())
        return t.skip('needs the page driver to type the key and score the batch', driver.NO_DRIVER);
      const { ctx, panel } = api();
      const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
      const images = vscode.Uri.file(path.join(root, 'images'));
      const config = vscode.workspace.getConfiguration('vectorTune');
      const settings: [string, unknown][] = [
        ['store', 'pinecone'],
        ['pinecone.index', INDEX],
        ['pinecone.controllerHost', url],
        ['pinecone.region', 'eu-west-1'],
      ];
      try {
        for (const [name, value] of settings) await config.update(name, value, vscode.ConfigurationTarget.Workspace);
        await vscode.commands.executeCommand('vectorTune.clearPineconeApiKey');
        await vscode.commands.executeCommand('vectorTune.indexFolder', images);
        assert.match(ctx.lastError ?? '', /no Pinecone API key yet: run "Vector Tune: Set Pinecone API Key"/);

        const stored = vscode.commands.executeCommand('vectorTune.setPineconeApiKey');
        await driver.call('quickInput', { text: key, title: 'Vector Tune: Pinecone API key' });
        await stored;
        assert.equal(await ctx.extension.secrets.get('vectorTune.pinecone.apiKey'), key);

        const photoCount =
          (await fs.readdir(images.fsPath, { recursive: true })).filter((f) => String(f).endsWith('.jpg')).length - 1;
        ctx.lastIndexReport = undefined;
        await vscode.commands.executeCommand('vectorTune.indexFolder', images);
        const report = (ctx as { lastIndexReport?: { added: number } }).lastIndexReport; // re-read: TS narrowed it to undefined above
        assert.ok(report, `indexing ran (last error: ${ctx.lastError})`);
        assert.equal(report.added, photoCount);
        const fake = await fakeIndex(url, key);
        assert.equal((await fake.ids()).length, photoCount, 'the records are in the index');
        assert.equal(ctx.storeCount, photoCount);

        await vscode.commands.executeCommand('vectorTune.newHeadFromPrompt', 'a photo of a hat', HEAD);
        const batch = await until("the Pinecone head's batch", () => {
          const s = panel.currentState;
          return s.kind === 'batch' && s.head.name === HEAD ? s : undefined;
        });
        await vscode.commands.executeCommand('notifications.clearAll');
        await driver.call('scoreBatch', {});
        await until('the next batch', () => {
          const s = panel.currentState;
          return s.kind === 'batch' && s.batchId !== batch.batchId ? s : undefined;
        });
        const labels = (await fs.readFile(path.join(root, 'vectortune', 'heads', HEAD, 'labels.jsonl'), 'utf8'))
          .split('\n')
          .filter(Boolean);
        assert.equal(labels.length, batch.candidates.length - 1, 'every image but the one left unscored is labelled');
        // Seen markers are keyed by the head's id (classifier.weights.json), not its name.
        const { id } = JSON.parse(
          await fs.readFile(path.join(root, 'vectortune', 'heads', HEAD, 'classifier.weights.json'), 'utf8'),
        ) as { id: string };
        assert.deepEqual(
          await fake.seenBy(id),
          batch.candidates.map((c) => c.id).sort(),
          'the whole batch is marked seen in the index',
        );

        ctx.log.info('pinecone suite: checking for the key');
        await assertKeyInNoFile(key, [root, userDataDir(ctx.extension), ctx.extension.logUri.fsPath], until);
      } finally {
        for (const [name] of settings) await config.update(name, undefined, vscode.ConfigurationTarget.Workspace);
        await vscode.commands.executeCommand('vectorTune.clearPineconeApiKey');
      }
      assert.equal(
        await ctx.extension.secrets.get('vectorTune.pinecone.apiKey'),
        undefined,
        'Remove Pinecone API Key removed it',
      );
    },
  );
}

/** VS Code's user data folder: globalStorage/<extension> sits in <user data>/User. */
function userDataDir(extension: vscode.ExtensionContext): string {
  return path.resolve(extension.globalStorageUri.fsPath, '..', '..', '..');
}

/**
 * Reads the stand-in through Pinecone's own data-plane API (describe, list, fetch), as any client would:
 * the fake runs in the test runner's process, not here.
 */
async function fakeIndex(url: string, key: string) {
  const get = async <T>(u: string): Promise<T> => {
    const res = await fetch(u, { headers: { 'Api-Key': key } });
    assert.equal(res.status, 200, `GET ${u}`);
    return (await res.json()) as T;
  };
  const { host } = await get<{ host: string }>(`${url}/indexes/${INDEX}`);
  const ids = async () => {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await get<{ vectors: { id: string }[]; pagination?: { next?: string } }>(
        `${host}/vectors/list?limit=100${token ? `&paginationToken=${token}` : ''}`,
      );
      out.push(...page.vectors.map((v) => v.id));
      token = page.pagination?.next;
    } while (token);
    return out;
  };
  const seenBy = async (headId: string) => {
    const all = await ids();
    const seen: string[] = [];
    for (let i = 0; i < all.length; i += 50) {
      const query = all
        .slice(i, i + 50)
        .map((id) => `ids=${encodeURIComponent(id)}`)
        .join('&');
      const { vectors } = await get<{ vectors: Record<string, { metadata?: Record<string, unknown> }> }>(
        `${host}/vectors/fetch?${query}`,
      );
      for (const [id, r] of Object.entries(vectors)) if (r.metadata?.[seenField(headId)] === true) seen.push(id);
    }
    return seen.sort();
  };
  return { ids, seenBy };
}

/** No file under these folders holds the key. The output channel's log file must be among them, and be read. */
async function assertKeyInNoFile(key: string, dirs: string[], until: Until): Promise<void> {
  const needle = Buffer.from(key);
  let files: string[] = [];
  // The log channel writes its file a moment later: wait for the line just logged, so the log is known to be read.
  const logFile = await until(
    'the Vector Tune log file',
    async () => {
      files = [...new Set((await Promise.all(dirs.map(listFiles))).flat())];
      for (const f of files.filter((f) => f.endsWith('.log')))
        if ((await fs.readFile(f, 'utf8').catch(() => '')).includes('pinecone suite: checking for the key')) return f;
      return undefined;
    },
    10_000,
  );
  const holding: string[] = [];
  for (const f of files) if ((await fs.readFile(f).catch(() => Buffer.alloc(0))).includes(needle)) holding.push(f);
  console.log(`  (searched ${files.length} files for the key, the log ${path.basename(logFile)} among them)`);
  assert.deepEqual(holding, [], 'files holding the key');
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}
