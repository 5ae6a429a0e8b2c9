import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { BatchSource, PanelSearch, PanelState, ToPanel } from '../../protocol/webview-protocol';
import type { HeadSummary } from '../../protocol/worker-protocol';
import { type Ctx, UserFacingError } from '../ctx';
import { EngineError } from '../worker-client';
import type { BatchStore, PendingBatch } from './batch-store';

/** What the search needs from the panel controller. */
export interface SearchHost {
  ctx: Ctx;
  batches: BatchStore;
  batchSize: number;
  state: PanelState;
  post(state: PanelState): void;
  showBatch(pending: PendingBatch, head: HeadSummary): void;
}

/** The panel named an image that is not in the batch it was shown: a bug or a hostile page, never a user's doing. */
export class ForeignIdError extends Error {}

/**
 * Replaces the batch on screen with a searched one: the unseen images nearest a text (CLIP's text encoder, in the
 * worker) or nearest an image of this batch ("more like this"). The searched batch is pending like any other, so
 * it survives a reload and its submit trains the head. A batch with unsubmitted scores is not replaced: those
 * scores would be lost.
 */
export async function searchIntoPanel(host: SearchHost, query: PanelSearch): Promise<number> {
  const { ctx, batches } = host;
  const head = ctx.head;
  if (!head) throw new UserFacingError('No head is open: start or open a head first, then search.');
  const headDir = path.dirname(head.weightsFile);
  const pending = batches.get(headDir);
  const unsubmitted = pending ? Object.values(pending.draft).filter((s) => s !== null).length : 0;
  if (unsubmitted > 0)
    throw new UserFacingError(
      `This batch has ${unsubmitted} unsubmitted score${unsubmitted === 1 ? '' : 's'}: submit them (Enter) or clear them (0) first, since a search replaces the batch on screen.`,
    );
  let source: BatchSource;
  if (query.kind === 'similar') {
    const image = pending?.candidates.find((c) => c.id === query.id);
    if (!image) throw new ForeignIdError('"more like this" for an image that is not in the batch on screen');
    source = { kind: 'similar', id: image.id, name: path.basename(image.path ?? image.id) };
  } else {
    source = { kind: 'text', text: query.text.trim() };
  }
  const before = host.state;
  host.post({
    kind: 'loading',
    message: source.kind === 'text' ? `Searching for "${source.text}"...` : `Finding images like ${source.name}...`,
  });
  try {
    const { head: fresh, candidates } = await ctx.request('searchBatch', {
      headDir,
      k: host.batchSize,
      query: source.kind === 'text' ? { kind: 'text', text: source.text } : { kind: 'similar', id: source.id },
    });
    ctx.setHead(fresh);
    if (candidates.length === 0)
      throw new UserFacingError(
        `Every image is already seen by "${fresh.name}", so the search found nothing new. Reset Seen shows skipped images again.`,
      );
    const searched: PendingBatch = { headDir, batchId: randomUUID(), candidates, draft: {}, source };
    await batches.set(searched);
    host.showBatch(searched, fresh);
    ctx.log.info(`search (${describeSource(source)}): ${candidates.length} images for head "${fresh.name}"`);
    return candidates.length;
  } catch (err) {
    host.post(before); // the batch that was on screen stays
    throw err;
  }
}

/** Runs the panel's search request and builds its response; a failure is the panel's notice, not a crash. */
export async function answerSearch(
  host: SearchHost,
  requestId: number,
  query: PanelSearch,
  rejected: string[],
): Promise<ToPanel> {
  try {
    const count = await searchIntoPanel(host, query);
    return { kind: 'response', id: requestId, ok: true, result: { count } };
  } catch (err) {
    if (err instanceof ForeignIdError) rejected.push(err.message);
    else host.ctx.log.warn(`search: ${err instanceof Error ? err.message : String(err)}`);
    const userError = err instanceof UserFacingError || (err instanceof EngineError && err.userError);
    const message = err instanceof Error ? err.message : String(err);
    return { kind: 'response', id: requestId, ok: false, error: { message, userError } };
  }
}

export function describeSource(source: BatchSource): string {
  if (source.kind === 'audit') return 'audit sample';
  return source.kind === 'text' ? `text "${source.text}"` : `more like ${source.id}`;
}
