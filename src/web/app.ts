import express, { type ErrorRequestHandler, type Express } from 'express';
import createError from 'http-errors';

import type { Config } from '../config.js';
import { clientIdentity } from './client-identity.js';
import { NO_CHECKPOINTS, type Checkpoints } from '../learner/checkpoints.js';
import { modelJournal, type Learner, type ModelJournal } from '../learner/index.js';
import { DatabaseUnavailableError } from '../errors.js';
import { countedLearner, observeRequests, type Metrics } from '../metrics/index.js';
import type { LogStore } from '../store/types.js';
import { errorHandler } from './error-handler.js';
import { createOperator } from '../moderation/operator.js';
import { createLogger, type Logger } from './logger.js';
import { createCsrf } from './middleware/csrf.js';
import { setUpRateLimits } from './middleware/rate-limits.js';
import { requestId } from './middleware/request-id.js';
import { requestLogger } from './middleware/request-logger.js';
import { setUpSecurity } from './middleware/security.js';
import { nunjucksSetup } from './nunjucks-setup.js';
import { openApiRoutes } from './openapi.js';
import { consoleRoutes } from './console/routes.js';
import { consoleAccess } from './console/session.js';
import { adminApiRoutes } from './routes/admin-api.js';
import { apiRoutes } from './routes/api.js';
import { publicModelVersion } from './public-model-version.js';
import { healthRoutes } from './routes/health.js';
import { reviewPageRoutes } from './routes/review-pages.js';
import { assetVersionOf, staticFiles } from './routes/static-files.js';

/**
 * The settings the app reads, with the CSRF key settled: from CSRF_SECRET, or from the secret
 * file that start-up reads or creates (`readOrCreateCsrfSecret`).
 */
export type AppConfig = Pick<
  Config,
  | 'development'
  | 'logLevel'
  | 'rateLimit'
  | 'viewsDir'
  | 'publicDir'
  | 'trustProxy'
  | 'adminToken'
  | 'adminPassword'
  | 'adminSessionHours'
  | 'adminLoginFailures'
  | 'healthDetails'
> & {
  csrfSecret: string;
};

export interface AppDeps {
  learner: Learner;
  store: Pick<LogStore, 'countReviews' | 'getReview' | 'reviewIdsOfClient' | 'console' | 'modelEvents'>;
  config: AppConfig;
  /** Defaults to a pino logger at config.logLevel on stdout. */
  logger?: Logger;
  /** The kept model files the console lists and rolls back to. @default none */
  checkpoints?: Pick<Checkpoints, 'list' | 'dir' | 'publish'>;
  /** Records the console's actions in the model timeline. @default a journal on store.modelEvents */
  journal?: ModelJournal;
  /** The clock of the console (charts' windows, session expiry). @default () => new Date() */
  now?: () => Date;
  /** Counts requests, predictions, feedback and refused writes (METRICS_PORT). @default none kept */
  metrics?: Pick<Metrics, 'observeRequest' | 'predictions' | 'feedback' | 'dbWriteFailures'>;
}

/**
 * Build the web app: pages, JSON API, health check, static files. Opens no sockets and no files
 * except the templates and the stylesheet it reads once; src/server.ts listens.
 */
export function createApp({
  learner,
  store,
  config,
  logger = createLogger(config),
  checkpoints = NO_CHECKPOINTS,
  journal = modelJournal({ learner, events: store.modelEvents, changes: store.console }),
  now = () => new Date(),
  metrics,
}: AppDeps): Express {
  const { viewsDir, publicDir } = config;
  const assetVersion = assetVersionOf(publicDir);
  const limits = setUpRateLimits(config);
  const csrf = createCsrf(config.csrfSecret);
  const clientOf = clientIdentity(config.csrfSecret);
  const operator = createOperator({ learner, store, checkpoints, afterChange: journal.note });

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('etag', false); // pages and API answers are per request; static files keep their own ETags
  nunjucksSetup(app, { viewsDir, development: config.development, assetVersion });

  if (metrics !== undefined) app.use(observeRequests(metrics));
  app.use(requestId);
  app.use(requestLogger(logger));
  app.use(setUpSecurity());

  // What readers ask of the learner is counted when metrics are kept.
  const answering = metrics === undefined ? learner : countedLearner(learner, metrics);
  app.use(reviewPageRoutes({ learner: answering, csrf, limits, clientOf })); // GET /, POST /results, POST /thanks
  if (config.adminToken !== undefined) {
    // GET /api/v1/admin/feedback, POST .../feedback/:id/accept|reject, POST .../clients/:client/reject;
    // without ADMIN_TOKEN these paths fall through to the 404 below.
    app.use('/api/v1/admin', adminApiRoutes({ operator, token: config.adminToken }));
  }
  if (config.adminPassword !== undefined) {
    // The operator's console (GET /admin, /admin/login, ...), on either store; without
    // ADMIN_PASSWORD, /admin is a 404.
    const { console: consoleStore, modelEvents } = store;
    const access = consoleAccess({
      password: config.adminPassword,
      secret: config.csrfSecret,
      sessionHours: config.adminSessionHours,
      maxFailures: config.adminLoginFailures,
      store: consoleStore,
      now,
    });
    const consoleDeps = { console: consoleStore, modelEvents };
    app.use(
      '/admin',
      consoleRoutes({ learner, operator, store: consoleDeps, checkpoints, journal, access, csrf, clientOf, now }),
    );
  }
  // With HEALTH_DETAILS off, an answer's model version tells no counts (publicModelVersion).
  const versionShown = config.healthDetails ? (full: string) => full : publicModelVersion(config.csrfSecret);
  app.use('/api/v1', openApiRoutes()); // GET /api/v1/openapi.json
  app.use('/api/v1', apiRoutes({ learner: answering, limits, clientOf, versionShown })); // POST /api/v1/predict, POST /api/v1/feedback
  app.use(healthRoutes({ learner, store, details: config.healthDetails })); // GET /healthz
  app.use('/static', staticFiles(publicDir, assetVersion, config.development)); // GET /static/styles.css

  app.use((req, _res, next) => next(createError(404, notFoundMessage(req.method, req.path))));
  if (metrics !== undefined) {
    app.use(((error, _req, _res, next) => {
      if (error instanceof DatabaseUnavailableError) metrics.dbWriteFailures.inc();
      next(error);
    }) as ErrorRequestHandler);
  }
  app.use(errorHandler({ development: config.development, logger }));
  return app;
}

function notFoundMessage(method: string, urlPath: string): string {
  return urlPath.startsWith('/api/') ? `no endpoint ${method} ${urlPath}` : 'There is no page at this address.';
}
