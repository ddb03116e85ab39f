import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { openStore, type NewPrediction, type Store } from '../../src/store/index.js';
import { createPredictionBatcher } from '../../src/store/prediction-batcher.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function fileStores(): { writer: Store; reader: Store } {
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

/** A store whose batch writes fail `failures` times, then go through; counts the calls. */
function flakyStore(store: Store, failures: number) {
  const calls: number[] = [];
  return {
    calls,
    insertPredictions(rows: readonly NewPrediction[]) {
      calls.push(rows.length);
      if (calls.length <= failures) throw new Error(`disk I/O error (try ${calls.length})`);
      store.insertPredictions(rows);
    },
  };
}

describe('createPredictionBatcher', () => {
  it('writes the predictions of one event-loop turn in one transaction, resolving each once another connection sees it', async () => {
    // Arrange
    const { writer, reader } = fileStores();
    const counting = flakyStore(writer, 0);
    const batcher = createPredictionBatcher(counting);
    const rows = [prediction(), prediction(), prediction()];

    // Act
    const written = rows.map((row) => batcher.enqueue(row));
    const seenBefore = reader.getPrediction(rows[0]!.id);
    const queuedBefore = batcher.queued;
    await Promise.all(written);

    // Assert
    expect(seenBefore).toBeUndefined();
    expect(queuedBefore).toBe(3);
    expect(counting.calls).toEqual([3]);
    for (const row of rows) expect(reader.getPrediction(row.id)).toMatchObject({ id: row.id, review: row.review });
    expect(batcher.queued).toBe(0);
  });

  it('tries a failing batch again and resolves when a later try succeeds', async () => {
    // Arrange
    const { writer, reader } = fileStores();
    const flaky = flakyStore(writer, 2);
    const retries: number[] = [];
    const batcher = createPredictionBatcher(flaky, { attempts: 3, retryDelayMs: 1, onRetry: (_e, attempt) => retries.push(attempt) });
    const row = prediction();

    // Act
    await batcher.enqueue(row);

    // Assert
    expect(flaky.calls).toEqual([1, 1, 1]);
    expect(retries).toEqual([1, 2]);
    expect(reader.getPrediction(row.id)).toMatchObject({ id: row.id });
  });

  it('gives a batch up after its last try: its callers get the error, and the batcher stops trying', async () => {
    // Arrange
    const { writer, reader } = fileStores();
    const broken = flakyStore(writer, Number.POSITIVE_INFINITY);
    const batcher = createPredictionBatcher(broken, { attempts: 3, retryDelayMs: 1 });
    const rows = [prediction(), prediction()];

    // Act
    const outcomes = await Promise.allSettled(rows.map((row) => batcher.enqueue(row)));
    await new Promise((resolve) => setTimeout(resolve, 20));

    // Assert
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect((outcomes[0] as PromiseRejectedResult).reason).toBeInstanceOf(Error);
    expect(String((outcomes[0] as PromiseRejectedResult).reason)).toMatch(/disk I\/O error \(try 3\)/);
    expect(broken.calls).toEqual([2, 2, 2]); // bounded: no fourth try, even later
    expect(batcher.queued).toBe(0);
    expect(reader.getPrediction(rows[0]!.id)).toBeUndefined();
  });

  it('refuses a bad row on its own, without failing the rows it would have shared a batch with', async () => {
    // Arrange
    const { writer, reader } = fileStores();
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
    expect(reader.getPrediction(good.id)).toMatchObject({ id: good.id });
  });

  it('drain() resolves once everything enqueued is written', async () => {
    // Arrange
    const { writer, reader } = fileStores();
    const batcher = createPredictionBatcher(writer);
    const rows = [prediction(), prediction()];
    for (const row of rows) void batcher.enqueue(row);

    // Act
    await batcher.drain();

    // Assert
    for (const row of rows) expect(reader.getPrediction(row.id)).toMatchObject({ id: row.id });
    await expect(batcher.drain()).resolves.toBeUndefined();
  });

  it('refuses a number of attempts below one', () => {
    expect(() => createPredictionBatcher({ insertPredictions: () => undefined }, { attempts: 0 })).toThrow(InvalidInputError);
  });
});
