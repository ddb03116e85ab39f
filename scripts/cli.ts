import { parseArgs, type ParseArgsConfig } from 'node:util';

import { MovieClassifierError, UsageError } from '../src/errors.js';

/** A script's body: gets the command-line arguments, throws to fail. */
export type Command = (argv: readonly string[]) => Promise<void>;

export interface CommandContext {
  argv: readonly string[];
  /** Printed after the message of a UsageError, and alone (to stdout, exit 0) for --help or -h. */
  usage?: string;
  stderr: { write(text: string): unknown };
  /** Where --help prints the usage. @default nowhere */
  stdout?: { write(text: string): unknown };
}

/** Asking for the usage is not a mistake: it is answered before the command parses anything. */
const HELP_FLAGS: readonly string[] = ['--help', '-h'];

/**
 * Runs a command and says how it ended, as an exit code: 0 for --help or -h (the usage printed,
 * the command not run); 0 when it returned; 2 for a UsageError
 * (its message, then the usage); 1 for another MovieClassifierError (its message on one line, no
 * stack: the command refused, and the message says why); 1 with the stack for anything else, a bug.
 */
export async function runCommand(command: Command, { argv, usage, stderr, stdout }: CommandContext): Promise<number> {
  if (usage !== undefined && argv.some((arg) => HELP_FLAGS.includes(arg))) {
    stdout?.write(`${usage}\n`);
    return 0;
  }
  try {
    await command(argv);
    return 0;
  } catch (error: unknown) {
    if (error instanceof UsageError) {
      stderr.write(`error: ${error.message}\n${usage === undefined ? '' : `\n${usage}\n`}`);
      return 2;
    }
    if (error instanceof MovieClassifierError) {
      stderr.write(`error: ${error.message}\n`);
      return 1;
    }
    stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}

/**
 * The one runner of the scripts: runs the command on this process's arguments and sets the exit
 * code `runCommand` gives (a command may set its own, which a clean return leaves as it is).
 */
export function runCli(command: Command, options: { usage?: string } = {}): void {
  void runCommand(command, {
    argv: process.argv.slice(2),
    stderr: process.stderr,
    stdout: process.stdout,
    ...options,
  }).then((code) => {
    if (code !== 0) process.exitCode = code;
  });
}

/** `--name value` options only, no positionals; anything else is a UsageError. */
export function parseCliArgs<T extends NonNullable<ParseArgsConfig['options']>>(argv: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
}

/** Parses a numeric option, `fallback` when absent; a bad value is a UsageError naming the option and the value. */
export function numberOption<F extends number | undefined>(
  name: string,
  raw: string | undefined,
  fallback: F,
  check: (n: number) => boolean,
): number | F {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || !check(value)) {
    throw new UsageError(`--${name}: '${raw}' is not a valid value.`);
  }
  return value;
}
