import { readFileSync, truncateSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';

import { writeModelFile } from '../../src/model/model-file.js';
import { makeTestModel } from '../helpers/model.js';
import { makeServerFolder, runServerToExit, stopAllServers, type ServerPaths } from '../helpers/server-process.js';

let cleanups: (() => void)[] = [];
afterEach(async () => {
  await stopAllServers();
  for (const cleanup of cleanups) cleanup();
  cleanups = [];
});

/**
 * A folder whose model file was cut short (as by a crash mid-copy) and which has a good
 * `<model>.prev` beside it, different from the truncated file.
 */
function truncatedModelFolder(prefix: string): ServerPaths & { prev: Buffer; truncated: Buffer } {
  const paths = makeServerFolder(prefix);
  cleanups.push(paths.remove);
  // A second write keeps the first file as .prev; give the new one another watermark so they differ.
  const bundle = makeTestModel();
  writeModelFile(paths.modelPath, {
    model: bundle.model,
    training: bundle.header.training,
    feedbackWatermark: 7,
    checkSet: bundle.checkSet,
    checkSetSource: bundle.header.checkSetSource,
  });
  const whole = readFileSync(paths.modelPath);
  truncateSync(paths.modelPath, Math.floor(whole.length / 2));
  return { ...paths, prev: readFileSync(`${paths.modelPath}.prev`), truncated: readFileSync(paths.modelPath) };
}

// SQLite only: the model file and its .prev on disk, which a server on PostgreSQL only reads until a model is published.
describe('a server whose model file is truncated', () => {
  it('refuses to start, exits non-zero naming the file on stderr, and leaves the file and <model>.prev as they were', async () => {
    // Arrange
    const paths = truncatedModelFolder('truncated');
    expect(paths.prev.equals(paths.truncated)).toBe(false);

    // Act
    const exit = await runServerToExit(paths);

    // Assert
    expect(exit.signal).toBeNull();
    expect(exit.code).not.toBe(0);
    expect(exit.stderr).toContain(paths.modelPath);
    expect(exit.stderr).toMatch(/truncated|corrupted/);
    expect(exit.stdout).not.toContain('listening');
    expect(readFileSync(`${paths.modelPath}.prev`).equals(paths.prev)).toBe(true);
    expect(readFileSync(paths.modelPath).equals(paths.truncated)).toBe(true);
  });
});
