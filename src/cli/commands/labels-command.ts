import type { LabelChange } from '../../core/tune/session';
import { labelledRecords } from '../../core/tune/labelled-view';
import { annotatorAgreement, formatKappa } from '../../core/tune/annotator-agreement';
import { defineCommand, numberOption, requirePositional, UsageError, type CliIo, wholeNumber } from '../command';
import { annotatorFrom, annotatorOptions, headsOptions, pineconeOptions, storeOptions } from '../common-options';
import { openHead } from '../head-context';

export const labelsCommand = defineCommand({
  name: 'labels',
  summary:
    "List a head's labels (newest round first, or the ones the head most contradicts first), or change them. " +
    'A change or removal appends a line to labels.jsonl (the latest line per image wins) and retrains the head; a removed image may be offered again.',
  args: '<head-name>',
  options: {
    ...storeOptions,
    ...pineconeOptions,
    ...headsOptions,
    ...annotatorOptions,
    disagreements: {
      type: 'boolean',
      description: 'List the labels the head most contradicts first (likely mistakes or hard cases).',
    },
    limit: { type: 'string', description: 'List at most this many labels.' },
    set: { type: 'string', multiple: true, description: 'Change a score: <id>=<score from -1 to 1> (repeatable).' },
    remove: { type: 'string', multiple: true, description: 'Remove the label of this id (repeatable).' },
    annotators: {
      type: 'boolean',
      description:
        'Print the weighted kappa between each pair of annotators (`by`) and the images where they disagree, largest disagreement first.',
    },
    settle: {
      type: 'string',
      multiple: true,
      description:
        "Settle annotators' disagreement on an image: <id>=<score> appends a line marked settled, by you, which training takes. " +
        'Unlike --set, it is not your own score: it leaves the kappa as it is (repeatable).',
    },
  },
  examples: [
    'vector-tune labels hat --disagreements --limit 20',
    'vector-tune labels hat --set images/hat/12.jpg=-1 --remove images/shoes/3.jpg',
    'vector-tune labels hat --annotators',
    'vector-tune labels hat --settle images/hat/12.jpg=1',
  ],
  async run(parsed, io) {
    const [name] = requirePositional(parsed, 1, "the head's name", 'labels');
    const v = parsed.values;
    const limit = numberOption(v.limit, 'limit', wholeNumber(1));
    const changes: LabelChange[] = [
      ...v.set.map((s) => parseSet(s, 'set')),
      ...v.remove.map((id) => ({ id, score: null })),
      ...v.settle.map((s) => ({ ...parseSet(s, 'settle'), settle: true })),
    ];
    if (v.annotators && (changes.length > 0 || v.disagreements))
      throw new UsageError('--annotators lists; run it without --set, --remove, --settle or --disagreements.');
    if (new Set(changes.map((c) => c.id)).size !== changes.length)
      throw new UsageError('each id may be changed once per command.');
    const { session, close } = await openHead(v, name, io);
    try {
      if (changes.length > 0) {
        session.annotator = annotatorFrom(v, io.cwd);
        const started = performance.now();
        const { labelCount, notes } = await session.changeLabels(changes);
        const ms = performance.now() - started;
        for (const note of notes) io.err(note);
        const removed = changes.filter((c) => c.score === null).length;
        const settled = changes.filter((c) => c.settle).length;
        io.out(
          `changed ${changes.length - removed - settled}, removed ${removed}${settled > 0 ? `, settled ${settled}` : ''} label(s) of "${name}": retrained from ${labelCount} labels in ${ms.toFixed(0)} ms`,
        );
        return 0;
      }
      if (v.annotators) {
        printAgreement(session.allLabels, io, limit);
        return 0;
      }
      const rows = await labelledRecords(session, v.disagreements ? 'disagreement' : 'round');
      io.out(['round', 'score', 'head p', 'disagree', 'by', 'id'].join('\t'));
      for (const r of rows.slice(0, limit ?? rows.length)) {
        const p = r.probability === null ? 'gone' : r.probability.toFixed(3);
        io.out([r.round, r.score, p, r.disagreement.toFixed(3), r.by ?? '', r.id].join('\t'));
      }
      io.err(`${rows.length} label(s) in ${session.paths.labels}`);
      return 0;
    } finally {
      await close();
    }
  },
});

function parseSet(value: string, option: string): LabelChange {
  const at = value.lastIndexOf('=');
  const score = Number(value.slice(at + 1));
  if (at <= 0 || value.slice(at + 1).trim() === '' || !(score >= -1 && score <= 1))
    throw new UsageError(`--${option} "${value}": expected <id>=<score from -1 to 1>, e.g. images/hat/12.jpg=-1.`);
  return { id: value.slice(0, at), score };
}

/** The kappa table, then the disagreements (open ones largest first, then the settled ones), tab-separated. */
function printAgreement(labels: Parameters<typeof annotatorAgreement>[0], io: CliIo, limit?: number): void {
  const { annotators, pairs, disagreements } = annotatorAgreement(labels);
  io.out(`annotators: ${annotators.length > 0 ? annotators.join(', ') : 'none (no line records "by")'}`);
  io.out(['annotator', 'annotator', 'shared', 'weighted kappa'].join('\t'));
  for (const p of pairs) io.out([p.a, p.b, p.shared, formatKappa(p)].join('\t'));
  const open = disagreements.filter((d) => !d.settled).length;
  io.out(`disagreements: ${disagreements.length} (${open} open, ${disagreements.length - open} settled)`);
  io.out(['size', 'settled', 'scores', 'id'].join('\t'));
  for (const d of disagreements.slice(0, limit ?? disagreements.length)) {
    const scores = d.scores.map((s) => `${s.by} ${s.score} (round ${s.round}, ${s.time})`).join('; ');
    const settled = d.settled ? `${d.settled.score}${d.settled.by ? ` by ${d.settled.by}` : ''}` : '';
    io.out([d.size.toFixed(2), settled, scores, d.id].join('\t'));
  }
}
