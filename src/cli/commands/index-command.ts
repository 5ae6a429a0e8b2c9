import * as path from 'node:path';
import { checkFolderToIndex, indexFolder } from '../../core/ingest/index-folder';
import { openOrCreateStore } from '../../core/store/store-location';
import { defineCommand, numberOption, requirePositional, wholeNumber } from '../command';
import { modelOptions, pineconeOptions, storeOptions } from '../common-options';
import { loadModelForCli } from '../model-loader';
import { cliStoreLocation } from '../store-context';

export const indexCommand = defineCommand({
  name: 'index',
  summary:
    'Embed every image under a folder into the store. Incremental: unchanged files are skipped, deleted ones dropped; an interrupted run resumes.',
  args: '<folder>',
  options: {
    ...storeOptions,
    ...pineconeOptions,
    ...modelOptions,
    root: { type: 'string', description: 'Workspace root; record ids are paths relative to it.', default: '.' },
    batch: { type: 'string', description: 'Images per model call.', default: '8' },
    'max-pixels': {
      type: 'string',
      description: 'Skip images with more pixels than this (decompression bombs).',
      default: '100000000',
    },
  },
  examples: [
    'vector-tune index images/',
    'vector-tune index photos --model ./models/clip-vit-base-patch32',
    'PINECONE_API_KEY=... vector-tune index images/ --pinecone-index team-photos --pinecone-region us-east-1',
  ],
  async run(parsed, io) {
    const [folder] = requirePositional(parsed, 1, 'one folder to index', 'index');
    const v = parsed.values;
    const location = cliStoreLocation(v, io); // a missing key is reported before the model loads
    await checkFolderToIndex(path.resolve(io.cwd, folder), path.resolve(io.cwd, v.root!)); // and a mistyped folder
    const embedder = await loadModelForCli(v, io);
    try {
      let lastLine = 0;
      const report = await indexFolder({
        folder: path.resolve(io.cwd, folder),
        root: path.resolve(io.cwd, v.root!),
        openStore: (identity) => openOrCreateStore(location, identity),
        embedder,
        batchSize: numberOption(v.batch, 'batch', wholeNumber(1)),
        maxPixels: numberOption(v['max-pixels'], 'max-pixels', (n) => n > 0),
        onProgress: (p) => {
          if (Date.now() - lastLine < 2000 && p.done < p.total) return;
          lastLine = Date.now();
          // done counts the skipped files too: "embedded 3/3" for three unreadable files said the opposite of what happened.
          io.err(
            `read ${p.done}/${p.total} images: ${p.done - p.skipped} embedded, ${p.skipped} skipped (${p.imagesPerSecond.toFixed(1)} images/s)`,
          );
        },
      });
      io.out(
        `indexed: ${report.added} added, ${report.updated} updated, ${report.unchanged} unchanged, ${report.removed} removed, ` +
          `${report.skipped.length} skipped, ${report.ignored} non-image files ignored, ${report.seconds.toFixed(1)} s`,
      );
      for (const s of report.skipped) io.out(`skipped ${s.path}: ${s.reason}`);
      return 0;
    } finally {
      await embedder.dispose();
    }
  },
});
