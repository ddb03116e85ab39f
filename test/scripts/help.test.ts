import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { runNodeScript } from '../helpers/server-process.js';

/** Every command of package.json that runs scripts/X.ts (through tsx, or built into dist/), by its npm name, with its source. */
function scriptCommands(): Array<[string, string]> {
  const { scripts } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    scripts: Record<string, string>;
  };
  return Object.entries(scripts)
    .map(([name, command]): [string, string | undefined] => {
      const match = /^(?:tsx (scripts\/[\w-]+)\.ts|node dist\/(scripts\/[\w-]+)\.js)$/.exec(command);
      return [name, match === null ? undefined : `${match[1] ?? match[2]}.ts`];
    })
    .filter((entry): entry is [string, string] => entry[1] !== undefined);
}

describe('--help', () => {
  it('covers every command of scripts/', () => {
    expect(
      scriptCommands()
        .map(([name]) => name)
        .sort(),
    ).toEqual(['bench', 'build:wasm', 'evaluate', 'train', 'update']);
  });

  it.each(scriptCommands())(
    'npm run %s -- --help prints its usage and exits 0, doing nothing else',
    async (name, file) => {
      const result = await runNodeScript([file, '--help']);

      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^usage: npm run ${name}\\b`));
    },
  );

  it('-h is --help too', async () => {
    const result = await runNodeScript(['scripts/train.ts', '-h']);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^usage: npm run train -- --data PATH/);
  });
});
