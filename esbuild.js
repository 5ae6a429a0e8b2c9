// Bundles each entry point into dist/. Native and model-runtime packages stay external: they load
// platform binaries (onnxruntime-node, sharp) or ship their own dynamic imports (transformers.js); `vscode`
// is provided by the extension host. The webview bundle runs in the browser and bundles everything.
const esbuild = require('esbuild');
const fs = require('node:fs');

// tsx too: the engine names it only to run its decode thread from the TypeScript sources (decode-pool.ts).
const external = ['sharp', 'onnxruntime-node', '@huggingface/transformers', 'vscode', 'tsx'];

/** Programs and modules another process loads: [entry source, bundled output, platform]. */
const entries = [
  ['src/cli/main.ts', 'dist/cli.js', 'node'],
  ['src/extension/extension.ts', 'dist/extension.js', 'node'],
  ['src/worker/main.ts', 'dist/worker.js', 'node'],
  // Started by the CLI and the worker (src/core/ingest/decode-pool.ts), which look for it beside themselves.
  ['src/core/ingest/decode-thread.ts', 'dist/decode-thread.js', 'node'],
  ['src/webview/main.ts', 'dist/webview.js', 'browser'],
  ['tools/generate-model/main.ts', 'dist/generate-model.js', 'node'],
  ['test/vscode/suite/index.ts', 'dist/test/vscode-suite.js', 'node'],
];

function options([src, out, platform]) {
  const common = { entryPoints: [src], outfile: out, bundle: true, sourcemap: true, logLevel: 'warning' };
  if (platform === 'browser') return { ...common, platform: 'browser', format: 'iife', target: 'es2022' };
  return { ...common, platform: 'node', format: 'cjs', target: 'node20', external };
}

async function main() {
  const watch = process.argv.includes('--watch');
  const contexts = await Promise.all(
    entries.filter(([src]) => fs.existsSync(src)).map((e) => esbuild.context(options(e))),
  );
  if (watch) {
    await Promise.all(contexts.map((c) => c.watch()));
    return;
  }
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
