// What a run leaves in its screenshot folder: numbered screenshots, code-server.log,
// browser-console.log, logs/workbench/* (the client logs VS Code hands to codeAutomationExit) and
// logs/server/* (extension host and remote agent logs, kept from the state folder).
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { withTimeout } = require('./util');

/** Whether a file in the screenshot folder is one an earlier run of the harness wrote there. */
const isHarnessArtifact = (f) =>
  /^\d\d-.*\.png$/.test(f) || f === 'code-server.log' || f === 'browser-console.log' || f === 'logs';

/** Creates the folder, and removes only what an earlier run of the harness wrote there: fresh artifacts each run. */
function clearArtifacts(dir) {
  fs.mkdirSync(dir, { recursive: true });
  for (const f of fs.readdirSync(dir)) {
    if (isHarnessArtifact(f)) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
  }
}

/** Numbered screenshots of the current page (none while there is no page): `NN-<name>.png`. */
function createScreenshots(dir, getPage, log) {
  let count = 0;
  return {
    get count() {
      return count;
    },
    async take(name) {
      const page = getPage();
      if (!page) return null;
      const file = path.join(dir, `${String(++count).padStart(2, '0')}-${name.replace(/[^\w.-]+/g, '_')}.png`);
      await withTimeout(page.screenshot({ path: file }), 10_000, 'screenshot');
      log(`screenshot: ${path.relative(process.cwd(), file)}`);
      return file;
    },
  };
}

/** Writes [{relativePath, contents}] (as VS Code hands them to codeAutomationExit) under dir. */
function saveLogFiles(dir, files) {
  if (!Array.isArray(files)) return;
  for (const f of files) {
    if (!f || typeof f.relativePath !== 'string' || typeof f.contents !== 'string') continue;
    const target = path.resolve(dir, f.relativePath);
    if (!target.startsWith(path.resolve(dir) + path.sep)) continue;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, f.contents);
  }
}

/** Keeps the server side's logs (extension host, remote agent) before the state folder goes. */
function keepServerLogs(stateDir, dir, log) {
  try {
    const serverLogs = path.join(stateDir, 'user', 'logs');
    if (fs.existsSync(serverLogs)) fs.cpSync(serverLogs, path.join(dir, 'logs', 'server'), { recursive: true });
  } catch (e) {
    log(`could not keep server logs: ${e.message}`);
  }
}

function closeStream(stream) {
  return new Promise((r) => stream.end(r));
}

module.exports = { clearArtifacts, createScreenshots, saveLogFiles, keepServerLogs, closeStream };
