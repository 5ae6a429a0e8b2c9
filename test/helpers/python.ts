import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

/**
 * Debian's Python, which has the python3-numpy and python3-onnx packages that scripts/install-python-deps.sh
 * installs (npm test runs it). /usr/bin/python3 first: a python3 earlier on PATH (pyenv, a venv) does not see
 * Debian's packages. A missing package fails the test with what to run, never skips it.
 */
export function debianPython(): string {
  const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const probe = spawnSync(python, ['-c', 'import numpy, onnx'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(
      `${python} cannot import numpy and onnx (${(probe.stderr || String(probe.error)).trim()}). Install them: bash scripts/install-python-deps.sh (npm test does)`,
    );
  }
  return python;
}

export function runPython(args: string[], cwd?: string): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(debianPython(), args, { cwd, encoding: 'utf8' });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}
