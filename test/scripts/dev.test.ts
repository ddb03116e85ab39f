import { spawn } from 'node:child_process';
import { utimesSync } from 'node:fs';
import path from 'node:path';

import { afterEach, describe, expect, it, vi } from 'vitest';

import { REPO_ROOT, signalGroup } from '../../tools/server-process.js';
import { makeServerFolder, serverEnv } from '../helpers/server-process.js';

let stop: (() => void) | undefined;
afterEach(() => stop?.());

describe('npm run dev', () => {
  it('prints readable log lines and restarts the server when a source file changes', async () => {
    const folder = makeServerFolder('dev');
    const child = spawn('npm', ['run', '--silent', 'dev'], {
      cwd: REPO_ROOT,
      env: serverEnv(folder, { NODE_ENV: 'development' }),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    stop = () => {
      signalGroup(child.pid!, 'SIGKILL');
      folder.remove();
    };
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    // pino-pretty's line: "[22:50:01.123] INFO (4242): listening on http://127.0.0.1:PORT (...)"
    const listening = () => [
      ...output.matchAll(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \((\d+)\): listening on http:\/\/127\.0\.0\.1:\d+ /gm),
    ];

    await vi.waitFor(() => expect(listening()).toHaveLength(1), { timeout: 30_000, interval: 100 });
    expect(output).not.toMatch(/^\{"level"/m); // no raw JSON lines
    const now = new Date();
    utimesSync(path.join(REPO_ROOT, 'src/main.ts'), now, now); // a save that changes nothing

    await vi.waitFor(() => expect(listening()).toHaveLength(2), { timeout: 30_000, interval: 100 });
    const [first, second] = listening();
    expect(second[1]).not.toBe(first[1]); // a new process
  }, 70_000);
});
