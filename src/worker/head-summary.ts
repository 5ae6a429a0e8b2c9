import { labelTally, type RoundProgressWithStop } from '../core/tune/progress';
import type { TuningSession } from '../core/tune/session';
import type { HeadSummary } from '../protocol/worker-protocol';

/** The open head as the extension sees it (status bar, panel header), with the rounds' figures since it was opened. */
export async function headSummary(
  session: TuningSession,
  rounds: readonly RoundProgressWithStop[],
): Promise<HeadSummary> {
  return {
    name: session.name,
    weightsFile: session.paths.weights,
    labelsFile: session.paths.labels,
    labelCount: session.labelCount,
    nextRound: session.nextRound,
    modelId: session.currentWeights.model.id,
    storeCount: await session.store.count(),
    // What the head marked (seen-markers.ts): reading the store's markers would cost a pass over the collection.
    seenCount: session.markers.count,
    ...labelTally(session.allLabels),
    rounds: [...rounds],
  };
}
