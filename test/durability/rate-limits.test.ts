import { describe, expect, it } from 'vitest';

import { POSITIVE_REVIEW } from '../helpers/app.js';
import { pidsServing, postJson, startServerProcess, useServerFolders } from '../helpers/server-process.js';

const serverFolder = useServerFolders();

describe('rate limits with WORKERS=2', { timeout: 60_000 }, () => {
  it('hold for a client across the workers: 5 of 20 predictions pass at RATE_LIMIT_PREDICT_PER_MIN=5', async () => {
    const paths = serverFolder('rate-limits');
    const server = await startServerProcess(paths, {
      workers: 2,
      timeoutMs: 40_000,
      env: { RATE_LIMIT: 'on', RATE_LIMIT_PREDICT_PER_MIN: '5' },
    });

    // A connection each (Connection: close), so the cluster hands them to both workers in turn.
    const statuses: number[] = [];
    for (let k = 0; k < 20; k++) {
      statuses.push(
        (await postJson(`${server.url}/api/v1/predict`, { review: POSITIVE_REVIEW }, { close: true })).status,
      );
    }

    expect(statuses.filter((status) => status === 200)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(15);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(pidsServing(server.output(), '/api/v1/predict')).toEqual(new Set(server.workerPids));
  });
});
