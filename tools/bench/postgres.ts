import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { startTestPostgres } from '../embedded-postgres.js';
import { SERVER_HOST, spawnServer, type ServerChild } from '../server-process.js';
import { BenchError } from './bench-server.js';
import { ensureBuild } from './build.js';
import { feedbackReview, runLoad, toAutocannon, caseRequest } from './load.js';
import type { Cleanup } from './cleanup.js';
import { percentile, round } from './stats.js';

export interface PostgresBenchOptions {
  root: string;
  /** Seconds of each load. */
  seconds: number;
  /** Connections in all, shared out over the instances. */
  connections: number;
  review: string;
  cleanup: Cleanup;
  log: (line: string) => void;
}

export interface PostgresBenchRow {
  instances: number;
  predictPerSecond: number;
  /** A prediction on one instance and its feedback on the next, per second, all instances together. */
  feedbackPerSecond: number;
  /** From a feedback's 201 on instance 1 until every other instance has applied it, in ms. */
  agreeP50Ms: number | null;
  agreeP99Ms: number | null;
}

/**
 * `npm run bench -- --postgres`: one embedded PostgreSQL, then 1, 2 and 3 instances of the
 * compiled server on it (each with its own data folder): predictions per second over all of them,
 * feedback round trips per second, and how long until every instance has applied a feedback.
 */
export async function runPostgresBench(options: PostgresBenchOptions): Promise<PostgresBenchRow[]> {
  const { root, log, cleanup } = options;
  ensureBuild(root, 'auto');
  const postgres = await startTestPostgres();
  cleanup.add('stop PostgreSQL', () => void postgres.destroy());
  const rows: PostgresBenchRow[] = [];
  try {
    for (const instances of [1, 2, 3]) {
      const url = await postgres.createDatabase();
      const servers = await startInstances(instances, url, root);
      try {
        rows.push(await measure(servers, options));
        const row = rows.at(-1);
        log(
          `postgres instances=${instances} predict_rps=${row.predictPerSecond} feedback_rps=${row.feedbackPerSecond} ` +
            `agree_p50_ms=${row.agreeP50Ms ?? 'n/a'} agree_p99_ms=${row.agreeP99Ms ?? 'n/a'}`,
        );
      } finally {
        await Promise.all(servers.map((server) => server.child.stop(3000)));
        for (const server of servers) rmSync(server.dir, { recursive: true, force: true });
      }
    }
  } finally {
    await postgres.destroy();
  }
  return rows;
}

interface Instance {
  child: ServerChild;
  url: string;
  dir: string;
}

async function startInstances(count: number, databaseUrl: string, root: string): Promise<Instance[]> {
  const started: Instance[] = [];
  for (let k = 0; k < count; k++) {
    const dir = mkdtempSync(path.join(tmpdir(), 'movieclassifier-bench-pg-'));
    const child = spawnServer({
      entry: 'compiled',
      root,
      logFile: path.join(dir, 'server.log'),
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'production',
        HOST: SERVER_HOST,
        PORT: '0',
        DATA_DIR: dir,
        MODEL_PATH: path.join(root, 'data', 'model.bin'),
        DATABASE_URL: databaseUrl,
        RATE_LIMIT: 'off',
        LOG_LEVEL: 'info',
        HEALTH_DETAILS: 'on',
        CSRF_SECRET: 'bench-secret-0123456789abcdef0123456789abcdef',
        // The load comes from one address standing in for many readers.
        MODERATION_CLIENT_ROWS_PER_DAY: '0',
        MODERATION_CLIENT_CORRECTIONS_PER_DAY: '0',
      },
    });
    const [line] = await child.waitForStartUp(1, 30_000);
    started.push({ child, url: line.address, dir });
  }
  return started;
}

async function measure(servers: Instance[], options: PostgresBenchOptions): Promise<PostgresBenchRow> {
  const perInstance = Math.max(1, Math.floor(options.connections / servers.length));
  const predictRequest = toAutocannon(caseRequest('predict', options.review));
  const runs = await Promise.all(
    servers.map((server) =>
      runLoad({
        url: server.url,
        connections: perInstance,
        duration: options.seconds,
        requests: [predictRequest],
        cleanup: options.cleanup,
      }),
    ),
  );
  const predictPerSecond = round(
    runs.reduce((sum, run) => sum + run.counts.ok2xx / run.counts.duration, 0),
    0,
  );

  // Feedback: predict on one instance, answer on the next (a reader behind a load balancer).
  let done = 0;
  let n = 0;
  const until = Date.now() + options.seconds * 1000;
  await Promise.all(
    Array.from({ length: options.connections }, async (_, worker) => {
      while (Date.now() < until) {
        const k = n++;
        const at = servers[(worker + k) % servers.length];
        const next = servers[(worker + k + 1) % servers.length];
        const predicted = await postJson(`${at.url}/api/v1/predict`, {
          review: feedbackReview(options.review, 1_000_000 + k),
        });
        if (predicted.status !== 200) continue;
        const answered = await postJson(`${next.url}/api/v1/feedback`, {
          predictionId: predictionIdOf(predicted),
          correct: k % 2 === 0,
        });
        if (answered.status === 201) done++;
      }
    }),
  );
  const feedbackPerSecond = round(done / options.seconds, 0);

  // Agreement: a feedback through instance 1, then poll the others until they have applied it.
  const waits: number[] = [];
  if (servers.length > 1) {
    for (let k = 0; k < 30; k++) {
      const predicted = await postJson(`${servers[0].url}/api/v1/predict`, {
        review: feedbackReview(options.review, 2_000_000 + k),
      });
      const answered = await postJson(`${servers[0].url}/api/v1/feedback`, {
        predictionId: predictionIdOf(predicted),
        correct: true,
      });
      const reviewId = reviewIdOf(answered);
      // Without it no instance could be seen to have applied the feedback: the wait below would never end.
      if (reviewId === undefined) {
        throw new BenchError(
          `feedback through instance 1 answered ${answered.status} with no review id (${JSON.stringify(answered.body)}); see the server's log`,
        );
      }
      const sent = performance.now();
      for (const other of servers.slice(1)) {
        for (;;) {
          const health = (await (await fetch(`${other.url}/healthz`)).json()) as { model: { appliedThrough: number } };
          if (health.model.appliedThrough >= reviewId) break;
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      }
      waits.push(performance.now() - sent);
    }
  }
  waits.sort((a, b) => a - b);
  return {
    instances: servers.length,
    predictPerSecond,
    feedbackPerSecond,
    agreeP50Ms: waits.length === 0 ? null : round(percentile(waits, 50), 1),
    agreeP99Ms: waits.length === 0 ? null : round(percentile(waits, 99), 1),
  };
}

/** A reply's status and its JSON body (null when the body is not JSON). */
interface JsonReply {
  status: number;
  body: unknown;
}

async function postJson(url: string, body: unknown): Promise<JsonReply> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

/** The `predictionId` of a POST /api/v1/predict reply, or undefined when it holds none. */
function predictionIdOf(reply: JsonReply): string | undefined {
  const id = fieldOf(reply.body, 'predictionId');
  return typeof id === 'string' ? id : undefined;
}

/** The `reviewId` of a POST /api/v1/feedback reply, or undefined when it holds none. */
function reviewIdOf(reply: JsonReply): number | undefined {
  const id = fieldOf(reply.body, 'reviewId');
  return typeof id === 'number' ? id : undefined;
}

function fieldOf(body: unknown, name: string): unknown {
  return typeof body === 'object' && body !== null && name in body
    ? (body as Record<string, unknown>)[name]
    : undefined;
}
