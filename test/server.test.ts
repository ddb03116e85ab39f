import { afterEach, describe, expect, it } from 'vitest';

import { loadConfig } from '../src/config.js';
import { startServer, type RunningServer } from '../src/server.js';
import { openStore } from '../src/store/index.js';
import { TEST_CSRF_SECRET } from './helpers/app.js';
import { makeServerFolder } from './helpers/server-process.js';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

describe('startServer', () => {
  it('listens on a free port, serves predictions stored in its database, and closes without touching the process', async () => {
    // Arrange
    const paths = makeServerFolder('start-server');
    cleanups.push(paths.remove);
    const config = {
      ...loadConfig({ PORT: '0', DATA_DIR: paths.dataDir, LOG_LEVEL: 'silent', RATE_LIMIT: 'off' }),
      csrfSecret: TEST_CSRF_SECRET,
    };
    const signalListeners = ['SIGHUP', 'SIGTERM', 'SIGINT'].map((s) => process.listenerCount(s));

    // Act
    const server: RunningServer = await startServer(config);
    let closed = false;
    cleanups.push(() => (closed ? undefined : server.close()));
    const base = `http://127.0.0.1:${server.port}`;
    const health = await fetch(`${base}/healthz`);
    const predicted = await fetch(`${base}/api/v1/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ review: 'A wonderful, moving film with a brilliant cast.' }),
    });
    const { predictionId } = (await predicted.json()) as { predictionId: string };
    await server.close();
    closed = true;

    // Assert
    expect(server.port).toBeGreaterThan(0);
    expect(health.status).toBe(200);
    expect(predicted.status).toBe(200);
    expect(['SIGHUP', 'SIGTERM', 'SIGINT'].map((s) => process.listenerCount(s))).toEqual(signalListeners);
    const store = openStore(paths.dbPath, { readonly: true });
    expect(store.getPrediction(predictionId)).toMatchObject({ id: predictionId });
    store.close();
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});
