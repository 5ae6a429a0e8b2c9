/**
 * Serves the local Pinecone stand-in for the SDK's own integration tests (run-sdk-tests.sh), and does what the
 * SDK's `src/integration/setup.ts` does for the data plane, with the SDK's own helpers and client from its checkout:
 * creates the shared serverless index (2-d, dotproduct), seeds it with the SDK's generated records, and prints
 * `FIXTURES_JSON=...` (the assistant it also creates is not served by the stand-in: its name is a placeholder).
 * Prints `CONTROLLER=<url>` first; runs until killed.
 *
 *   npx tsx scripts/pinecone-sdk-tests/serve.ts <sdk checkout> [mongo|strict]
 */
import * as path from 'node:path';
import { startFakePinecone, type MissingFieldReading } from '../../test/helpers/fake-pinecone';

interface SdkHelpers {
  generateRecords(o: {
    prefix?: string;
    dimension: number;
    quantity: number;
    withSparseValues: boolean;
    withMetadata: boolean;
  }): {
    id: string;
    metadata?: Record<string, unknown>;
  }[];
  globalNamespaceOne: string;
  prefix: string;
  diffPrefix: string;
  randomName(prefix: string): string;
}
interface SdkClient {
  createIndex(o: object): Promise<unknown>;
  index(o: { name: string; namespace: string }): { upsert(o: { records: unknown[] }): Promise<void> };
}

async function main(): Promise<void> {
  const [sdk, reading = 'strict'] = process.argv.slice(2);
  const apiKey = 'sdk-tests-key';
  const fake = await startFakePinecone({ apiKey, missingFields: reading as MissingFieldReading });
  process.stdout.write(`CONTROLLER=${fake.controllerHostUrl}\n`);
  process.env.PINECONE_API_KEY = apiKey;
  process.env.PINECONE_CONTROLLER_HOST = fake.controllerHostUrl;
  const helpers = (await import(path.resolve(sdk, 'src/integration/test-helpers.ts'))) as SdkHelpers;
  const { Pinecone } = (await import(path.resolve(sdk, 'src/index.ts'))) as { Pinecone: new () => SdkClient };
  const pc = new Pinecone();
  const records = [
    ...helpers.generateRecords({
      prefix: helpers.diffPrefix,
      dimension: 2,
      quantity: 1,
      withSparseValues: false,
      withMetadata: true,
    }),
    ...helpers.generateRecords({
      prefix: helpers.prefix,
      dimension: 2,
      quantity: 10,
      withSparseValues: false,
      withMetadata: true,
    }),
  ];
  const key = Object.keys(records[0].metadata ?? {})[0];
  const name = helpers.randomName(helpers.prefix);
  await pc.createIndex({
    name,
    dimension: 2,
    metric: 'dotproduct',
    spec: { serverless: { cloud: 'aws', region: 'us-west-2' } },
    waitUntilReady: true,
  });
  await pc.index({ name, namespace: helpers.globalNamespaceOne }).upsert({ records });
  const fixtures = {
    serverlessIndex: {
      name,
      dimension: 2,
      metric: 'dotproduct',
      metadataFilter: { key, value: records[0].metadata![key] },
      recordIds: records.map((r) => r.id),
    },
    assistant: { name: 'not-served-by-the-stand-in', testFilePath: '' },
  };
  process.stdout.write(`FIXTURES_JSON=${JSON.stringify(fixtures)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
