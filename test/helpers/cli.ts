import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { REPO_ROOT } from './temp';

/** The built command line (`node esbuild.js` makes it), run as a user runs it: its own process. */
export const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

export interface CliRun {
  stdout: string;
  stderr: string;
  status: number | null;
}

export function cli(cwd: string, args: string[], env: NodeJS.ProcessEnv = process.env): CliRun {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** Runs the CLI and requires exit 0; returns its standard output. */
export function cliOk(cwd: string, ...args: string[]): string {
  const r = cli(cwd, args);
  assert.equal(r.status, 0, `vector-tune ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return r.stdout;
}
