import { afterEach, describe, expect, it } from 'vitest';

import { createClassicDatabase, type ClassicRow } from '../helpers/classic-db.js';
import { fileProbabilities, replayedProbabilities, serverProbabilities } from '../helpers/probes.js';
import { health, makeServerFolder, startServerProcess, stopAllServers } from '../helpers/server-process.js';

let cleanups: (() => void)[] = [];
afterEach(async () => {
  await stopAllServers();
  for (const cleanup of cleanups) cleanup();
  cleanups = [];
});

/** Rows as the classic Flask app wrote them, including ones the fold skips (too short, a label that is not 0 or 1). */
const CLASSIC_ROWS: ClassicRow[] = [
  { review: 'A wonderful film with a brilliant cast and a moving story.', sentiment: 1 },
  { review: 'A boring, awful mess: the plot was dull and the acting terrible.', sentiment: 0 },
  { review: 'The soundtrack was lovely and the ending surprised me.', sentiment: 1, date: '2016-05-01 10:00:00' },
  { review: 'meh', sentiment: 0 },
  { review: 'Wooden dialogue and a villain nobody could ever fear.', sentiment: 0, date: null },
  { review: 'My kids laughed all the way through and asked to see it again.', sentiment: 1 },
  { review: 'A label the classic app never checked, on a long enough review.', sentiment: 'maybe' },
  { review: 'Terrible pacing and a script that goes nowhere at all.', sentiment: '0' },
];

// SQLite only: the classic app's database is a SQLite file.
describe('a server started on a database in the classic schema', () => {
  it('keeps every classic row and folds them into the model at start-up', async () => {
    // Arrange
    const paths = makeServerFolder('classic');
    cleanups.push(paths.remove);
    createClassicDatabase(paths.dbPath, CLASSIC_ROWS);

    // Act
    const server = await startServerProcess(paths);
    const { model, reviews } = await health(server);
    const probabilities = await serverProbabilities(server);

    // Assert
    expect(reviews).toBe(CLASSIC_ROWS.length);
    expect(model.appliedThrough).toBe(CLASSIC_ROWS.length);
    expect(model.feedbackWatermark).toBe(0);
    expect(probabilities).toEqual(await replayedProbabilities(paths.modelPath, paths.dbPath));
    expect(probabilities).not.toEqual(fileProbabilities(paths.modelPath));
  });
});
