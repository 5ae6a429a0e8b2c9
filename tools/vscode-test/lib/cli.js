// The command line of tools/vscode-test/run.js: arguments to runVsCodeTests options, and the exit code.
'use strict';

const USAGE = `usage: node tools/vscode-test/run.js --extension-development-path DIR --extension-tests-path FILE
         [--workspace DIR] [--driver FILE] [--screenshot-dir DIR] [--timeout-ms N] [--verbose]
exit code: the tests' own, 124 on timeout, 2 on a harness error`;

const NAMES = {
  '--extension-development-path': 'extensionDevelopmentPath',
  '--extension-tests-path': 'extensionTestsPath',
  '--workspace': 'workspaceFolder',
  '--workspace-folder': 'workspaceFolder',
  '--driver': 'driver',
  '--screenshot-dir': 'screenshotDir',
  '--timeout-ms': 'timeoutMs',
  '--chromium': 'chromiumPath',
};

/** `--name value` and `--name=value` into runVsCodeTests options; throws on anything it does not know. */
function parseCli(argv) {
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let value;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      value = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    if (a === '--verbose') opts.verbose = true;
    else if (a === '--help' || a === '-h') opts.help = true;
    else if (NAMES[a]) {
      if (value === undefined) value = argv[++i];
      if (value === undefined) throw new Error(`${a} needs a value`);
      opts[NAMES[a]] = NAMES[a] === 'timeoutMs' ? Number(value) : value;
    } else throw new Error(`unknown argument: ${a}`);
  }
  return opts;
}

/** Runs the tests the command line names and exits with their code (2 on bad arguments or a harness error). */
function runCli(runVsCodeTests, exitHarnessError) {
  let opts;
  try {
    opts = parseCli(process.argv.slice(2));
  } catch (e) {
    console.error(`${e.message}\n${USAGE}`);
    process.exit(exitHarnessError);
  }
  if (opts.help || !opts.extensionDevelopmentPath || !opts.extensionTestsPath) {
    console.error(USAGE);
    process.exit(opts.help ? 0 : exitHarnessError);
  }
  runVsCodeTests(opts).then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(exitHarnessError);
    },
  );
}

module.exports = { USAGE, parseCli, runCli };
