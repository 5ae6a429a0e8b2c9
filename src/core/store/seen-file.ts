import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { VectorTuneError } from '../errors';
import { appendDurable, writeFileAtomic } from '../fs/durable';

/**
 * A head's seen set on disk: one JSON-encoded id per line, append-only, so marking a batch seen costs one
 * small fsynced append. A line torn by a kill is the last one and is skipped: the ids on it were not
 * acknowledged, and at worst a record is shown again. Any other unreadable line (a damaged disk) is skipped
 * the same way: the seen set only decides what is shown next, and a session marks every labelled record
 * seen again when it opens, so no label depends on this file.
 */
export function seenFile(storeDir: string, head: string): string {
  // encodeURIComponent keeps any head name a single, harmless file name (no separators).
  return path.join(storeDir, 'seen', `${encodeURIComponent(head)}.txt`);
}

export async function readSeen(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    throw new VectorTuneError(
      `cannot read the head's seen list (${code}).`,
      file,
      'Delete this file to show every record again; labelled records stay hidden.',
    );
  }
  const ids: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const id: unknown = JSON.parse(line);
      if (typeof id === 'string') ids.push(id);
    } catch {
      /* a torn last line from a killed writer */
    }
  }
  return ids;
}

export async function appendSeen(file: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  // A torn previous line would swallow our first id; starting on a fresh line keeps every new id readable.
  const prefix = (await endsWithoutNewline(file)) ? '\n' : '';
  await appendDurable(file, prefix + ids.map((id) => JSON.stringify(id) + '\n').join(''));
}

/** Replaces the file's ids with `ids` (atomically: a kill leaves the old list or the new one). */
export async function writeSeen(file: string, ids: string[]): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, ids.map((id) => JSON.stringify(id) + '\n').join(''));
}

export async function clearSeen(file: string): Promise<void> {
  await writeFileAtomic(file, '');
}

async function endsWithoutNewline(file: string): Promise<boolean> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch {
    return false;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    await handle.close();
  }
}
