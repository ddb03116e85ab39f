import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';

import { DatabaseUnavailableError, InvalidInputError } from '../../src/errors.js';
import { openStore, type LogStore, type NewPrediction } from '../../src/store/index.js';
import { createPredictionBatcher } from '../../src/store/prediction-batcher.js';
import { asUnavailable } from '../../src/store/sqlite/unavailable.js';
import { createWriteGate } from '../../src/store/write-gate.js';
import { STORE_KINDS, useLogStores } from '../helpers/stores.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function fileStores(): { writer: LogStore; reader: LogStore } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prediction-batcher-'));
  const file = path.join(dir, 'batch.sqlite');
  const writer = openStore(file);
  const reader = openStore(file);
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => writer.close());
  cleanups.push(() => reader.close());
  return { writer, reader };
}

let counter = 0;
function prediction(overrides: Partial<NewPrediction> = {}): NewPrediction {
  counter += 1;
  return {
    id: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
    review: `review number ${counter}`,
    sentiment: 1,
    probability: 0.87,
    modelVersion: 'abc123+0',
    createdAt: '2024-05-01T12:00:00.000Z',
    ...overrides,
  };
}

/** A real store whose batch writes fail as SQLite does on a full disk `failures` times, then go through; counts the rows of each call. */
function fullDiskStore(store: Pick<LogStore, 'insertPredictions'>, failures: number) {
  const calls: number[] = [];
  return {
    calls,
    insertPredictions(rows: readonly NewPrediction[]) {
      calls.push(rows.length);
      if (calls.length <= failures)
        throw asUnavailable(new Database.SqliteError('database or disk is full', 'SQLITE_FULL'), 'test.sqlite');
      return store.insertPredictions(rows);
    },
  };
}

describe.each(STORE_KINDS)('createPredictionBatcher on %s', (kind) => {
  const logs = useLogStores(kind);

  /** Two stores on one new log: the batcher's, and another connection reading. */
  async function twoStores(): Promise<{ writer: LogStore; reader: LogStore }> {
    const where = await logs.newLog();
    return { writer: await logs.open(where), reader: await logs.open(where) };
  }

  it('writes the predictions of one event-loop turn in one transaction, resolving each once another connection sees it', async () => {
    // Arrange
    const { writer, reader } = await twoStores();
    const counting = fullDiskStore(writer, 0);
    const batcher = createPredictionBatcher(counting);
    const rows = [prediction(), prediction(), prediction()];

    // Act
    const written = rows.map((row) => batcher.enqueue(row));
    // Nothing written yet at enqueue (a read now would race the write on PostgreSQL: ask the store).
    const callsBefore = [...counting.calls];
    const queuedBefore = batcher.queued;
    await Promise.all(written);

    // Assert
    expect(callsBefore).toEqual([]);
    expect(queuedBefore).toBe(3);
    expect(counting.calls).toEqual([3]);
    for (const row of rows)
      expect(await reader.getPrediction(row.id)).toMatchObject({ id: row.id, review: row.review });
    expect(batcher.queued).toBe(0);
  });

  it('writes at most maxBatch rows per transaction', async () => {
    const { writer, reader } = await twoStores();
    const counted = fullDiskStore(writer, 0);
    const batcher = createPredictionBatcher(counted, { maxBatch: 2 });
    const rows = Array.from({ length: 5 }, () => prediction());

    await Promise.all(rows.map((row) => batcher.enqueue(row)));

    expect(counted.calls).toEqual([2, 2, 1]);
    for (const row of rows) expect(await reader.getPrediction(row.id)).toMatchObject({ id: row.id });
  });

  it('refuses a bad row on its own, without failing the rows it would have shared a batch with', async () => {
    // Arrange
    const { writer, reader } = await twoStores();
    const batcher = createPredictionBatcher(writer);
    const good = prediction();

    // Act
    const outcomes = await Promise.allSettled([
      batcher.enqueue(prediction({ probability: 1.5 })),
      batcher.enqueue(good),
    ]);

    // Assert
    expect(outcomes[0]).toMatchObject({ status: 'rejected', reason: expect.any(InvalidInputError) });
    expect(outcomes[1]).toMatchObject({ status: 'fulfilled' });
    expect(await reader.getPrediction(good.id)).toMatchObject({ id: good.id });
  });

  it('drain() resolves once everything enqueued is written', async () => {
    // Arrange
    const { writer, reader } = await twoStores();
    const batcher = createPredictionBatcher(writer);
    const rows = [prediction(), prediction()];
    for (const row of rows) void batcher.enqueue(row);

    // Act
    await batcher.drain();

    // Assert
    for (const row of rows) expect(await reader.getPrediction(row.id)).toMatchObject({ id: row.id });
    await expect(batcher.drain()).resolves.toBeUndefined();
  });
});

// SQLite only: a full disk, as SQLite reports it (PostgreSQL away is test/durability/postgres.test.ts),
// and the queue's bound, which no store touches.
describe('createPredictionBatcher', () => {
  it('while the disk is full, keeps a batch waiting and writes it once the database takes it again', async () => {
    // Arrange
    const { writer, reader } = fileStores();
    const full = fullDiskStore(writer, 3);
    const batcher = createPredictionBatcher(full, { gate: createWriteGate({ waitMs: 2000 }) });
    const row = prediction();

    // Act
    await batcher.enqueue(row);

    // Assert
    expect(full.calls).toEqual([1, 1, 1, 1]);
    expect(await reader.getPrediction(row.id)).toMatchObject({ id: row.id });
  });

  it('gives a batch up after the write wait: its callers get DatabaseUnavailableError, nothing is written, and it is not tried again', async () => {
    // Arrange
    const { writer, reader } = fileStores();
    const broken = fullDiskStore(writer, Number.POSITIVE_INFINITY);
    const batcher = createPredictionBatcher(broken, { gate: createWriteGate({ waitMs: 50 }) });
    const rows = [prediction(), prediction()];

    // Act
    const outcomes = await Promise.allSettled(rows.map((row) => batcher.enqueue(row)));
    const tries = broken.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 50));

    // Assert
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect((outcomes[0] as PromiseRejectedResult).reason).toBeInstanceOf(DatabaseUnavailableError);
    expect(String((outcomes[0] as PromiseRejectedResult).reason)).toMatch(/disk or the database is full/);
    expect(broken.calls.every((n) => n === 2)).toBe(true);
    expect(broken.calls.length).toBe(tries);
    expect(batcher.queued).toBe(0);
    expect(await reader.getPrediction(rows[0].id)).toBeUndefined();
  });

  it('refuses predictions beyond maxQueued at once, so that a full disk cannot pile them up in memory', async () => {
    // Arrange
    const { writer } = fileStores();
    const broken = fullDiskStore(writer, Number.POSITIVE_INFINITY);
    const batcher = createPredictionBatcher(broken, { gate: createWriteGate({ waitMs: 200 }), maxQueued: 3 });

    // Act
    const outcomes = Array.from({ length: 5 }, () => batcher.enqueue(prediction()));
    const early = await Promise.race([
      outcomes[3].then(
        () => 'written',
        () => 'refused',
      ),
      new Promise((r) => setTimeout(() => r('waiting'), 20)),
    ]);
    const settled = await Promise.allSettled(outcomes);

    // Assert
    expect(early).toBe('refused');
    expect(batcher.queued).toBe(0);
    expect(settled.every((o) => o.status === 'rejected' && o.reason instanceof DatabaseUnavailableError)).toBe(true);
  });

  it('refuses a queue bound below one', () => {
    expect(() => createPredictionBatcher({ insertPredictions: () => undefined }, { maxQueued: 0 })).toThrow(
      InvalidInputError,
    );
  });
});
