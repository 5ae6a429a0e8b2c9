// Bundles each entry point into dist/. Native and model-runtime packages stay external: they load
// platform binaries (onnxruntime-node, sharp) or ship their own dynamic imports (transformers.js).
const esbuild = require('esbuild');
const fs = require('node:fs');

const external = ['sharp', 'onnxruntime-node', '@huggingface/transformers', 'vscode'];

/** [entry source, bundled output] pairs; each is a program or a module another process loads. */
const entries = [
  ['src/cli/main.ts', 'dist/cli.js'],
  ['tools/generate-model/main.ts', 'dist/generate-model.js'],
];

async function main() {
  const watch = process.argv.includes('--watch');
  const contexts = await Promise.all(
    entries
      .filter(([src]) => fs.existsSync(src))
      .map(([src, out]) =>
        esbuild.context({
          entryPoints: [src],
          outfile: out,
          bundle: true,
          platform: 'node',
          target: 'node20',
          format: 'cjs',
          sourcemap: true,
          external,
          logLevel: 'warning',
        }),
      ),
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
