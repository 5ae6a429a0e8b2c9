import { VectorTuneError } from '../core/errors';
import { recordVector, searchBatch, type SearchQuery, searchText } from '../core/tune/search';
import type { BatchCandidate, TuningSession } from '../core/tune/session';
import type { EngineConfig } from '../protocol/worker-protocol';
import type { ModelHolder } from './model-holder';
import { embedTextFor } from './text-query';

/**
 * The worker's side of a search batch: the query becomes a vector (the text through CLIP's text encoder, as a
 * prompt start; "more like this" through the record's stored vector), then the core picks the unseen records
 * nearest it. The query arrives from the panel, so its shape is checked whatever its declared type.
 */
export async function runSearch(
  query: SearchQuery,
  k: number,
  session: TuningSession,
  config: EngineConfig,
  models: ModelHolder,
): Promise<BatchCandidate[]> {
  const store = session.store;
  const base = { store, head: session.head, seenBy: session.markers.key, k };
  const raw = query as { kind?: unknown; text?: unknown; id?: unknown };
  if (raw?.kind === 'text' && typeof raw.text === 'string') {
    const text = searchText(raw.text);
    const vector = await embedTextFor(
      text,
      { noun: 'the search text', refused: 'a text search cannot run' },
      store,
      config,
      models,
    );
    return searchBatch({ ...base, query: vector });
  }
  if (raw?.kind === 'similar' && typeof raw.id === 'string') {
    return searchBatch({ ...base, query: await recordVector(store, raw.id), exclude: [raw.id] });
  }
  throw new VectorTuneError('a search needs {kind: "text", text} or {kind: "similar", id}.');
}
