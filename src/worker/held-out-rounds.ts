import * as path from 'node:path';
import { describeError } from '../core/errors';
import type { HeldOutFigures } from '../core/eval/held-out-set';
import { HeldOutTrend } from '../core/eval/held-out-trend';
import type { TuningSession } from '../core/tune/session';
import type { EngineConfig } from '../protocol/worker-protocol';
import type { ModelHolder } from './model-holder';
import type { WorkerLog } from './worker-log';

/** vectorTune.evalEvery's default: the open head is measured on its held-out set every 5 rounds. */
export const DEFAULT_EVAL_EVERY = 5;

/**
 * The open head's held-out AP trend in the worker (held-out-trend.ts): a folder of images is embedded once, with the
 * worker's model, when the first evaluated round comes; then each evaluated round costs a scoring of its vectors. A
 * held-out set that cannot be read never fails the round (its labels are saved by then): the round says why instead.
 */
export class HeldOutRounds {
  private trend?: { dir: string; trend: HeldOutTrend };

  constructor(
    private readonly models: ModelHolder,
    private readonly log: WorkerLog,
  ) {}

  /** A head (re)opened reads its held-out set afresh at its next measured round: its images may have changed. */
  reset(): void {
    this.trend = undefined;
  }

  async after(
    session: TuningSession,
    round: number,
    config: EngineConfig,
  ): Promise<{ figures?: HeldOutFigures; note?: string }> {
    const dir = path.resolve(session.paths.dir);
    if (this.trend?.dir !== dir) {
      const options = { root: config.workspaceRoot, embedder: () => this.embedder(config, session.name) };
      this.trend = { dir, trend: new HeldOutTrend(dir, options) };
    }
    try {
      const figures = await this.trend.trend.afterRound(session, round, config.evalEvery ?? DEFAULT_EVAL_EVERY);
      if (figures)
        this.log(
          'info',
          `Head "${session.name}" round ${round}: held-out AP ${figures.averagePrecision?.toFixed(4) ?? 'n/a'} (${Math.round(figures.ms)} ms).`,
        );
      return figures ? { figures } : {};
    } catch (err) {
      const note = `The held-out set was not evaluated: ${describeError(err)}`;
      this.log('warn', `Head "${session.name}" round ${round}: ${note}`);
      return { note };
    }
  }

  private async embedder(config: EngineConfig, head: string) {
    this.log('info', `Embedding the held-out images of head "${head}" (once; later rounds reuse the vectors).`);
    return this.models.encoder(config);
  }
}
