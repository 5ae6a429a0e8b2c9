// code-server (VS Code 1.100.3 server + web workbench) with throwaway state: the state folder's
// layout and quiet user settings, its environment and arguments, .vsix installs, start and stop.
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { killGroup } = require('./processes');
const { withTimeout } = require('./util');

const CODE_SERVER_ENTRY = path.join(__dirname, '..', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const LISTENING = 'HTTP server listening on';

/** Stable user settings: no welcome page, no trust prompt, no telemetry, no update checks, no git toast. */
const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'workbench.tips.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
};

/** Lays out the state folder: user data, extensions, XDG folders, config.yaml and the user settings. */
function prepareState(stateDir, settings) {
  for (const d of ['user', 'exts', 'xdg-config', 'xdg-data', 'xdg-cache', 'xdg-state'])
    fs.mkdirSync(path.join(stateDir, d));
  fs.writeFileSync(path.join(stateDir, 'config.yaml'), 'auth: none\ncert: false\n');
  fs.mkdirSync(path.join(stateDir, 'user', 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(stateDir, 'user', 'User', 'settings.json'),
    JSON.stringify({ ...QUIET_SETTINGS, ...(settings || {}) }, null, 2),
  );
}

/** This process's environment without VS Code's own hooks, with the state folder's XDG folders, plus `extra`. */
function serverEnv(stateDir, extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    // A harness started from a VS Code terminal must not hand that VS Code's hooks to this one.
    if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE') continue;
    env[k] = v;
  }
  return Object.assign(env, {
    XDG_CONFIG_HOME: path.join(stateDir, 'xdg-config'),
    XDG_DATA_HOME: path.join(stateDir, 'xdg-data'),
    XDG_CACHE_HOME: path.join(stateDir, 'xdg-cache'),
    XDG_STATE_HOME: path.join(stateDir, 'xdg-state'),
    ...extra,
  });
}

/** Packaged extensions (.vsix) go into this run's extensions folder first, as a user would install them. */
function installExtensions(vsixes, { stateDir, env, log }) {
  for (const vsix of vsixes || []) {
    log(`installing ${vsix}`);
    const args = [
      CODE_SERVER_ENTRY,
      '--install-extension',
      path.resolve(vsix),
      '--extensions-dir',
      path.join(stateDir, 'exts'),
      '--user-data-dir',
      path.join(stateDir, 'user'),
    ];
    const install = spawnSync(process.execPath, args, { env, encoding: 'utf8', timeout: 120_000 });
    if (install.status !== 0)
      throw new Error(
        `installing ${vsix} failed (exit ${install.status}): ${(install.stderr || install.stdout || '').slice(-500)}`,
      );
  }
}

/** Spawns code-server on 127.0.0.1:port, detached: its own process group, so the extension host and helpers die with it. */
function spawnCodeServer(port, stateDir, env) {
  const args = [
    CODE_SERVER_ENTRY,
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--user-data-dir',
    path.join(stateDir, 'user'),
    '--extensions-dir',
    path.join(stateDir, 'exts'),
    '--config',
    path.join(stateDir, 'config.yaml'),
  ];
  return spawn(process.execPath, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Resolves once code-server says it is listening; rejects if it exits first. All its output goes to onOutput. */
function untilListening(child, onOutput) {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk) => {
      onOutput(chunk);
      if (seen === null) return;
      seen += chunk.toString();
      if (seen.includes(LISTENING)) {
        seen = null;
        resolve();
      } else if (seen.length > 100_000) seen = seen.slice(-10_000);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, sig) => reject(new Error(`code-server exited early (code ${code}, signal ${sig})`)));
  });
}

/** SIGTERM to code-server's process group, SIGKILL after 5 s, then SIGKILL for stragglers left in the group. */
async function stopCodeServer(child) {
  if (child.exitCode === null && child.signalCode === null) {
    killGroup(child.pid, 'SIGTERM');
    const gone = new Promise((r) => child.once('exit', r));
    await withTimeout(gone, 5_000, 'code-server stop').catch(() => killGroup(child.pid, 'SIGKILL'));
  }
  killGroup(child.pid, 'SIGKILL');
}

module.exports = {
  CODE_SERVER_ENTRY,
  prepareState,
  serverEnv,
  installExtensions,
  spawnCodeServer,
  untilListening,
  stopCodeServer,
};
