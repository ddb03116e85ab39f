export { observeRequests } from './http.js';
export { countedLearner } from './learner.js';
export { createMetrics, type Metrics, type MetricsSources } from './registry.js';
export { startMetricsServer, type MetricsServerOptions } from './server.js';
