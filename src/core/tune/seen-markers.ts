import * as path from 'node:path';
import { headIdOf } from '../head/head-id';
import { ensureHeadLocalDir } from '../head/head-local';
import type { HeadWeights } from '../head/weights-file';
import { appendSeen, clearSeen, readSeen, writeSeen } from '../store/seen-file';
import type { VectorStore } from '../store/types';
import { sha256 } from '../util/hash';

/**
 * A head's seen markers in a store, and this machine's record of what it marked there.
 *
 * The marker is the head's id (head-id.ts), not its name: a team opening one committed head shares its markers (an
 * image one teammate saw is not offered to another), and an unrelated head that happens to share the name has its
 * own. What this workspace marked is appended to `<head>/.local/seen-<store>-<marker>.txt` (one JSON id per line,
 * as the embedded store's seen files), keyed by the store's scope, so:
 * - opening the head marks only the labels not marked yet (after a clone or a merge of labels.jsonl: the new ones);
 * - the head's seen count is the number of records it marked, from the file, never from reading the collection
 *   (with shared markers, it counts this workspace's marks; a teammate's are not read back).
 * A store made again in the same place has another scope, so its markers are written afresh.
 */
export class SeenMarkers {
  private constructor(
    /** The store's name for this head's markers. */
    readonly key: string,
    private readonly store: VectorStore,
    private readonly file: string,
    private readonly marked: Set<string>,
  ) {}

  /**
   * Readies the head's marker in the store (a constant number of requests) and reads what was marked. `fresh`: a
   * head just created, which has marked nothing.
   */
  static async open(store: VectorStore, headDir: string, weights: HeadWeights, fresh = false): Promise<SeenMarkers> {
    const key = headIdOf(weights);
    const name = `seen-${sha256(store.scope).slice(0, 12)}-${key}.txt`;
    const file = path.join(ensureHeadLocalDir(headDir), name);
    await store.prepareMarker(key);
    // A new head's id is new: it has no record yet, and none is made before it marks something.
    return new SeenMarkers(key, store, file, new Set(fresh ? [] : await readSeen(file)));
  }

  /** Records this workspace marked seen in the store. */
  get count(): number {
    return this.marked.size;
  }

  /** Marks seen those of `ids` this workspace has not marked yet (labels, on opening a head). */
  async markUnmarked(ids: string[]): Promise<void> {
    const unmarked = [...new Set(ids)].filter((id) => !this.marked.has(id));
    if (unmarked.length > 0) await this.mark(unmarked);
  }

  /** Marks records seen in the store, then records them (a crash between the two only repeats the marking). */
  async mark(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.store.markSeen(this.key, ids);
    const fresh = [...new Set(ids)].filter((id) => !this.marked.has(id));
    await appendSeen(this.file, fresh);
    for (const id of fresh) this.marked.add(id);
  }

  /** Unmarks records (removed labels) in the store and in this workspace's record, so they may be offered again. */
  async unmark(ids: string[]): Promise<void> {
    const gone = new Set(ids.filter((id) => this.marked.has(id)));
    if (gone.size === 0) return;
    await this.store.unmarkSeen(this.key, [...gone]);
    for (const id of gone) this.marked.delete(id);
    await writeSeen(this.file, [...this.marked]);
  }

  /** Forgets every mark, then marks `keep` (the labelled records) again. */
  async reset(keep: string[]): Promise<void> {
    await this.store.resetSeen(this.key);
    await clearSeen(this.file);
    this.marked.clear();
    await this.mark(keep);
  }
}
