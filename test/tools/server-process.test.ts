import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

import { ServerStartError, spawnServer, startScriptNodeFlags, stopAllServers } from '../../tools/server-process.js';
import { makeServerFolder, serverEnv, waitFor } from '../helpers/server-process.js';

let cleanups: (() => void)[] = [];
afterEach(async () => {
  await stopAllServers();
  for (const cleanup of cleanups) cleanup();
  cleanups = [];
});

function folder(prefix: string) {
  const paths = makeServerFolder(prefix);
  cleanups.push(paths.remove);
  return paths;
}

function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

describe('startScriptNodeFlags', () => {
  it("reads the node flags of package.json's start script, which the compiled server is spawned with", () => {
    const start = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } }).scripts.start;
    const flags = startScriptNodeFlags('.');

    expect(flags).toContain('--max-old-space-size=160');
    expect(start).toContain(`node ${flags.join(' ')} dist/src/main.js`);
  });
});

describe('spawnServer', () => {
  it("with a log file, finds each worker's start-up line in it, and stop() ends the whole group on SIGTERM", async () => {
    // Arrange
    const paths = folder('spawn-log-file');
    const logFile = join(paths.dir, 'server.log');
    const server = spawnServer({ entry: 'source', env: serverEnv(paths, { WORKERS: '2' }), logFile });

    // Act
    const lines = await server.waitForStartUp(2, 15_000);
    const exit = await server.stop();

    // Assert
    expect(lines).toHaveLength(2);
    expect(new Set(lines.map((line) => line.pid)).size).toBe(2);
    expect(readFileSync(logFile, 'utf8')).toContain(`"address":"${lines[0].address}"`);
    expect(exit).toEqual({ code: 0, signal: null });
    await waitFor('both workers to be gone', () => lines.every((line) => isGone(line.pid)), 2000);
  });

  it('rejects with ServerStartError when the server exits before listening, and keeps what it wrote', async () => {
    // Arrange
    const paths = folder('spawn-exits');
    const server = spawnServer({
      entry: 'source',
      env: serverEnv({ ...paths, modelPath: join(paths.dir, 'missing.bin') }),
    });

    // Act
    const waiting = server.waitForStartUp(1, 15_000);

    // Assert
    await expect(waiting).rejects.toThrow(ServerStartError);
    await expect(waiting).rejects.toThrow(/exited before it was listening \(0 of 1 start-up lines logged\)/);
    expect((await server.exited).code).not.toBe(0);
    expect(server.output()).toContain('missing.bin');
  });

  it('rejects when the server has not logged its start-up line within the time given, and leaves it for the caller to end', async () => {
    // Arrange
    const paths = folder('spawn-slow');
    const server = spawnServer({ entry: 'source', env: serverEnv(paths) });

    // Act
    const waiting = server.waitForStartUp(1, 1);

    // Assert
    await expect(waiting).rejects.toThrow(/did not start within 1 ms \(0 of 1 start-up lines logged\)/);
    expect(server.hasExited()).toBe(false);
    expect(await server.kill()).toEqual({ code: null, signal: 'SIGKILL' });
  });
});
