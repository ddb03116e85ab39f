import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openStore } from '../../src/store/index.js';
import { makeServerFolder, startServerProcess, stopAllServers, type ServerProcess } from '../helpers/server-process.js';
import { logRows } from '../helpers/stores.js';

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

const REVIEW = 'A wonderful, moving film. The acting is superb, the story is charming and I loved every minute of it.';

describe('the review flow in a real browser', () => {
  let folder: ReturnType<typeof makeServerFolder>;
  let server: ServerProcess;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `${CHROMIUM} is missing: install Debian's Chromium with \`apt-get install -y chromium\` (.ci/run does).`,
      );
    }
    folder = makeServerFolder('browser');
    server = await startServerProcess(folder, { env: { NODE_ENV: 'production' } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await stopAllServers();
    folder?.remove();
  });

  it('types a review, sees the prediction with highlighted words, says Incorrect, and the model moves', async () => {
    // Arrange
    const page = await browser.newPage();
    await page.goto(server.url);
    const before = await probability(server.url, REVIEW);

    // Act: the form, then the results page
    await page.getByLabel(/review/i).fill(REVIEW);
    await page.getByRole('button', { name: 'Submit review' }).click();
    await page.waitForURL(`${server.url}/results`);
    const label = (await page.locator('[data-qa=prediction-label]').textContent())?.trim();
    const probabilityText = await page.locator('[data-qa=prediction-probability]').textContent();
    const highlighted = await page.locator('[data-qa=highlighted-review] mark').count();
    await page.getByRole('button', { name: 'Incorrect' }).click();
    await page.waitForURL(`${server.url}/thanks`);
    const thanks = await page.locator('h1').textContent();

    // Assert: the page showed the prediction and its reasons
    expect(label).toBe('positive');
    expect(probabilityText).toMatch(/^\d{1,3}(\.\d)?%$/);
    expect(highlighted).toBeGreaterThan(0);
    expect(thanks).toContain('Thank you for your feedback!');
    // ...the corrected label is stored once...
    const store = openStore(folder.dbPath);
    const rows = await logRows(store);
    await store.close();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ review: REVIEW, sentiment: 0, source: 'feedback' });
    // ...and the model moved towards "negative" for that text.
    const after = await probability(server.url, REVIEW);
    expect(after).toBeLessThan(before);
    await page.close();
  });

  it('refuses a 5-character review with the message visible and the text kept', async () => {
    // Arrange
    const page = await browser.newPage();
    await page.goto(server.url);

    // Act
    await page.getByLabel(/review/i).fill('Meh!!');
    // The textarea may carry minlength: submit the form directly so the server's check is what is tested.
    await page.locator('[data-qa=review-form]').evaluate((form) => {
      (form as unknown as { noValidate: boolean }).noValidate = true;
    });
    await page.getByRole('button', { name: 'Submit review' }).click();
    await page.waitForLoadState('domcontentloaded');

    // Assert
    const error = page.locator('[data-qa=review-error]');
    expect(await error.isVisible()).toBe(true);
    expect(await error.textContent()).toMatch(/15/);
    expect(await page.getByLabel(/review/i).inputValue()).toBe('Meh!!');
    await page.close();
  });
});

async function probability(url: string, review: string): Promise<number> {
  const res = await fetch(`${url}/api/v1/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ review }),
  });
  const body = (await res.json()) as { positiveProbability: number };
  return body.positiveProbability;
}
