// Finding and killing everything a run started: code-server's process group, and every process whose
// environment carries the run's id (VSCODE_TEST_RUN_ID, set on code-server and Chromium and inherited
// by all their children), also from a watchdog that outlives the harness should it be SIGKILLed.
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const { sleep } = require('./util');

const RUN_ID_VAR = 'VSCODE_TEST_RUN_ID';

/** Pids of live processes whose environment carries VSCODE_TEST_RUN_ID=<runId> (Linux /proc). */
function pidsWithRunId(runId) {
  const needle = Buffer.from(`${RUN_ID_VAR}=${runId}\0`);
  const found = [];
  let entries;
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return found;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${e}/environ`).includes(needle)) found.push(Number(e));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return found;
}

/**
 * A shell that outlives this process only to clean up after it: should the harness die without
 * its own cleanup (SIGKILL, an outer CI timeout), it kills code-server's process group and every
 * process carrying the run id, and removes the state folder. Normal cleanup kills it at the end.
 */
function startWatchdog(runId, codeServerPid, stateDir) {
  const script = [
    `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done`,
    `kill -KILL -- -${codeServerPid} 2>/dev/null`,
    `for p in /proc/[0-9]*; do`,
    `  grep -qa '${RUN_ID_VAR}=${runId}' "$p/environ" 2>/dev/null && kill -KILL "\${p#/proc/}" 2>/dev/null`,
    `done`,
    `sleep 1; rm -rf '${stateDir.replace(/'/g, `'\\''`)}'`,
  ].join('\n');
  const env = { PATH: process.env.PATH || '/usr/bin:/bin' }; // not the run id: it must not match itself
  const child = spawn('/bin/sh', ['-c', script], { env, detached: true, stdio: 'ignore' });
  child.unref();
  return child;
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

/**
 * SIGKILLs whatever still carries the run id: anything that left code-server's process group
 * (setsid'd terminals, re-parented helpers, Chromium children). Tries 10 times, 200 ms apart.
 */
async function killLeftovers(runId, log) {
  for (let i = 0; i < 10; i++) {
    const left = pidsWithRunId(runId);
    if (left.length === 0) break;
    if (i === 0) log(`killing ${left.length} leftover process(es): ${left.join(' ')}`);
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await sleep(200);
  }
}

module.exports = { RUN_ID_VAR, pidsWithRunId, startWatchdog, killGroup, killLeftovers };
