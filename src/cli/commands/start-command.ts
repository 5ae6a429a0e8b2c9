import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { VectorTuneError } from '../../core/errors';
import { precisionError } from '../../core/store/precision-check';
import { headPaths } from '../../core/head/head-folder';
import { lockHead } from '../../core/head/head-lock';
import type { VectorStore } from '../../core/store/types';
import type { StartSpec } from '../../core/tune/start';
import { TuningSession } from '../../core/tune/session';
import { CliIo, defineCommand, requirePositional, UsageError } from '../command';
import {
  annotatorFrom,
  annotatorOptions,
  headsOptions,
  modelOptions,
  pineconeOptions,
  storeOptions,
  trainingOptions,
  trainingSettingsFrom,
} from '../common-options';
import { loadModelForCli } from '../model-loader';
import { openCliStore } from '../store-context';

export const startCommand = defineCommand({
  name: 'start',
  summary:
    'Start a new head: from a text prompt (CLIP text encoder), from example records (mean of their vectors), or from a weights file.',
  args: '<head-name>',
  options: {
    ...storeOptions,
    ...pineconeOptions,
    ...headsOptions,
    ...annotatorOptions,
    ...modelOptions,
    ...trainingOptions,
    prompt: { type: 'string', description: 'Text describing the positives, e.g. "dogs at dog shows".' },
    examples: { type: 'string', description: 'Comma-separated record ids of positive examples.' },
    'examples-file': { type: 'string', description: 'File with one example record id per line.' },
    weights: { type: 'string', description: 'Start from an existing classifier.weights.json.' },
    force: { type: 'boolean', description: 'Replace an existing head of that name (its labels are discarded).' },
  },
  examples: [
    'vector-tune start dog-shows --prompt "dogs at dog shows"',
    'vector-tune start hat --examples train/hat/a.jpg,train/hat/b.jpg',
  ],
  async run(parsed, io) {
    const [name] = requirePositional(parsed, 1, "the new head's name", 'start');
    const v = parsed.values;
    const settings = trainingSettingsFrom(v);
    const headsDir = path.resolve(io.cwd, v.heads!);
    const lock = lockHead(headPaths(headsDir, name).dir);
    const store = await openCliStore(v, io).catch((err: unknown) => {
      lock.release();
      throw err;
    });
    try {
      const start = await startSpec(v, store, io);
      const session = await TuningSession.create({
        headsDir,
        name,
        store,
        start,
        settings,
        overwrite: v.force,
        annotator: annotatorFrom(v, io.cwd),
      });
      io.out(
        `started head "${name}" from ${start.kind} (${session.labelCount} labels) -> ${path.relative(io.cwd, session.paths.weights)}`,
      );
      return 0;
    } finally {
      await store.close();
      lock.release();
    }
  },
});

async function startSpec(
  v: {
    prompt?: string;
    examples?: string;
    'examples-file'?: string;
    weights?: string;
    model?: string;
    'model-cache'?: string;
    offline: boolean;
  },
  store: VectorStore,
  io: CliIo,
): Promise<StartSpec> {
  const given = [v.prompt, v.examples, v['examples-file'], v.weights].filter((x) => x !== undefined).length;
  if (given !== 1) {
    throw new UsageError(
      'give exactly one start: --prompt, --examples, --examples-file or --weights.',
      undefined,
      'See: vector-tune start --help',
    );
  }
  if (v.weights) return { kind: 'weights', file: path.resolve(io.cwd, v.weights) };
  if (v.examples)
    return {
      kind: 'examples',
      ids: v.examples
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    };
  if (v['examples-file']) {
    const file = path.resolve(io.cwd, v['examples-file']);
    const text = await fs.readFile(file, 'utf8').catch(() => {
      throw new VectorTuneError('cannot read the examples file.', file);
    });
    return {
      kind: 'examples',
      ids: text
        .split(/\r?\n/)
        .map((s) => s.trim())
        .filter(Boolean),
    };
  }
  // A prompt needs the text half of the model that embedded the store; by default, that very model.
  const encoder = await loadModelForCli(v, io, store.info);
  try {
    if (encoder.modelId !== store.info.modelId) {
      throw new VectorTuneError(
        `the store holds embeddings of "${store.info.modelId}", but the prompt would be embedded by "${encoder.modelId}".`,
        undefined,
        'Pass --model with the model the store was indexed with.',
      );
    }
    const mixed = precisionError('a prompt cannot start a head on this store', store.info, encoder);
    if (mixed) throw mixed;
    const [vector] = await encoder.embedTexts([v.prompt!]);
    return { kind: 'prompt', prompt: v.prompt!, vector };
  } finally {
    await encoder.dispose();
  }
}
