import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import express, { type Express, type Response } from 'express';
import createError from 'http-errors';

import type { Config } from '../config.js';
import type { Learner } from '../learner/index.js';
import type { Store } from '../store/types.js';
import { apiRoutes } from './api-routes.js';
import { createCsrf } from './csrf.js';
import { errorHandler } from './error-handler.js';
import { healthRoutes } from './health-routes.js';
import { createLogger, requestLogger, type Logger } from './logging.js';
import { nunjucksSetup } from './nunjucks-setup.js';
import { setUpRateLimits } from './rate-limits.js';
import { reviewRoutes } from './review-routes.js';
import { setUpSecurity } from './security.js';

export interface AppDeps {
  learner: Learner;
  store: Pick<Store, 'countReviews'>;
  config: Config;
  /** Defaults to a pino logger at config.logLevel on stdout. */
  logger?: Logger;
}

/**
 * Build the web app: pages, JSON API, health check, static files. Opens no sockets and no files
 * except the templates and the stylesheet it reads once; src/server.ts listens.
 */
export function createApp({ learner, store, config, logger = createLogger(config) }: AppDeps): Express {
  const root = projectRoot();
  const publicDir = path.join(root, 'public');
  const assetVersion = fileVersion(path.join(publicDir, 'styles.css'));
  const limits = setUpRateLimits(config);
  const csrf = createCsrf(config.csrfSecret);

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('etag', false); // pages and API answers are per request; static files keep their own ETags
  nunjucksSetup(app, { viewsDir: path.join(root, 'views'), development: config.development, assetVersion });

  app.use(requestLogger(logger));
  app.use(setUpSecurity());

  app.use(reviewRoutes({ learner, csrf, limits })); // GET /, POST /results, POST /thanks
  app.use('/api/v1', apiRoutes({ learner, limits })); // POST /api/v1/predict, POST /api/v1/feedback
  app.use(healthRoutes({ learner, store })); // GET /healthz
  app.use('/static', staticFiles(publicDir, assetVersion, config.development)); // GET /static/styles.css

  app.use((req, _res, next) => next(createError(404, notFoundMessage(req.method, req.path))));
  app.use(errorHandler({ development: config.development, logger }));
  return app;
}

function notFoundMessage(method: string, urlPath: string): string {
  return urlPath.startsWith('/api/') ? `no endpoint ${method} ${urlPath}` : 'There is no page at this address.';
}

/**
 * Files under public/, at /static. Pages link them as `/static/styles.css?v=<content hash>`, so a
 * request carrying the current hash may be cached for a year; anything else for five minutes.
 */
function staticFiles(dir: string, version: string, development: boolean) {
  return express.static(dir, {
    index: false,
    dotfiles: 'ignore',
    fallthrough: true,
    setHeaders: (res: Response) => {
      if (development) return res.setHeader('Cache-Control', 'no-cache');
      const immutable = res.req.query.v === version;
      res.setHeader('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=300');
    },
  });
}

function fileVersion(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 12);
}

/** The folder holding package.json, views/ and public/, whether run from src/ (tsx) or dist/src/. */
function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'views'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the project folder (with package.json and views/) above ${dir}`);
    dir = parent;
  }
}
