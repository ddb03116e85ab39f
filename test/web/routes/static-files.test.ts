import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { makeApp, type TestApp } from '../../helpers/app.js';

let t: TestApp;
beforeEach(async () => {
  t = await makeApp();
});
afterEach(() => t.close());

describe('static files', () => {
  it('serves the stylesheet at the versioned URL the pages link, cacheable for a year', async () => {
    const page = await request(t.app).get('/');
    const href = /<link rel="stylesheet" href="([^"]+)">/.exec(page.text)![1];

    const res = await request(t.app).get(href);

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/css/);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers.etag).toBeDefined();
  });

  it('serves an unversioned URL with a short cache lifetime', async () => {
    const res = await request(t.app).get('/static/styles.css');

    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
  });

  it('revalidates static files on every request in development', async () => {
    const dev = await makeApp({ config: { development: true, nodeEnv: 'development' } });

    const res = await request(dev.app).get('/static/styles.css');

    expect(res.headers['cache-control']).toBe('no-cache');
    await dev.close();
  });

  it('serves the folder the configuration names, with asset URLs versioned by its own stylesheet', async () => {
    const publicDir = mkdtempSync(path.join(tmpdir(), 'movieclassifier-public-'));
    writeFileSync(path.join(publicDir, 'styles.css'), 'body { color: red }\n');
    writeFileSync(path.join(publicDir, 'note.txt'), 'from the configured folder\n');
    const other = await makeApp({ config: { publicDir } });

    const page = await request(other.app).get('/');
    const note = await request(other.app).get('/static/note.txt');
    const shipped = await request(t.app).get('/');

    const versionOf = (html: string) => /styles\.css\?v=([0-9a-f]{12})"/.exec(html)![1];
    expect(note.status).toBe(200);
    expect(note.text).toBe('from the configured folder\n');
    expect(versionOf(page.text)).not.toBe(versionOf(shipped.text));
    await other.close();
    rmSync(publicDir, { recursive: true, force: true });
  });
});
