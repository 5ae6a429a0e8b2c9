import * as path from 'node:path';
import { VectorTuneError } from '../../core/errors';
import {
  copyStore,
  embeddedHeads,
  embeddedSeenReader,
  pineconeSeenReader,
  type SeenReader,
} from '../../core/store/copy-store';
import { EmbeddedStore } from '../../core/store/embedded-store';
import { describeIndexOrNull, pineconeClient, type PineconeConnection } from '../../core/store/pinecone/connection';
import { PineconeStore } from '../../core/store/pinecone/pinecone-store';
import type { VectorStore } from '../../core/store/types';
import { defineCommand, numberOption, UsageError, wholeNumber } from '../command';
import { storeOptions } from '../common-options';

type Kind = 'embedded' | 'pinecone';

export const copyStoreCommand = defineCommand({
  name: 'copy-store',
  summary:
    'Copy a collection between the embedded store and a Pinecone index (either way): ids, paths, hashes, vectors and per-head seen state. Re-running after an interruption resumes: no duplicates, no gaps. The API key is read from PINECONE_API_KEY.',
  args: '',
  options: {
    from: { type: 'string', description: 'Source: embedded or pinecone.' },
    to: { type: 'string', description: 'Destination: embedded or pinecone.' },
    ...storeOptions,
    index: { type: 'string', description: 'Pinecone index name (created when it is the destination and absent).' },
    cloud: { type: 'string', description: 'Cloud of a Pinecone index that has to be created.', default: 'aws' },
    region: { type: 'string', description: 'Region of a Pinecone index that has to be created.', default: 'us-east-1' },
    host: { type: 'string', description: "The index's data-plane URL (default: looked up by name)." },
    'controller-host': {
      type: 'string',
      description: 'Pinecone control-plane URL (for tests or a self-hosted gateway).',
    },
    'model-id': {
      type: 'string',
      description:
        "Model of the vectors in the Pinecone index (default: what the index's store record says; needed only for an index made without one).",
    },
    heads: {
      type: 'string',
      multiple: true,
      description: 'Head whose seen state is copied (repeatable; default: every head the source has).',
    },
    'batch-size': { type: 'string', description: 'Records per batch.', default: '200' },
  },
  examples: [
    'PINECONE_API_KEY=... vector-tune copy-store --from embedded --to pinecone --index my-photos --cloud aws --region us-east-1',
    'PINECONE_API_KEY=... vector-tune copy-store --from pinecone --to embedded --index my-photos --store .vectortune/store-copy',
  ],
  async run(parsed, io) {
    const v = parsed.values;
    const from = kindOf(v.from, 'from');
    const to = kindOf(v.to, 'to');
    if (from === to) throw new UsageError('--from and --to must differ (one embedded, one pinecone).');
    if (!v.index) throw new UsageError('--index is required: the Pinecone index to copy from or to.');
    const apiKey = io.env.PINECONE_API_KEY;
    if (!apiKey)
      throw new VectorTuneError(
        'PINECONE_API_KEY is not set.',
        undefined,
        'Export your Pinecone API key in PINECONE_API_KEY (it is never read from an option).',
      );
    const batchSize = numberOption(v['batch-size'], 'batch-size', wholeNumber(1, 1000))!;
    const storeDir = path.resolve(io.cwd, v.store!);
    const pine = {
      apiKey,
      indexName: v.index,
      ...(v.host ? { host: v.host } : {}),
      ...(v['controller-host'] ? { controllerHostUrl: v['controller-host'] } : {}),
    };
    const heads = v.heads.length > 0 ? v.heads : undefined;

    let source: VectorStore | undefined;
    let dest: VectorStore | undefined;
    try {
      let seen: SeenReader;
      if (from === 'embedded') {
        const embedded = await EmbeddedStore.open(storeDir);
        source = embedded;
        seen = await embeddedSeenReader(storeDir, heads);
        const { modelId, dimension, centringMean } = embedded.info;
        dest = await PineconeStore.connect({
          ...pine,
          modelId,
          dimension,
          centringMean,
          cloud: v.cloud,
          region: v.region,
        });
        io.out(
          `copying ${await embedded.count()} records from ${storeDir} to Pinecone index "${v.index}"; seen state of ${(heads ?? (await embeddedHeads(storeDir))).length} head(s)`,
        );
      } else {
        source = await pineconeSource(pine, v['model-id'], storeDir);
        dest = await EmbeddedStore.openOrCreate(storeDir, source.info);
        seen = await pineconeSeenReader({ ...pine, heads });
        io.out(`copying Pinecone index "${v.index}" to ${storeDir}`);
      }
      const report = await copyStore({
        from: source,
        to: dest,
        seen,
        heads,
        batchSize,
        onProgress: (p) => {
          if (p.read > 0)
            io.out(
              `  ${p.read}/${p.total} read, ${p.written} written, ${p.skipped} already there, ${p.seenMarked} seen markers`,
            );
        },
      });
      io.out(`done: ${report.read} records (${report.written} written, ${report.skipped} already there)`);
      for (const [head, n] of Object.entries(report.heads)) io.out(`  head ${head}: ${n} seen`);
      return 0;
    } finally {
      await source?.close();
      await dest?.close();
    }
  },
});

function kindOf(value: string | undefined, name: string): Kind {
  if (value === 'embedded' || value === 'pinecone') return value;
  throw new UsageError(`--${name} must be "embedded" or "pinecone"${value === undefined ? '' : `, not "${value}"`}.`);
}

/**
 * The source index, for the model its store record names; an index made before store records (or by
 * another tool) is read for `--model-id`, or the model of the embedded store being copied into.
 */
async function pineconeSource(
  pine: PineconeConnection,
  modelIdOption: string | undefined,
  storeDir: string,
): Promise<PineconeStore> {
  const existing = (await EmbeddedStore.exists(storeDir)) ? await EmbeddedStore.open(storeDir) : undefined;
  const modelId = modelIdOption ?? existing?.info.modelId;
  await existing?.close();
  if (modelId === undefined) return PineconeStore.open(pine);
  const described = await describeIndexOrNull(pineconeClient(pine), pine.indexName);
  if (!described)
    throw new VectorTuneError(
      `Pinecone has no index named "${pine.indexName}".`,
      undefined,
      'Check --index and --host.',
    );
  return PineconeStore.connect({ ...pine, modelId, dimension: described.dimension ?? 0, create: false });
}
