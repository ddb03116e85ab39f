import { existsSync } from 'node:fs';

import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openStore } from '../../src/store/index.js';
import { feedbackReview } from '../helpers/probes.js';
import { makeServerFolder, startServerProcess, stopAllServers, type ServerProcess } from '../helpers/server-process.js';

// Debian's Chromium (apt-get install -y chromium); .ci/run installs it. Never a downloaded browser.
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const PASSWORD = 'a console password for the browser test';

describe('the operator’s console in a real browser', () => {
  let folder: ReturnType<typeof makeServerFolder>;
  let server: ServerProcess;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} is missing: install Debian's Chromium with \`apt-get install -y chromium\` (.ci/run does).`,
      );
    }
    folder = makeServerFolder('console-browser');
    server = await startServerProcess(folder, { env: { NODE_ENV: 'production', ADMIN_PASSWORD: PASSWORD } });
    // Readers' answers, through the API, as the app gets them.
    for (let k = 0; k < 6; k++) {
      const predicted = await post(`${server.url}/api/v1/predict`, { review: feedbackReview(k) });
      await post(`${server.url}/api/v1/feedback`, { predictionId: predicted.predictionId, correct: k % 3 !== 0 });
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await stopAllServers();
    folder?.remove();
  });

  it('signs in, sees the charts, rejects a row and sees the model version change', async () => {
    // Arrange
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const blocked: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) blocked.push(message.text());
    });

    // Act: the console sends a signed-out visitor to the sign-in form
    await page.goto(`${server.url}/admin`);
    await page.waitForURL(/\/admin\/login\?next=%2Fadmin$/);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${server.url}/admin`);

    // Assert: six charts, drawn and visible, with the six answers counted
    const charts = page.locator('svg.chart-svg');
    expect(await charts.count()).toBe(6);
    for (let k = 0; k < 6; k++) {
      const box = await charts.nth(k).boundingBox();
      expect(box!.width).toBeGreaterThan(300);
      expect(box!.height).toBeGreaterThan(80);
    }
    expect(await page.locator('svg.chart-svg rect.chart-fill--feedback').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-qa=tile-feedback] .tile__value').textContent()).toBe('6');

    // Act: the feedback log, then Reject on the newest row
    const versionBefore = (await page.locator('[data-qa=model-version]').textContent())!.trim();
    await page.getByRole('link', { name: 'Feedback log' }).click();
    await page.waitForURL(`${server.url}/admin/feedback`);
    const newest = page.locator('[data-qa=log-row]').first();
    const id = Number(await newest.getAttribute('data-id'));
    await newest.getByRole('button', { name: 'Reject' }).click();
    await page.waitForURL(`${server.url}/admin/feedback`);

    // Assert: the page says what happened and which model now serves
    const versionAfter = (await page.locator('[data-qa=model-version]').textContent())!.trim();
    const flash = await page.locator('[data-qa=flash]').textContent();
    expect(versionAfter).not.toBe(versionBefore);
    expect(flash).toContain(`Row ${id}: 1 row now rejected. Model version ${versionBefore} → ${versionAfter}`);
    expect(await page.locator(`[data-qa=log-row][data-id="${id}"] [data-qa=verdict]`).textContent()).toBe('rejected');
    const store = openStore(folder.dbPath);
    expect((await store.getReview(id))?.verdict).toBe('rejected');
    await store.close();
    expect(blocked).toEqual([]);
    await page.close();
  });
});

async function post(url: string, body: object): Promise<{ predictionId: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { predictionId: string };
}
