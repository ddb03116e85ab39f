import { connect, type Socket } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import { loadConfig, type Config } from '../src/config.js';
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
    expect(await store.getPrediction(predictionId)).toMatchObject({ id: predictionId });
    await store.close();
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });
});

/** A started server on a fresh folder, closed after the test. */
async function startTestServer(overrides: Partial<Config> = {}): Promise<RunningServer> {
  const paths = makeServerFolder('start-server');
  cleanups.push(paths.remove);
  const config = {
    ...loadConfig({ PORT: '0', DATA_DIR: paths.dataDir, LOG_LEVEL: 'silent', RATE_LIMIT: 'off' }),
    csrfSecret: TEST_CSRF_SECRET,
    ...overrides,
  };
  const server = await startServer(config);
  let closed = false;
  cleanups.push(() => (closed ? undefined : server.close()));
  const close = server.close;
  server.close = () => {
    closed = true;
    return close();
  };
  return server;
}

/** A raw connection that records what the server sends and when it closed the connection. */
function rawConnection(port: number): { socket: Socket; received: () => string; closed: Promise<number> } {
  const socket = connect(port, '127.0.0.1');
  const opened = performance.now();
  let data = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (data += chunk));
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now() - opened)));
  return { socket, received: () => data, closed };
}

describe('slow clients', () => {
  const timeouts = { headersMs: 300, requestMs: 600, keepAliveMs: 200 };

  it('closes a connection whose headers do not arrive within the headers timeout, with 408', async () => {
    const server = await startTestServer({ httpTimeouts: timeouts });
    const client = rawConnection(server.port);

    client.socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const ms = await client.closed;

    expect(client.received()).toMatch(/^HTTP\/1\.1 408/);
    expect(ms).toBeLessThan(3000);
  });

  it('closes a connection whose body does not arrive within the request timeout', async () => {
    const server = await startTestServer({ httpTimeouts: timeouts });
    const client = rawConnection(server.port);

    client.socket.write(
      'POST /api/v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"review":',
    );
    const ms = await client.closed;

    expect(client.received()).toMatch(/^HTTP\/1\.1 408/);
    expect(ms).toBeLessThan(3000);
  });

  it('closes an idle kept-alive connection after the keep-alive timeout', async () => {
    const server = await startTestServer({ httpTimeouts: timeouts });
    const client = rawConnection(server.port);

    client.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const ms = await client.closed;

    expect(client.received()).toMatch(/^HTTP\/1\.1 200/);
    expect(ms).toBeLessThan(3000);
  });
});

describe('RunningServer.close', () => {
  it('lets a request in flight finish and answers it before the server stops', async () => {
    // Arrange: a prediction whose body is half sent when the server is asked to close.
    const server = await startTestServer();
    const client = rawConnection(server.port);
    const body = JSON.stringify({ review: 'A wonderful, moving film with a brilliant cast.' });
    client.socket.write(
      `POST /api/v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    client.socket.write(body.slice(0, 10));
    await new Promise((resolve) => setTimeout(resolve, 100));

    // Act
    const closing = server.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    client.socket.write(body.slice(10));
    await closing;
    await client.closed;

    // Assert
    expect(client.received()).toMatch(/^HTTP\/1\.1 200/);
    expect(client.received()).toContain('"predictionId"');
  });

  it('does not wait for an idle kept-alive connection', async () => {
    const server = await startTestServer({
      httpTimeouts: { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 60_000 },
    });
    const client = rawConnection(server.port);
    client.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 200));

    const started = performance.now();
    await server.close();

    expect(performance.now() - started).toBeLessThan(1000);
    expect(client.received()).toMatch(/^HTTP\/1\.1 200/);
  });
});
