import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { runNodeScript } from '../helpers/server-process.js';

/** Every `tsx scripts/X.ts` command of package.json, by its npm name. */
function scriptCommands(): Array<[string, string]> {
  const { scripts } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
  return Object.entries(scripts)
    .map(([name, command]): [string, string | undefined] => [name, /^tsx (scripts\/[\w-]+\.ts)$/.exec(command)?.[1]])
    .filter((entry): entry is [string, string] => entry[1] !== undefined);
}

describe('--help', () => {
  it('covers every command of scripts/', () => {
    expect(scriptCommands().map(([name]) => name).sort()).toEqual(['bench', 'build:wasm', 'evaluate', 'train', 'update']);
  });

  it.each(scriptCommands())('npm run %s -- --help prints its usage and exits 0, doing nothing else', async (name, file) => {
    const result = await runNodeScript([file, '--help']);

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^usage: npm run ${name}\\b`));
  });

  it('-h is --help too', async () => {
    const result = await runNodeScript(['scripts/train.ts', '-h']);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^usage: npm run train -- --data PATH/);
  });
});
