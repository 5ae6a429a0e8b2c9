/**
 * Run as a separate process by the lock tests: opens a store for writing, optionally appends records, says so on
 * stdout, then holds the store open until it is killed or its stdin closes.
 */
import { EmbeddedStore } from '../../src/core/store/embedded-store';
import { seededRecords } from './store-reference';

async function main(): Promise<void> {
  const [dir, append] = process.argv.slice(2);
  const store = await EmbeddedStore.open(dir);
  if (append) await store.upsert(seededRecords(Number(append), store.info.dimension, 77, 'held'));
  process.stdout.write(`open ${process.pid}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => {
    store.close().then(() => process.exit(0), fail);
  });
}

function fail(err: unknown): never {
  process.stdout.write(`error ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}

main().catch(fail);
