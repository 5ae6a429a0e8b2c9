/**
 * Run in a fresh process by memory.ts: how long opening a store and its first query take, and the resident memory
 * of the opened store after that query. Prints one JSON line.
 */
import { EmbeddedStore } from '../../src/core/store/embedded-store';

async function main(): Promise<void> {
  const [dir] = process.argv.slice(2);
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().rss;
  const t0 = performance.now();
  const store = await EmbeddedStore.open(dir);
  const openMs = performance.now() - t0;
  const rows = await store.count();
  const t1 = performance.now();
  await store.query(new Float32Array(store.info.dimension).fill(0.01), { k: 10, ranking: { kind: 'top' } });
  const firstQueryMs = performance.now() - t1;
  // Garbage of the open (read buffers, the id table's build) is freed by a full collection; V8 returns the
  // pages to the OS a moment later, so collect, wait, collect, then read what stays resident.
  gc?.();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  gc?.();
  const after = process.memoryUsage().rss;
  console.log(
    JSON.stringify({ rows, openMs, firstQueryMs, cache: store.openedFromCache, baseRss: before, rss: after }),
  );
  await store.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
