import * as path from 'node:path';
import { headPaths } from '../core/head/head-folder';
import { TuningSession } from '../core/tune/session';
import type { CliIo } from './command';
import { openCliStore, type StoreValues } from './store-context';

/** Opens the store (embedded, or --pinecone-index) and a head in it, reporting any crash repair the session made. */
export async function openHead(values: StoreValues & { heads?: string }, name: string, io: CliIo) {
  const store = await openCliStore(values, io);
  const paths = headPaths(path.resolve(io.cwd, values.heads!), name);
  const { session, repairs } = await TuningSession.open(paths.dir, store);
  for (const note of repairs) io.err(`repaired head "${name}": ${note}`);
  return { store, session };
}
