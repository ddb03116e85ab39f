import { once } from 'node:events';
import { connect, type AddressInfo, type Socket } from 'node:net';

import request from 'supertest';
import { describe, expect, it } from 'vitest';

import { hiddenField } from '../../helpers/app.js';
import { logStores, type StoreKind } from '../../helpers/log-stores.js';
import { consoleApp, PASSWORD, setCookies } from './helpers.js';

const kinds = logStores();

const TRIES = 400;
/** The try that carries the right password, as an attacker who guessed it on the 100th. */
const RIGHT = 99;

/**
 * Sends every request but its last byte on a connection of its own, waits until all are sent,
 * then sends the last bytes together: every try reaches the app at once, as the finding's attack
 * did. Answers each connection's status code.
 */
async function releasedTogether(port: number, requests: string[]): Promise<number[]> {
  const held = requests.map(async (text): Promise<Socket> => {
    const socket = connect({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    await new Promise<void>((resolve) => socket.write(text.slice(0, -1), () => resolve()));
    return socket;
  });
  const ready = await Promise.all(held);
  const statuses = ready.map(async (socket, k) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.write(requests[k].slice(-1));
    await once(socket, 'end');
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(Buffer.concat(chunks).toString('latin1'))?.[1] ?? 0);
  });
  return Promise.all(statuses);
}

describe.each(kinds)('the console on $name', (kind: StoreKind) => {
  it(`gives at most ADMIN_LOGIN_FAILURES answers of 401 to ${TRIES} parallel tries from one client, the rest 429`, async () => {
    // Arrange: a real server, and the sign-in form's CSRF token and cookie, as a browser has them.
    const t = await consoleApp(kind);
    const server = t.app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as AddressInfo;
      const page = await request(t.app).get('/admin/login').expect(200);
      const cookie = setCookies(page).get('mc_csrf')!.split(';')[0];
      const _csrf = hiddenField(page.text, '_csrf');
      const requests = Array.from({ length: TRIES }, (_, k) => {
        const body = new URLSearchParams({
          _csrf,
          password: k === RIGHT ? PASSWORD : `wrong password ${k}`,
          next: '/admin',
        }).toString();
        return (
          `POST /admin/login HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\nCookie: ${cookie}\r\n` +
          `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
        );
      });

      // Act
      const statuses = await releasedTogether(port, requests);

      // Assert: only ADMIN_LOGIN_FAILURES tries were looked at; whether the right one was among
      // them depends on the order the connections were read in.
      const count = (status: number) => statuses.filter((s) => s === status).length;
      const max = t.config.adminLoginFailures;
      expect(count(401)).toBeLessThanOrEqual(max);
      expect(count(401) + count(303)).toBeLessThanOrEqual(max);
      expect(count(429)).toBe(TRIES - count(401) - count(303));
      expect(count(429)).toBeGreaterThanOrEqual(TRIES - max);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  }, 120_000);
});
