import type { Index } from '@pinecone-database/pinecone';
import { toVectorTuneError } from './errors';
import { seenField, type PineconeMetadata } from './metadata';
import { STORE_NAMESPACE } from './store-record';

/**
 * The seen markers of a Pinecone store, written so that "unseen" never depends on how the service reads a
 * comparison on a missing field. Pinecone's filters follow MongoDB's language, where `{seen: {$ne: true}}` matches a
 * record without the field; a public report (deepset-ai/haystack-core-integrations#590) says the service matches
 * only records that have it. So every record carries an explicit `false` for every head's marker, and "unseen" is
 * `{seen_<marker>: {$eq: false}}`, a comparison on a field that is always set:
 * - a marker is registered in the store's own namespace (`marker:<data namespace>:<field>`, one record each), and
 *   written `false` on every record that lacks it by one update by metadata filter (`$exists: false`), when a
 *   head starts and again each time it opens (records indexed meanwhile by another client get theirs then);
 * - records the store upserts get `false` for every registered marker, and after writing, the store looks for
 *   markers registered while it wrote and fills them the same way;
 * - marking seen writes `true` by id; resetting writes `false` on the records where it is `true`, by filter.
 * None of this reads the collection: starting, opening and resetting a head cost two requests each, whatever its size.
 */
export class PineconeMarkers {
  /** Fields registered for this namespace, as last listed. */
  private known: Set<string> | undefined;

  constructor(
    private readonly index: Index,
    private readonly namespace: string | undefined,
    private readonly indexName: string,
    private readonly dimension: number,
  ) {}

  /** Registers the marker and writes `false` on every record that has no value for it. */
  async prepare(marker: string): Promise<void> {
    const field = seenField(marker);
    const id = this.recordId(field);
    // The record's vector is never queried; Pinecone refuses an all-zero dense vector, so it is a unit vector.
    const values = new Array<number>(this.dimension).fill(0);
    values[0] = 1;
    const metadata = { kind: 'seen-marker', field, namespace: this.namespace || '__default__' };
    await this.call('register a seen marker', () =>
      this.index.upsert({ records: [{ id, values, metadata }], namespace: STORE_NAMESPACE }),
    );
    this.known?.add(field);
    await this.fill(field);
  }

  /** `false` for every registered marker: the metadata a record being written starts from. */
  async defaults(): Promise<PineconeMetadata> {
    this.known ??= await this.list();
    return Object.fromEntries([...this.known].map((field) => [field, false]));
  }

  /** After a write: markers registered since `defaults()` were listed get filled, so no record is left without them. */
  async fillNewlyRegistered(): Promise<void> {
    const before = this.known ?? new Set<string>();
    const now = await this.list();
    this.known = now;
    for (const field of now) if (!before.has(field)) await this.fill(field);
  }

  /** Every record this marker marked seen gets `false` again; one update by filter. */
  async reset(marker: string): Promise<void> {
    const field = seenField(marker);
    await this.updateWhere({ [field]: { $eq: true } }, { [field]: false }, 'reset seen markers');
    await this.fill(field);
  }

  private async fill(field: string): Promise<void> {
    await this.updateWhere({ [field]: { $exists: false } }, { [field]: false }, 'write seen markers');
  }

  private async updateWhere(filter: object, metadata: PineconeMetadata, what: string): Promise<void> {
    await this.call(what, () => this.index.update({ filter, metadata }));
  }

  private async list(): Promise<Set<string>> {
    const prefix = this.recordId('');
    const fields = new Set<string>();
    let paginationToken: string | undefined;
    do {
      const token = paginationToken;
      const res = await this.call('list seen markers', () =>
        this.index.listPaginated({ prefix, namespace: STORE_NAMESPACE, ...(token ? { paginationToken: token } : {}) }),
      );
      for (const v of res.vectors ?? []) if (v.id) fields.add(v.id.slice(prefix.length));
      paginationToken = res.pagination?.next;
    } while (paginationToken);
    return fields;
  }

  private recordId(field: string): string {
    return `marker:${this.namespace || '__default__'}:${field}`;
  }

  private async call<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw toVectorTuneError(err, what, this.indexName);
    }
  }
}
