import { parseArgs } from 'node:util';
import { VectorTuneError } from '../core/errors';
import type { EvaluationResult } from '../core/eval/evaluation-result';

/** One CLI subcommand: its options are declared once and drive both parsing and `--help`. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  description: string;
  /** Shown in help and used when the option is absent. */
  default?: string;
  multiple?: boolean;
  short?: string;
}

export interface Command<O extends Record<string, OptionSpec> = Record<string, OptionSpec>> {
  name: string;
  summary: string;
  /** e.g. "<folder>": the positional arguments, shown in usage. */
  args: string;
  options: O;
  examples?: string[];
  run(parsed: Parsed<O>, io: CliIo): Promise<number>;
}

/**
 * The parsed value of an option of type T (repeatable when M is true). Distributive, so that for a command
 * whose options are not known (plain `Command`, as the CLI's list of commands holds them) a value is any of
 * boolean, string[] or string | undefined, not string | undefined alone; the types of a command's own
 * options are the same either way.
 */
type OptionValue<T extends OptionSpec['type'], M> = T extends 'boolean'
  ? boolean
  : M extends true
    ? string[]
    : string | undefined;

export type Parsed<O extends Record<string, OptionSpec>> = {
  positionals: string[];
  values: { [K in keyof O]: OptionValue<O[K]['type'], O[K]['multiple']> };
};

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** `eval --all` hears here what eval made of each head (commands/eval-all.ts). */
  onEvaluated?(evaluation: HeadEvaluation): void;
}

/** What eval made of one head, as `eval --all` hears it (commands/eval-all.ts). */
export interface HeadEvaluation {
  result: EvaluationResult;
  previous: EvaluationResult | null;
  /** The gates it failed, each in a sentence; empty when it passed. */
  failures: string[];
  markdownFile: string;
}

/**
 * The command line itself is wrong (unknown option, a value that is not a number, options that exclude each
 * other, a missing argument): exit code 2, as against 1 for a problem with the data or the files.
 */
export class UsageError extends VectorTuneError {}

export function defineCommand<O extends Record<string, OptionSpec>>(command: Command<O>): Command<O> {
  return command;
}

export function parseCommandArgs<O extends Record<string, OptionSpec>>(command: Command<O>, argv: string[]): Parsed<O> {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const [name, spec] of Object.entries(command.options)) {
    options[name] = {
      type: spec.type,
      ...(spec.multiple ? { multiple: true } : {}),
      ...(spec.short ? { short: spec.short } : {}),
    };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(
      // Node's message spans lines and may or may not end in a full stop: one line, one full stop.
      // (its advice on positionals starting with "-" is dropped: a mistyped option is far likelier).
      `${(err as Error).message
        .replace(/\. To specify a positional.*$/s, '')
        .replace(/\s*\n\s*/g, ' ')
        .replace(/\.?\s*$/, '')}.`,
      undefined,
      `See: vector-tune ${command.name} --help`,
    );
  }
  const values: Record<string, unknown> = { ...parsed.values };
  for (const [name, spec] of Object.entries(command.options)) {
    if (values[name] === undefined) values[name] = spec.type === 'boolean' ? false : spec.multiple ? [] : spec.default;
  }
  return { positionals: parsed.positionals, values: values as Parsed<O>['values'] };
}

export function commandHelp(command: Command): string {
  const lines = [`vector-tune ${command.name} ${command.args}`.trimEnd(), '', command.summary, '', 'Options:'];
  const entries = Object.entries(command.options);
  const width = Math.max(...entries.map(([n, s]) => optionLabel(n, s).length), 6);
  for (const [name, spec] of entries) {
    const def = spec.default !== undefined ? ` (default: ${spec.default})` : '';
    lines.push(`  ${optionLabel(name, spec).padEnd(width)}  ${spec.description}${def}`);
  }
  lines.push(`  ${'--help'.padEnd(width)}  Show this help.`);
  if (command.examples?.length) lines.push('', 'Examples:', ...command.examples.map((e) => `  ${e}`));
  return lines.join('\n');
}

function optionLabel(name: string, spec: OptionSpec): string {
  return `--${name}${spec.type === 'string' ? ' <value>' : ''}`;
}

/** Parses a number option, naming the option when it is not one. */
/** A check of a numeric option that can say what it accepts, for the error ("a whole number, 1 or more"). */
export type NumberCheck = ((n: number) => boolean) & { expected?: string };

export function wholeNumber(min: number, max?: number): NumberCheck {
  const check = (n: number) => Number.isInteger(n) && n >= min && (max === undefined || n <= max);
  return Object.assign(check, {
    expected: max === undefined ? `a whole number, ${min} or more` : `a whole number from ${min} to ${max}`,
  });
}

export function numberOption(
  value: string | undefined,
  name: string,
  check: NumberCheck = () => true,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !check(n))
    throw new UsageError(
      `--${name} "${value}" is not a valid number here${check.expected ? `: give ${check.expected}` : ''}.`,
    );
  return n;
}

export function requirePositional(
  parsed: { positionals: string[] },
  count: number,
  what: string,
  command: string,
): string[] {
  if (parsed.positionals.length !== count) {
    throw new UsageError(`expected ${what}.`, undefined, `See: vector-tune ${command} --help`);
  }
  return parsed.positionals;
}
