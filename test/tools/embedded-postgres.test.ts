import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { startTestPostgres } from '../../tools/embedded-postgres.js';

const asRoot = process.getuid?.() === 0;
const savedTmpdir = process.env.TMPDIR;
let made: string | undefined;
afterEach(() => {
  if (savedTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmpdir;
  if (made !== undefined) rmSync(made, { recursive: true, force: true });
  made = undefined;
});

describe('startTestPostgres', () => {
  it.runIf(asRoot)(
    'as root, with a temporary folder the user postgres cannot enter, fails at once naming the folder and what to do',
    async () => {
      made = mkdtempSync(join(tmpdir(), 'movieclassifier-closed-')); // mode 0700, as mktemp -d makes it
      expect(statSync(made).mode & 0o777).toBe(0o700);
      process.env.TMPDIR = made;
      const started = performance.now();

      const failure = startTestPostgres({ durable: false });

      await expect(failure).rejects.toThrow(`cannot enter ${made} (mode 0700)`);
      await expect(failure).rejects.toThrow(/set TMPDIR to a folder every user can enter/);
      expect(performance.now() - started).toBeLessThan(2_000);
    },
    15_000,
  );
});
