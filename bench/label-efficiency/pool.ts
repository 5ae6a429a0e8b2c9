import { ChildProcess, fork } from 'node:child_process';
import * as path from 'node:path';
import type { Options } from './options';
import type { Job, JobResult } from './worker';

/**
 * Runs jobs on `options.workers` forked processes (each a BenchWorker), handing the next job to whichever
 * is free. Children inherit tsx through process.execArgv, so they run the TypeScript sources directly.
 * Jobs should be ordered longest first, so the last ones to finish are short.
 */
export async function runJobs(jobs: Job[], options: Options, onResult: (r: JobResult) => void): Promise<JobResult[]> {
  const queue = [...jobs];
  const results: JobResult[] = [];
  const workers = Math.max(1, Math.min(options.workers, jobs.length));
  const children: ChildProcess[] = [];
  try {
    await Promise.all(
      Array.from(
        { length: workers },
        () =>
          new Promise<void>((resolve, reject) => {
            const child = fork(path.join(__dirname, 'worker.ts'), [], {
              stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
            });
            children.push(child);
            const next = () => {
              const job = queue.shift();
              child.send(job ? { job } : { stop: true });
            };
            child.on('message', (m: { result?: JobResult; error?: string }) => {
              if (m.error) return reject(new Error(`a benchmark worker failed:\n${m.error}`));
              results.push(m.result!);
              onResult(m.result!);
              next();
            });
            // A worker exits after its stop message, once its temporary stores are removed.
            child.on('exit', (code) =>
              code === 0 ? resolve() : reject(new Error(`a benchmark worker exited with code ${code}`)),
            );
            child.send({ options });
            next();
          }),
      ),
    );
  } catch (e) {
    for (const child of children) if (child.exitCode === null) child.kill();
    throw e;
  }
  return results;
}
