import { parseArgs, type ParseArgsConfig } from 'node:util';
import { MovieClassifierError } from '../src/errors.js';

/**
 * Runs a command-line entry point: known errors print their message and exit 1 without a stack
 * trace; anything else is a bug and keeps its stack.
 */
export function runCli(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    if (error instanceof MovieClassifierError) {
      process.stderr.write(`error: ${error.message}\n`);
    } else {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
    process.exitCode = 1;
  });
}

export function parseCliArgs<T extends NonNullable<ParseArgsConfig['options']>>(options: T, usage: string) {
  try {
    return parseArgs({ options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${usage}\n`);
    process.exit(2);
  }
}

/** Parses a numeric option, failing with the option's name and the bad value. */
export function numberOption(name: string, raw: string | undefined, fallback: number, check: (n: number) => boolean): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || !check(value)) {
    process.stderr.write(`--${name}: '${raw}' is not a valid value.\n`);
    process.exit(2);
  }
  return value;
}
