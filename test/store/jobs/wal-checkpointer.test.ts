import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterEach, describe, expect, it } from 'vitest';

import { openStore } from '../../../src/store/index.js';
import type { NewPrediction, LogStore } from '../../../src/store/types.js';
import {
  checkpointFailureWarnings,
  startWalCheckpointer,
  type WalCheckpointer,
} from '../../../src/store/jobs/wal-checkpointer.js';

const dirs: string[] = [];
const stores: LogStore[] = [];
const checkpointers: WalCheckpointer[] = [];
afterEach(async () => {
  for (const checkpointer of checkpointers.splice(0)) await checkpointer.stop();
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function openTempStore(): { store: LogStore; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'movieclassifier-wal-'));
  dirs.push(dir);
  const path = join(dir, 'reviews.sqlite');
  // As the server opens it: its commits checkpoint only far past SQLite's 1,000 pages.
  const store = openStore(path, { autoCheckpointPages: 100_000 });
  stores.push(store);
  return { store, path };
}

let counter = 0;
const predictions = (n: number): NewPrediction[] =>
  Array.from({ length: n }, () => ({
    id: `p-${++counter}`,
    review: `A review long enough to fill a page or so. ${'x'.repeat(1000)} ${counter}`,
    sentiment: 1 as const,
    probability: 0.9,
    modelVersion: 'abc+0.0',
    createdAt: new Date().toISOString(),
  }));

/** Writes 80 batches of 50 one-kilobyte predictions (over 1,000 WAL pages), pausing between them; the WAL's largest size. */
async function writeAndWatchWal(store: LogStore, path: string): Promise<number> {
  let largest = 0;
  for (let batch = 0; batch < 80; batch++) {
    await store.insertPredictions(predictions(50));
    largest = Math.max(largest, statSync(`${path}-wal`).size);
    await sleep(5);
  }
  return largest;
}

describe('the WAL checkpoint thread', () => {
  it('keeps the WAL small while the serving connection never checkpoints it', async () => {
    // Arrange
    const alone = openTempStore();
    const checked = openTempStore();
    checkpointers.push(startWalCheckpointer(checked.path, { everyMs: 5 }));

    // Act
    const walAlone = await writeAndWatchWal(alone.store, alone.path);
    const walChecked = await writeAndWatchWal(checked.store, checked.path);

    // Assert: without the thread the WAL holds every page written (~10 MB); with it, it is reused
    // (under a third on a quiet machine; a half leaves room for a thread starved by other tests).
    expect(walAlone).toBeGreaterThan(8_000_000);
    expect(walChecked, `WAL ${walChecked} bytes with the thread, ${walAlone} without`).toBeLessThan(walAlone / 2);
    expect((await checked.store.getPrediction(`p-${counter}`))?.modelVersion).toBe('abc+0.0');
  });

  it('stops when asked, and the database is whole after it', async () => {
    const { store, path } = openTempStore();
    const checkpointer = startWalCheckpointer(path, { everyMs: 5 });
    await store.insertPredictions(predictions(100));

    await checkpointer.stop();
    await store.insertPredictions(predictions(100));

    expect((await store.getPrediction(`p-${counter}`))?.probability).toBe(0.9);
  });

  it('refuses an interval that is not a whole number of ms', () => {
    expect(() => startWalCheckpointer('x.sqlite', { everyMs: 0.5 })).toThrow(/everyMs must be a whole number/);
  });
});

describe('warnings of failed checkpoints', () => {
  it('come at most once per 30 s on a full disk, where every try (every 250 ms) fails, and say how many were not warned', () => {
    // Arrange: a clock moved by hand, and a log that keeps what it is told.
    let now = 0;
    const warnings: { details: object; message: string }[] = [];
    const failed = checkpointFailureWarnings(
      { warn: (details, message) => warnings.push({ details, message }) },
      { everyMs: 30_000, now: () => now },
    );

    // Act: a minute of tries, all failing as SQLite fails on a full disk.
    for (; now < 60_000; now += 250) failed({ message: 'database or disk is full', code: 'SQLITE_FULL' });

    // Assert
    expect(warnings.map((w) => w.message)).toEqual([
      "checkpointing the database's WAL failed: database or disk is full; will try again",
      "checkpointing the database's WAL failed: database or disk is full; will try again (it failed 119 more times since the last warning)",
    ]);
    expect(warnings[1].details).toEqual({ code: 'SQLITE_FULL', failuresNotWarned: 119 });
  });
});
