import * as path from 'node:path';
import { headPaths } from '../core/head/head-folder';
import { EmbeddedStore } from '../core/store/embedded-store';
import { TuningSession } from '../core/tune/session';
import type { CliIo } from './command';

/** Opens the store and a head in it, reporting any crash repair the session made. */
export async function openHead(values: { store?: string; heads?: string }, name: string, io: CliIo) {
  const store = await EmbeddedStore.open(path.resolve(io.cwd, values.store!));
  const paths = headPaths(path.resolve(io.cwd, values.heads!), name);
  const { session, repairs } = await TuningSession.open(paths.dir, store);
  for (const note of repairs) io.err(`repaired head "${name}": ${note}`);
  return { store, session };
}
