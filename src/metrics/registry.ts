import cluster from 'node:cluster';

import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

import type { Checkpoints, Learner } from '../learner/index.js';
import type { LogStore } from '../store/types.js';

/** Prefix of the app's own metrics (process_* and nodejs_* are prom-client's defaults). */
const PREFIX = 'movieclassifier_';

/**
 * Latency buckets in seconds: an answer takes ~0.3-1 ms on a quiet machine, so the default
 * buckets (5 ms up) would put nearly every request in the first one.
 */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** What the metrics read at scrape time, never on a request. */
export interface MetricsSources {
  learner: Pick<Learner, 'modelInfo' | 'writeFailure'>;
  store: Pick<LogStore, 'maxReviewId'>;
  checkpoints: Pick<Checkpoints, 'list'>;
}

/** One process's metrics; see docs/metrics.md for what each means. */
export interface Metrics {
  readonly registry: Registry;
  /** Counts one HTTP request of `route` (a route pattern, never the raw path) that took `seconds`. */
  observeRequest(route: string, method: string, status: number, seconds: number): void;
  readonly predictions: Counter;
  readonly feedback: Counter<'verdict'>;
  readonly dbWriteFailures: Counter;
  /** Reads the model, the log and the checkpoints at each scrape. */
  watch(sources: MetricsSources): void;
}

/**
 * The metrics of a server process, in a registry of their own. In a cluster worker the registry
 * is the one prom-client's AggregatorRegistry in the primary asks for (src/metrics/cluster.ts),
 * summing the workers.
 */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Gauges that prom-client names like counters, which promtool's lint refuses; each is the sum
  // of the gauge of the same name without _total, by type, which stays.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(name);
  }
  const requests = new Histogram({
    name: `${PREFIX}http_request_duration_seconds`,
    help: 'HTTP requests by route pattern, method and status, and how long each took to answer (its _count is the number of requests)',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  // Children by route, method and status: a request looks its labels up in three maps instead of
  // prom-client hashing a label object on each observation.
  const children = new Map<string, Map<string, Map<number, ReturnType<typeof requests.labels>>>>();
  type Child = ReturnType<typeof requests.labels>;
  const childOf = (route: string, method: string, status: number) => {
    let byMethod = children.get(route);
    if (byMethod === undefined) children.set(route, (byMethod = new Map<string, Map<number, Child>>()));
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) byMethod.set(method, (byStatus = new Map<number, Child>()));
    let child = byStatus.get(status);
    if (child === undefined) byStatus.set(status, (child = requests.labels(route, method, String(status))));
    return child;
  };
  const metrics: Metrics = {
    registry,
    observeRequest: (route, method, status, seconds) => childOf(route, method, status).observe(seconds),
    predictions: new Counter({
      name: `${PREFIX}predictions_total`,
      help: 'Predictions made (form and API), each stored to be answered with feedback',
      registers: [registry],
    }),
    feedback: new Counter({
      name: `${PREFIX}feedback_total`,
      help: "Feedback rows added to the log, by the moderation rule's verdict (accepted rows are learned from)",
      labelNames: ['verdict'] as const,
      registers: [registry],
    }),
    dbWriteFailures: new Counter({
      name: `${PREFIX}db_write_failures_total`,
      help: 'Predictions and feedback answered 503 because the database did not take the write in time (nothing stored)',
      registers: [registry],
    }),
    watch: (sources) => watchSources(registry, sources),
  };
  if (cluster.isWorker) {
    // prom-client answers the primary's requests for metrics from the process once an
    // AggregatorRegistry has been made in it (its constructor adds the listener), with these.
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([registry]);
  }
  return metrics;
}

/** Gauges read at scrape time. `aggregator` says how the primary combines the workers' values. */
function watchSources(registry: Registry, { learner, store, checkpoints }: MetricsSources): void {
  new Gauge({
    name: `${PREFIX}model_info`,
    help: 'The served model: 1 with the model file it started from (the first part of its version) and its preset',
    labelNames: ['model_file', 'preset'] as const,
    aggregator: 'max',
    registers: [registry],
    collect() {
      const info = learner.modelInfo();
      this.reset(); // a reloaded model replaces the old labels
      this.labels(info.fileChecksum.slice(0, 12), info.preset).set(1);
    },
  });
  const gauge = (name: string, help: string, aggregator: 'min' | 'max', read: () => number | Promise<number>) =>
    new Gauge({
      name: `${PREFIX}${name}`,
      help,
      aggregator,
      registers: [registry],
      async collect() {
        this.set(await read());
      },
    });
  gauge(
    'model_applied_through',
    'Highest log row id the served model has learned (the lowest over the workers)',
    'min',
    () => learner.modelInfo().appliedThrough,
  );
  gauge(
    'model_feedback_watermark',
    'Highest log row id folded into the model file by npm run update (its log watermark)',
    'min',
    () => learner.modelInfo().feedbackWatermark,
  );
  gauge(
    'model_verdict_changes_seen',
    'Last verdict change the served weights reflect (the last part of the model version)',
    'min',
    () => learner.modelInfo().verdictChangesSeen,
  );
  gauge(
    'log_rows_unapplied',
    'Log rows not yet learned by the served model (highest log id minus applied through; the most over the workers)',
    'max',
    async () => Math.max(0, (await store.maxReviewId()) - learner.modelInfo().appliedThrough),
  );
  gauge(
    'log_rows_unfolded',
    'Log rows not yet folded into the model file: what npm run update would read',
    'max',
    async () => Math.max(0, (await store.maxReviewId()) - learner.modelInfo().feedbackWatermark),
  );
  gauge(
    'db_writes_failing',
    '1 while the database refuses writes (GET /healthz answers 503), else 0',
    'max',
    async () => ((await learner.writeFailure()) === null ? 0 : 1),
  );
  gauge(
    'checkpoints',
    'Model checkpoints kept to rebuild from after a verdict change',
    'max',
    async () => (await checkpoints.list()).length,
  );
}
