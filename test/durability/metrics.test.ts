import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { freePort } from '../../tools/free-port.js';
import { POSITIVE_REVIEW } from '../helpers/app.js';
import { feedbackReview } from '../helpers/probes.js';
import { pidsServing, postJson, startServerProcess, useServerFolders, waitFor } from '../helpers/server-process.js';

const serverFolder = useServerFolders();

/** The samples of an exposition text by name and label text: `name{a="b"}` -> value. */
function samples(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match !== null) values.set(match[1], Number(match[2]));
  }
  return values;
}

const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((path) => existsSync(path));

describe('GET /metrics with WORKERS=2', { timeout: 90_000 }, () => {
  it('sums the known traffic of both workers, by route pattern and status, on METRICS_PORT only', async () => {
    const paths = serverFolder('metrics');
    const metricsPort = await freePort();
    const server = await startServerProcess(paths, {
      workers: 2,
      timeoutMs: 40_000,
      env: { METRICS_PORT: String(metricsPort) },
    });
    const close = { connection: 'close' }; // a connection each: the cluster hands them to both workers
    const get = (path: string) =>
      fetch(`${server.url}${path}`, { headers: close }).then(async (res) => (await res.arrayBuffer(), res.status));
    const post = (path: string, body: unknown) => postJson(`${server.url}${path}`, body, { close: true });

    // Act: known traffic.
    for (let k = 0; k < 3; k++) expect(await get('/')).toBe(200);
    const ids: string[] = [];
    for (let k = 0; k < 4; k++) {
      const res = await post('/api/v1/predict', { review: k < 2 ? feedbackReview(k) : POSITIVE_REVIEW });
      expect(res.status).toBe(200);
      ids.push((res.body as { predictionId: string }).predictionId);
    }
    expect((await post('/api/v1/predict', { review: 'short' })).status).toBe(400);
    expect((await fetch(`${server.url}/api/v1/predict`, { method: 'PUT', headers: close })).status).toBe(405);
    for (const id of ids.slice(0, 2))
      expect((await post('/api/v1/feedback', { predictionId: id, correct: true })).status).toBe(201);
    expect((await post('/api/v1/feedback', { predictionId: ids[0], correct: true })).status).toBe(409);
    expect(await get('/no-such-page')).toBe(404);
    expect(await get('/static/styles.css')).toBe(200);
    expect(await get('/metrics')).toBe(404); // not on the site's port
    expect(pidsServing(server.output(), '/api/v1/predict')).toEqual(new Set(server.workerPids));
    const scrape = async () => {
      const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      return res.text();
    };
    // Both workers learn the two rows (each polls the log).
    await waitFor(
      'both workers applying the feedback',
      async () => samples(await scrape()).get('movieclassifier_log_rows_unapplied') === 0,
      10_000,
    );

    const text = await scrape();
    const values = samples(text);
    const requests = (route: string, method: string, status: number) =>
      values.get(
        `movieclassifier_http_request_duration_seconds_count{route="${route}",method="${method}",status="${status}"}`,
      );
    expect(requests('/', 'GET', 200)).toBe(3);
    expect(requests('/api/v1/predict', 'POST', 200)).toBe(4);
    expect(requests('/api/v1/predict', 'POST', 400)).toBe(1);
    expect(requests('/api/v1/predict', 'PUT', 405)).toBe(1);
    expect(requests('/api/v1/feedback', 'POST', 201)).toBe(2);
    expect(requests('/api/v1/feedback', 'POST', 409)).toBe(1);
    expect(requests('unmatched', 'GET', 404)).toBe(2);
    expect(requests('static', 'GET', 200)).toBe(1);
    expect(
      values.get(
        'movieclassifier_http_request_duration_seconds_bucket{le="+Inf",route="/api/v1/predict",method="POST",status="200"}',
      ),
    ).toBe(4);
    expect(values.get('movieclassifier_predictions_total')).toBe(4);
    expect(values.get('movieclassifier_feedback_total{verdict="accepted"}')).toBe(2);
    expect(values.get('movieclassifier_db_write_failures_total')).toBe(0);
    expect(values.get('movieclassifier_db_writes_failing')).toBe(0);
    const version = server.startUp[0].model as { version: string; preset: string };
    expect(
      values.get(`movieclassifier_model_info{model_file="${version.version.slice(0, 12)}",preset="${version.preset}"}`),
    ).toBe(1);
    expect(values.get('movieclassifier_model_applied_through')).toBe(2);
    expect(values.get('movieclassifier_model_feedback_watermark')).toBe(0);
    expect(values.get('movieclassifier_log_rows_unfolded')).toBe(2);
    expect(values.get('movieclassifier_checkpoints')).toBeGreaterThanOrEqual(1);
    expect(values.get('process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(values.get('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    // No raw path became a label.
    expect(text).not.toContain('no-such-page');
    expect(text).not.toContain(ids[0]);
    // Prometheus' own reader and linter, where installed (Debian: apt-get install prometheus): throws on any complaint.
    if (PROMTOOL !== undefined) execFileSync(PROMTOOL, ['check', 'metrics'], { input: text });
  });
});
