import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { DIVERSE_DEFAULTS } from '../../src/core/tune/diverse';
import { cifarTask, clothingTasks, Task } from './data';
import { budgets, Options } from './options';
import type { AuditCheck, StopResult } from './loop-extras';
import { CurvePoint, fullSupervision, FullSupervision, headsDirFor, Method, runLoop } from './run';

/**
 * One benchmark process. Jobs are independent (each loop run is its own head in its own store), so they
 * spread over processes, one per core, and the results do not depend on which process ran what.
 * A worker imports the data it needs into its own temporary stores on first use.
 */
export type Job = { kind: 'full'; task: string } | { kind: 'loop'; task: string; method: Method; seed: number };

export interface TaskInfo {
  description: string;
  heldRows: number;
  heldPositives: number;
}

export type JobResult =
  | { kind: 'full'; task: string; full: FullSupervision; info: TaskInfo; seconds: number }
  | {
      kind: 'loop';
      task: string;
      method: Method;
      seed: number;
      curve: CurvePoint[];
      stop: StopResult;
      audit: AuditCheck[];
      seconds: number;
    };

export class BenchWorker {
  private readonly tasks = new Map<string, Promise<Task>>();
  private workDir?: Promise<string>;

  constructor(private readonly options: Options) {}

  async run(job: Job): Promise<JobResult> {
    const started = Date.now();
    const task = await this.task(job.task);
    const seconds = () => (Date.now() - started) / 1000;
    if (job.kind === 'full') {
      const full = await fullSupervision(task, this.options.settings);
      const info = { description: task.description, heldRows: task.held.rows, heldPositives: task.held.positives };
      return { kind: 'full', task: job.task, full, info, seconds: seconds() };
    }
    const b = budgets(this.options);
    // The session has no per-call diversity knob: the benchmark sets the engine's default in its own process.
    DIVERSE_DEFAULTS.maxSimilarity = this.options.diverseSimilarity;
    const { curve, stop, audit } = await runLoop(task, job.method, {
      headsDir: headsDirFor(await this.dir(), task),
      batch: this.options.batch,
      starts: this.options.starts,
      seed: job.seed,
      settings: this.options.settings,
      rounds: job.method === 'random' ? b.randomRounds : b.rounds,
      audit: { draws: this.options.auditDraws, size: this.options.auditSize },
    });
    return { kind: 'loop', task: job.task, method: job.method, seed: job.seed, curve, stop, audit, seconds: seconds() };
  }

  async close(): Promise<void> {
    if (this.workDir) await fs.rm(await this.workDir, { recursive: true, force: true });
  }

  private dir(): Promise<string> {
    this.workDir ??= fs.mkdtemp(path.join(os.tmpdir(), 'vt-bench-labels-'));
    return this.workDir;
  }

  /** Task names are "clothing/hat", "clothing/skirt", "cifar10/ship". */
  private task(name: string): Promise<Task> {
    let task = this.tasks.get(name);
    if (!task) {
      const [dataset, positive] = name.split('/');
      task = this.dir().then(async (dir) => {
        if (dataset === 'cifar10') return cifarTask(dir, positive, 0.01);
        return (await clothingTasks(path.join(dir, positive), [positive], this.options.clothingHeld))[0];
      });
      this.tasks.set(name, task);
    }
    return task;
  }
}

/** Entry point when forked by main.ts: run jobs sent over IPC until told to stop. */
if (require.main === module) {
  let worker: BenchWorker | undefined;
  process.on('message', (message: { options?: Options; job?: Job; stop?: true }) => {
    void (async () => {
      if (message.options) worker = new BenchWorker(message.options);
      if (message.job) {
        try {
          process.send!({ result: await worker!.run(message.job) });
        } catch (e) {
          process.send!({ error: e instanceof Error ? e.stack : String(e) });
        }
      }
      if (message.stop) {
        await worker?.close();
        process.disconnect();
      }
    })();
  });
}
