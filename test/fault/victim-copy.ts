/** The copy scenario's victim, in a module of its own so that only its runs load the Pinecone SDK. */
import { copyStore, embeddedSeenReader, pineconeSeenReader } from '../../src/core/store/copy-store';
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import { PineconeStore } from '../../src/core/store/pinecone/pinecone-store';
import { say } from './fault-hook';
import { layout, type VictimJob } from './job';

/** The embedded store into a Pinecone index (records and seen state), then that index back into a new embedded store. */
export async function copyThroughPinecone(job: VictimJob): Promise<void> {
  const l = layout(job.dir);
  const { controllerHostUrl, apiKey, index } = job.pinecone!;
  // Fail fast instead of retrying for seconds: the stand-in is local and never slow.
  const pine = { apiKey, indexName: index, controllerHostUrl, timeoutMs: 5000, maxRetries: 0 };
  say('ready');
  const source = await EmbeddedStore.open(l.store);
  const { modelId, dimension, centringMean } = source.info;
  const remote = await PineconeStore.connect({ ...pine, modelId, dimension, centringMean });
  await copyStore({ from: source, to: remote, seen: await embeddedSeenReader(l.store), batchSize: 16 });
  await source.close();
  await remote.close();
  say('ack-copied-to-pinecone');

  const back = await PineconeStore.open(pine);
  const dest = await EmbeddedStore.openOrCreate(l.copyBack, back.info);
  await copyStore({ from: back, to: dest, seen: await pineconeSeenReader(pine), batchSize: 16 });
  await back.close();
  await dest.close();
  say('ack-copied-back');
}
