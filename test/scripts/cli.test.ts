import { describe, expect, it } from 'vitest';

import { InvalidInputError, ModelFileError, UsageError } from '../../src/errors.js';
import { numberOption, parseCliArgs, runCommand, type Command } from '../../scripts/cli.js';

const USAGE = 'usage: npm run thing -- --data PATH';

/** Runs a command in-process as the scripts' runner does; returns its exit code and what it wrote to stderr. */
async function run(command: Command, argv: string[] = []): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const code = await runCommand(command, { argv, usage: USAGE, stderr: { write: (text: string) => (stderr += text) } });
  return { code, stderr };
}

describe('runCommand', () => {
  it('passes the arguments to the command and exits 0, silent, when it returns', async () => {
    let seen: readonly string[] = [];

    const { code, stderr } = await run(async (argv) => void (seen = argv), ['--data', 'x']);

    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(seen).toEqual(['--data', 'x']);
  });

  it('exits 2 on a usage error, printing the message and then the usage', async () => {
    const { code, stderr } = await run(async () => {
      throw new UsageError('--data is required.');
    });

    expect(code).toBe(2);
    expect(stderr).toBe(`error: --data is required.\n\n${USAGE}\n`);
  });

  it.each([
    ['InvalidInputError', new InvalidInputError('no corpus at /x')],
    ['ModelFileError', new ModelFileError('model file m.bin does not exist', 'm.bin')],
  ])('exits 1 on a %s with its message on one line and no stack', async (_name, error) => {
    const { code, stderr } = await run(async () => {
      throw error;
    });

    expect(code).toBe(1);
    expect(stderr).toBe(`error: ${error.message}\n`);
  });

  it('exits 1 on any other error and keeps its stack: that is a bug', async () => {
    const { code, stderr } = await run(async () => {
      throw new TypeError('x is not a function');
    });

    expect(code).toBe(1);
    expect(stderr).toMatch(/^TypeError: x is not a function\n\s+at /);
  });

  it('maps a parsing failure inside the command to exit 2, with no process.exit on the way', async () => {
    const { code, stderr } = await run(
      async (argv) => void parseCliArgs(argv, { data: { type: 'string' } }),
      ['--nope'],
    );

    expect(code).toBe(2);
    expect(stderr).toMatch(/^error: .*--nope/);
    expect(stderr).toContain(USAGE);
  });
});

describe('parseCliArgs', () => {
  const options = { data: { type: 'string' }, force: { type: 'boolean', default: false } } as const;

  it('reads --name value options and flags', () => {
    expect(parseCliArgs(['--data', 'd', '--force'], options)).toEqual({ data: 'd', force: true });
  });

  it.each([
    ['an unknown option', ['--dta', 'd']],
    ['a positional argument', ['d']],
    ['a missing value', ['--data']],
  ])('refuses %s with a UsageError', (_case, argv) => {
    expect(() => parseCliArgs(argv, options)).toThrow(UsageError);
  });
});

describe('numberOption', () => {
  const positive = (n: number) => n > 0;

  it('gives the fallback when the option is absent', () => {
    expect(numberOption('batch', undefined, 7, positive)).toBe(7);
    expect(numberOption('batch', undefined, undefined, positive)).toBeUndefined();
  });

  it('parses a value that passes the check', () => {
    expect(numberOption('batch', '2.5', 7, positive)).toBe(2.5);
  });

  it.each(['abc', '-1', 'Infinity'])('refuses %s with a UsageError naming the option and the value', (raw) => {
    const parse = () => numberOption('batch', raw, 7, positive);

    expect(parse).toThrow(UsageError);
    expect(parse).toThrow(`--batch: '${raw}' is not a valid value.`);
  });
});
