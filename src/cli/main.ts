#!/usr/bin/env node
import * as os from 'node:os';
import { describeError, VectorTuneError } from '../core/errors';
import { maskSecrets } from '../core/util/mask-secret';
import { VECTOR_TUNE_VERSION } from '../core/version';
import { CliIo, Command, commandHelp, parseCommandArgs, UsageError } from './command';
import { auditCommand } from './commands/audit-command';
import { calibrateCommand } from './commands/calibrate-command';
import { copyStoreCommand } from './commands/copy-store-command';
import { evalCommand } from './commands/eval-command';
import { heldOutCommand } from './commands/held-out-command';
import { exportCommand } from './commands/export-command';
import { importCommand } from './commands/import-command';
import { indexCommand } from './commands/index-command';
import { predictCommand } from './commands/predict-command';
import { labelsCommand } from './commands/labels-command';
import { rankCommand } from './commands/rank-command';
import { rebuildCommand } from './commands/rebuild-command';
import { resetSeenCommand } from './commands/reset-seen-command';
import { startCommand } from './commands/start-command';
import { tuneCommand } from './commands/tune-command';

const COMMANDS: Command[] = [
  indexCommand,
  importCommand,
  startCommand,
  tuneCommand,
  labelsCommand,
  rebuildCommand,
  rankCommand,
  evalCommand,
  heldOutCommand,
  auditCommand,
  calibrateCommand,
  exportCommand,
  predictCommand,
  resetSeenCommand,
  copyStoreCommand,
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'vector-tune: train a linear head on image embeddings by labelling what the head itself finds.',
    '',
    'Usage: vector-tune <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${firstSentence(c.summary)}.`),
    '',
    'Run "vector-tune <command> --help" for a command\'s options, "vector-tune --version" for the version.',
  ].join('\n');
}

/** A summary's first sentence, without its full stop: one ends at ". " before a capital, so "e.g. the" goes on. */
export function firstSentence(summary: string): string {
  return summary.split(/\.\s+(?=[A-Z"`'(])/)[0].replace(/\.$/, '');
}

/**
 * Runs one CLI invocation; returns the exit code: 0 ok, 1 a problem with the data or files (a VectorTuneError, and
 * a failed eval gate), 2 a usage error (UsageError), 70 a bug. Errors go to stderr.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    io.out(VECTOR_TUNE_VERSION);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`vector-tune: unknown command "${name}".\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(commandHelp(command));
    return 0;
  }
  try {
    return await command.run(parseCommandArgs(command, rest), io);
  } catch (err) {
    // The Pinecone key is read from the environment only; whatever went wrong, it is never printed.
    io.err(`vector-tune ${name}: ${maskSecrets(describeError(err), [io.env.PINECONE_API_KEY])}`);
    return err instanceof UsageError ? 2 : err instanceof VectorTuneError ? 1 : 70;
  }
}

if (require.main === module) {
  const io: CliIo = {
    out: (line) => process.stdout.write(line + '\n'),
    err: (line) => process.stderr.write(line + '\n'),
    cwd: process.cwd(),
    env: process.env,
  };
  // Ctrl+C or a kill from a CI runner: exit through Node's exit hooks, which release the store's writer lock (an
  // unhandled signal ends the process without them). Every write is atomic or appended with fsync, so stopping
  // between two writes loses nothing that was acknowledged.
  // `vector-tune labels hat | head`: the reader has all it wants; stop quietly, as Unix tools do, instead of an
  // unhandled EPIPE with a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => process.exit(128 + os.constants.signals[signal]));
  runCli(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      // runCli reports a command's errors itself; this is only for a failure outside any command.
      io.err(`vector-tune: ${maskSecrets(describeError(err), [io.env.PINECONE_API_KEY])}`);
      process.exitCode = 70;
    },
  );
}
