/**
 * Export Heads as ONNX in the real VS Code: in the palette, run in the worker from images (the configured
 * model's vision tower) and from embeddings, checked against the engine there, the description opened.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { VectorTuneApi } from '../../../src/extension/extension';

type Suite = { test(name: string, fn: (t: { skip(reason: string): void }) => Promise<void>): void };
type Until = <T>(what: string, probe: () => T | Promise<T>, timeoutMs?: number) => Promise<NonNullable<T>>;

export function exportHeadsTest(suite: Suite, api: () => VectorTuneApi, until: Until): void {
  suite.test('Export Heads as ONNX writes the model from images and from embeddings', async () => {
    const manifest = vscode.extensions.getExtension('vector-tune.vector-tune')!.packageJSON.contributes;
    assert.ok(
      manifest.commands.some(
        (c: { command: string; category: string }) =>
          c.command === 'vectorTune.exportHeads' && c.category === 'Vector Tune',
      ),
      'in the palette',
    );
    const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const head = api().ctx.head;
    assert.ok(head, 'a head is open (started earlier in the suite)');
    const sizes: Record<string, number> = {};
    for (const from of ['image', 'embedding'] as const) {
      const out = path.join('exported', `${head.name}-${from}.onnx`);
      await vscode.commands.executeCommand('vectorTune.exportHeads', { heads: [head.name], from, out });
      const summary = api().ctx.lastExport;
      assert.ok(summary?.model === path.join(root, out), `exported from ${from} (last error: ${api().ctx.lastError})`);
      sizes[from] = (await fs.stat(summary.model)).size;
      assert.equal(sizes[from], summary.bytes);
      assert.ok(summary.check.maxLogitDifference < 1e-4, `logits match: ${summary.check.maxLogitDifference}`);
      const description = JSON.parse(await fs.readFile(summary.json, 'utf8')) as {
        from: string;
        heads: { name: string }[];
      };
      assert.equal(description.from, from);
      assert.deepEqual(
        description.heads.map((h) => h.name),
        [head.name],
      );
      await until('the description in an editor', () =>
        vscode.window.visibleTextEditors.find((e) => e.document.uri.fsPath === summary.json),
      );
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    }
    // From images the file carries the vision tower; from embeddings only the head.
    assert.ok(sizes.image > 100 * sizes.embedding, `sizes ${JSON.stringify(sizes)}`);
  });
}
