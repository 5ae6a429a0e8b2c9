import { hideAuditFromBatches } from '../../core/audit/hide-from-batches';
import { defineCommand, requirePositional } from '../command';
import { headsOptions, pineconeOptions, storeOptions } from '../common-options';
import { openHead } from '../head-context';

export const resetSeenCommand = defineCommand({
  name: 'reset-seen',
  summary:
    'Let a head be shown records again that it was shown but not scored. Labelled records and its audit sample stay seen.',
  args: '<head-name>',
  options: { ...storeOptions, ...pineconeOptions, ...headsOptions },
  async run(parsed, io) {
    const [name] = requirePositional(parsed, 1, "the head's name", 'reset-seen');
    const { session, close } = await openHead(parsed.values, name, io);
    // The head's own count of what it marked (seen-markers.ts), as the status bar shows it.
    const before = session.markers.count;
    await session.resetSeen();
    await hideAuditFromBatches(session); // the audit sample is never offered, reset or not
    io.out(
      `reset seen for "${name}": ${before} -> ${session.markers.count} seen (labelled records and the audit sample stay seen)`,
    );
    await close();
    return 0;
  },
});
