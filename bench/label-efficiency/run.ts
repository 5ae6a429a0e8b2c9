import * as path from 'node:path';
import { averagePrecision } from '../../src/core/eval/metrics';
import { logitsOfRaw } from '../../src/core/head/apply-head';
import { DEFAULT_TRAINING, Example, LinearHead, TrainingSettings } from '../../src/core/head/linear-head';
import type { HeadWeights } from '../../src/core/head/weights-file';
import { TuningSession } from '../../src/core/tune/session';
import type { Strategy } from '../../src/core/tune/strategy';
import { mixSeed, seededRandom, shuffledIndices } from '../../src/core/util/random';
import type { Task } from './data';
import { AuditCheck, auditChecks, StopResult, StopTracker } from './loop-extras';

/**
 * `random` is the baseline: unseen pool records drawn uniformly, through the same session and training rule. The
 * `-diverse` strategies are the plain ones with near-duplicates collapsed (src/core/tune/diverse.ts).
 */
export type Method = Strategy | 'random';
export const METHODS: Method[] = [
  'top',
  'boundary',
  'mixed',
  'top-diverse',
  'boundary-diverse',
  'mixed-diverse',
  'random',
];

export interface CurvePoint {
  labels: number;
  /** Positives among the labels so far. */
  positives: number;
  ap: number;
}

export interface RunOptions {
  headsDir: string;
  batch: number;
  /** Start examples (positives). */
  starts: number;
  rounds: number;
  seed: number;
  settings?: Partial<TrainingSettings>;
  /** Audit samples of the final head, and their size. */
  audit: { draws: number; size: number };
}

export interface LoopResult {
  curve: CurvePoint[];
  stop: StopResult;
  audit: AuditCheck[];
}

/** The seed's starting positives: the same for every method, so methods differ only in what they pick next. */
export function startExamples(task: Task, seed: number, count = 3): string[] {
  const positives = [...task.poolPositives];
  const order = shuffledIndices(positives.length, seededRandom(mixSeed(seed, 0x5eed)));
  return order.slice(0, count).map((i) => positives[i]);
}

export function heldOutAp(task: Task, weights: Readonly<HeadWeights>): number {
  return averagePrecision(logitsOfRaw(weights, task.held.data, task.held.rows), task.held.truth);
}

/**
 * One simulated labelling session: create a head from the seed's examples in the task's real store, then
 * rounds of nextBatch -> answers from truth -> submit, recording held-out AP after the start and each round.
 */
export async function runLoop(task: Task, method: Method, options: RunOptions): Promise<LoopResult> {
  const examples = startExamples(task, options.seed, options.starts);
  const name = `${task.positive}-${method}-s${options.seed}`;
  const session = await TuningSession.create({
    headsDir: options.headsDir,
    name,
    store: task.store,
    start: { kind: 'examples', ids: examples },
    settings: options.settings,
    overwrite: true,
  });
  const labelled = new Set(examples);
  let positives = examples.length;
  const curve: CurvePoint[] = [{ labels: session.labelCount, positives, ap: heldOutAp(task, session.currentWeights) }];
  const stop = new StopTracker(task);
  await stop.push(session.currentWeights, curve[0].labels, curve[0].ap);
  const randomOrder = method === 'random' ? randomPoolOrder(task, options.seed, labelled) : [];
  for (let round = 1; round <= options.rounds; round++) {
    const ids =
      method === 'random'
        ? randomOrder.splice(0, options.batch)
        : (await session.nextBatch(options.batch, method)).map((c) => c.id);
    if (ids.length === 0) break;
    for (const id of ids) if (labelled.has(id)) throw new Error(`${name}: ${id} was shown twice`);
    ids.forEach((id) => labelled.add(id));
    positives += ids.filter((id) => task.poolPositives.has(id)).length;
    await session.submit(ids.map((id) => ({ id, score: task.poolPositives.has(id) ? 1 : -1 })));
    curve.push({ labels: session.labelCount, positives, ap: heldOutAp(task, session.currentWeights) });
    await stop.push(session.currentWeights, session.labelCount, curve[curve.length - 1].ap);
  }
  const { draws, size } = options.audit;
  const audit = await auditChecks(task, session.currentWeights, options.seed, size, draws);
  return { curve, stop: stop.result(), audit };
}

/** A seeded uniform order of the pool records not yet labelled (the random labeller's queue). */
function randomPoolOrder(task: Task, seed: number, exclude: Set<string>): string[] {
  const candidates = task.poolIds.filter((id) => !exclude.has(id));
  return shuffledIndices(candidates.length, seededRandom(mixSeed(seed, 0x4a4d))).map((i) => candidates[i]);
}

export interface FullSupervision {
  ap: number;
  passes: number;
  /** Held-out AP after each chunk of passes: shows the reference has converged. */
  trace: { passes: number; loss: number; ap: number }[];
}

/**
 * The reference: a head trained on every pool label with the loop's own rule and settings (LinearHead.train,
 * the same learning rate, mini-batch, L2 and class handling), from zero, in chunks of passes until the
 * training loss stops improving (relative change below `tolerance` over a chunk) or `maxPasses`.
 */
export async function fullSupervision(
  task: Task,
  settings: Partial<TrainingSettings> = {},
  chunk = 25,
  maxPasses = 400,
  tolerance = 2e-3,
): Promise<FullSupervision> {
  const s = { ...DEFAULT_TRAINING, ...settings, stepsPerBatch: chunk };
  const records = await task.store.fetch(task.poolIds);
  const examples: Example[] = records.map((r) => ({ x: r.vector, target: task.poolPositives.has(r.id) ? 1 : 0 }));
  const head = LinearHead.fromStart(new Float64Array(task.store.info.dimension), 0);
  const trace: FullSupervision['trace'] = [];
  const centre = task.store.info.centringMean;
  const asWeights = () =>
    ({
      model: { id: task.store.info.modelId, dimension: head.dimension },
      preprocessing: { centre: centre ? Array.from(centre) : null, normalise: 'l2' },
      w: Array.from(head.w),
      b: head.b,
    }) as unknown as HeadWeights;
  let previous = Infinity;
  for (let passes = chunk; passes <= maxPasses; passes += chunk) {
    const { loss } = head.train(examples, s, passes / chunk);
    trace.push({ passes, loss, ap: heldOutAp(task, asWeights()) });
    if (Math.abs(previous - loss) <= tolerance * loss) break;
    previous = loss;
  }
  const last = trace[trace.length - 1];
  return { ap: last.ap, passes: last.passes, trace };
}

export function headsDirFor(workDir: string, task: Task): string {
  return path.join(workDir, 'heads', task.name.replace('/', '-'));
}
