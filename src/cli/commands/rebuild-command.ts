import { rebuildHead } from '../../core/tune/rebuild';
import { defineCommand, requirePositional } from '../command';
import { headsOptions, pineconeOptions, storeOptions } from '../common-options';
import { openHead } from '../head-context';

export const rebuildCommand = defineCommand({
  name: 'rebuild',
  summary:
    "Rewrite a head's weights from its start point and labels.jsonl, e.g. after a merge. " +
    'A merge conflict in the head is resolved: the labels of both sides are kept, the weights rebuilt from them.',
  args: '<head-name>',
  options: { ...storeOptions, ...pineconeOptions, ...headsOptions },
  examples: ['git merge other-branch; vector-tune rebuild hat; git add vectortune/heads/hat; git commit'],
  async run(parsed, io) {
    const [name] = requirePositional(parsed, 1, "the head's name", 'rebuild');
    const { session, close } = await openHead(parsed.values, name, io, async (dir, store) => {
      const { session, notes } = await rebuildHead(dir, store);
      return { session, repairs: notes };
    });
    try {
      io.out(
        `rebuilt "${name}" from ${session.labelCount} labels (${session.labelLines} lines) -> ${session.paths.weights}`,
      );
      return 0;
    } finally {
      await close();
    }
  },
});
