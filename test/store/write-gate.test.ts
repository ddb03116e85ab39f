import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

import { DatabaseUnavailableError } from '../../src/errors.js';
import { openStore, type NewPrediction, type LogStore } from '../../src/store/index.js';
import { createWriteGate, type WriteLog } from '../../src/store/write-gate.js';
import { asUnavailable } from '../../src/store/sqlite/unavailable.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A database file with the server's store on it (10 ms busy timeout) and a second connection to hold its write lock. */
function lockedDatabase(): { store: LogStore; lock: () => void; unlock: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'write-gate-'));
  const file = path.join(dir, 'reviews.sqlite');
  const store = openStore(file, { busyTimeoutMs: 10 });
  const other = new Database(file);
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => store.close());
  cleanups.push(() => other.close());
  return {
    store,
    lock: () => other.exec('BEGIN IMMEDIATE'),
    unlock: () => other.exec('COMMIT'),
  };
}

let counter = 0;
function prediction(): NewPrediction {
  counter += 1;
  return {
    id: `gate-${counter}`,
    review: `review number ${counter}`,
    sentiment: 1,
    probability: 0.8,
    modelVersion: 'abc+0',
    createdAt: new Date().toISOString(),
  };
}

/** The longest the event loop went without running a 1 ms interval, over `ms`. */
async function longestStall(ms: number): Promise<number> {
  let last = performance.now();
  let longest = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  await new Promise((resolve) => setTimeout(resolve, ms));
  clearInterval(tick);
  return longest;
}

function memoryLog(): WriteLog & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    warn: (_d, message) => lines.push(`warn ${message}`),
    info: (_d, message) => lines.push(`info ${message}`),
  };
}

// SQLite only: the gate is shown waiting for SQLite's write lock held by another connection; on
// PostgreSQL it waits out an outage (test/durability/postgres.test.ts).
describe('createWriteGate', () => {
  it('while another connection holds the write lock, waits off the event loop and writes once the lock is released', async () => {
    // Arrange
    const db = lockedDatabase();
    const gate = createWriteGate({ waitMs: 5000 });
    const row = prediction();
    db.lock();

    // Act
    const written = gate.run(() => db.store.insertPrediction(row));
    const stall = await longestStall(300);
    const failureWhileLocked = gate.failure();
    db.unlock();
    await written;

    // Assert: the event loop kept running (a 5 s busy timeout stalled it for the whole lock).
    expect(stall).toBeLessThan(100);
    expect(failureWhileLocked).toMatchObject({ reason: 'the database is locked by another process' });
    expect(await db.store.getPrediction(row.id)).toMatchObject({ id: row.id });
    expect(gate.failure()).toBeNull();
  });

  it('gives a write up after waitMs with DatabaseUnavailableError, having written nothing, and keeps later writes in order', async () => {
    // Arrange
    const db = lockedDatabase();
    const gate = createWriteGate({ waitMs: 150 });
    const rows = [prediction(), prediction()];
    db.lock();

    // Act
    const outcomes = await Promise.allSettled(rows.map((row) => gate.run(() => db.store.insertPrediction(row))));
    db.unlock();
    const later = prediction();
    await gate.run(() => db.store.insertPrediction(later));

    // Assert
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    const reason = (outcomes[0] as PromiseRejectedResult).reason as DatabaseUnavailableError;
    expect(reason).toBeInstanceOf(DatabaseUnavailableError);
    expect(reason.message).toMatch(/within 150 ms: the database is locked by another process\. Nothing was stored/);
    expect(reason.retryAfterSeconds).toBe(1);
    for (const row of rows) expect(await db.store.getPrediction(row.id)).toBeUndefined();
    expect(await db.store.getPrediction(later.id)).toMatchObject({ id: later.id });
  });

  it('passes on at once an error that is not about the database being unavailable', async () => {
    const db = lockedDatabase();
    const gate = createWriteGate();
    const row = prediction();
    await db.store.insertPrediction(row);

    await expect(gate.run(() => db.store.insertPrediction(row))).rejects.toThrow(/already stored/);
    expect(gate.failure()).toBeNull();
  });

  it('logs a run of failures once when it starts and once when it ends, however many writes it refuses', async () => {
    // Arrange
    const log = memoryLog();
    let full = true;
    const gate = createWriteGate({ waitMs: 20, log });
    const write = () => {
      if (full) throw asUnavailable(new Database.SqliteError('database or disk is full', 'SQLITE_FULL'), 'test.sqlite');
    };

    // Act
    await Promise.allSettled(Array.from({ length: 50 }, () => gate.run(write)));
    await Promise.allSettled(Array.from({ length: 50 }, () => gate.run(write)));
    full = false;
    await gate.run(write);

    // Assert
    expect(log.lines).toEqual([
      expect.stringMatching(/^warn database writes are failing: the disk or the database is full/),
      expect.stringMatching(/^info database writes succeed again/),
    ]);
  });

  it('refuses writes beyond maxWaiting at once', async () => {
    const gate = createWriteGate({ waitMs: 100, maxWaiting: 2 });
    const busy = () => {
      throw asUnavailable(new Database.SqliteError('database is locked', 'SQLITE_BUSY'), 'test.sqlite');
    };

    const outcomes = Array.from({ length: 4 }, () =>
      gate.run(busy).then(
        () => 'written',
        () => 'refused',
      ),
    );
    const fourth = await Promise.race([outcomes[3], new Promise((r) => setTimeout(() => r('waiting'), 20))]);

    expect(fourth).toBe('refused');
    expect(gate.waiting).toBe(2);
    await Promise.all(outcomes);
  });

  it('with no write waiting, probes until writes succeed again, so the failure clears without traffic', async () => {
    let full = true;
    const probe = () => {
      if (full) throw asUnavailable(new Database.SqliteError('database or disk is full', 'SQLITE_FULL'), 'test.sqlite');
    };
    const gate = createWriteGate({ waitMs: 20, probe, probeMs: 20 });
    cleanups.push(() => gate.stop());
    await gate.run(probe).catch(() => undefined);
    expect(gate.failure()).toMatchObject({ reason: 'the disk or the database is full' });

    full = false;
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(gate.failure()).toBeNull();
  });
});
