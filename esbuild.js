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
  // The npm package of the command line (packages/cli): its runtime dependencies are installed beside it.
  ['src/cli/main.ts', 'packages/cli/dist/cli.js', 'cli-package'],
];

function options([src, out, platform]) {
  const common = { entryPoints: [src], outfile: out, bundle: true, sourcemap: true, logLevel: 'warning' };
  if (platform === 'browser') return { ...common, platform: 'browser', format: 'iife', target: 'es2022' };
  if (platform === 'cli-package') {
    // The package declares these as dependencies; the Pinecone SDK too, so npm can dedupe and patch it.
    const packaged = [...external, '@pinecone-database/pinecone'];
    return { ...common, sourcemap: false, platform: 'node', format: 'cjs', target: 'node20', external: packaged };
  }
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
  require('./scripts/cli-package-files.js').writeCliPackageFiles(__dirname);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
