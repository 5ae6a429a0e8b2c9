import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { build } from 'esbuild';
import { REPO_ROOT } from '../helpers/temp';

/** Packages the victim loads from node_modules at run time (as esbuild.js leaves them out of dist/). */
const EXTERNAL = ['sharp', 'onnxruntime-node', '@huggingface/transformers', 'tsx'];

/**
 * Bundles victim.ts into one CommonJS file, once per test run, so each trial is a plain `node` start instead of a
 * TypeScript compile. The file goes under the repo's git-ignored .cache/ so that the externals resolve from the repo's
 * node_modules (transformers.js is loaded with import(), which ignores NODE_PATH). Returns the file and its removal.
 */
export async function bundleVictim(): Promise<{ file: string; remove: () => Promise<void> }> {
  await fs.mkdir(path.join(REPO_ROOT, '.cache'), { recursive: true }); // absent in a fresh clone
  const dir = await fs.mkdtemp(path.join(REPO_ROOT, '.cache', 'crash-faults-'));
  const file = path.join(dir, 'victim.js');
  const bundle = (entry: string, outfile: string) =>
    build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: EXTERNAL,
      sourcemap: 'inline',
      logLevel: 'warning',
    });
  await bundle(path.join(REPO_ROOT, 'test', 'fault', 'victim.ts'), file);
  // Indexing starts decode threads from this script, found beside the bundle as the CLI finds it beside dist/cli.js.
  await bundle(path.join(REPO_ROOT, 'src', 'core', 'ingest', 'decode-thread.ts'), path.join(dir, 'decode-thread.js'));
  return { file, remove: () => fs.rm(dir, { recursive: true, force: true }) };
}
