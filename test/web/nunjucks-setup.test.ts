import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { nunjucksSetup, PAGES } from '../../src/web/nunjucks-setup.js';

let viewsDir: string;
beforeEach(async () => {
  viewsDir = mkdtempSync(path.join(tmpdir(), 'movieclassifier-views-'));
  mkdirSync(path.join(viewsDir, 'pages'));
  mkdirSync(path.join(viewsDir, 'console'));
  for (const page of PAGES) writeFileSync(path.join(viewsDir, page), 'version 1: {{ text }}');
});
afterEach(() => rmSync(viewsDir, { recursive: true, force: true }));

function render(app: express.Express, name: string, locals: object): Promise<string> {
  return new Promise((resolve, reject) => {
    app.render(name, locals, (error: Error | null, html?: string) => (error ? reject(error) : resolve(html!)));
  });
}

describe('nunjucksSetup', () => {
  it('escapes values: markup and template syntax in data stay text', async () => {
    const app = express();
    nunjucksSetup(app, { viewsDir, development: false, assetVersion: 'v' });

    const html = await render(app, 'pages/index', { text: '<script>{{ 7*7 }}</script>' });

    expect(html).toBe('version 1: &lt;script&gt;{{ 7*7 }}&lt;/script&gt;');
  });

  it('outside development, compiles each template once and keeps it', async () => {
    const app = express();
    nunjucksSetup(app, { viewsDir, development: false, assetVersion: 'v' });
    await render(app, 'pages/index', { text: 'a' });

    writeFileSync(path.join(viewsDir, 'pages/index.njk'), 'version 2: {{ text }}');

    expect(await render(app, 'pages/index', { text: 'b' })).toBe('version 1: b');
  });

  it('in development, reads a changed template on the next render', async () => {
    const app = express();
    nunjucksSetup(app, { viewsDir, development: true, assetVersion: 'v' });
    await render(app, 'pages/index', { text: 'a' });

    writeFileSync(path.join(viewsDir, 'pages/index.njk'), 'version 2: {{ text }}');

    expect(await render(app, 'pages/index', { text: 'b' })).toBe('version 2: b');
  });

  it('outside development, refuses to start when a page template is broken', () => {
    writeFileSync(path.join(viewsDir, 'pages/results.njk'), '{% if %}');

    expect(() => nunjucksSetup(express(), { viewsDir, development: false, assetVersion: 'v' })).toThrow(/results\.njk/);
  });
});
