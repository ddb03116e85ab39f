import type { Application, Express } from 'express';
import nunjucks from 'nunjucks';

import { CONSOLE_PAGES } from './console/view-models.js';
import { percent, type PageName } from './view-models.js';

/** Every page the app renders; compiled at start-up so a broken template fails there, not on a request. */
export const PAGES = [
  'pages/index.njk',
  'pages/results.njk',
  'pages/thanks.njk',
  'pages/error.njk',
  ...CONSOLE_PAGES,
] as const satisfies readonly `${PageName}.njk`[];

const environments = new WeakMap<Application, nunjucks.Environment>();

/** The Nunjucks environment `nunjucksSetup` gave this app, for `renderPage`; undefined for another app. */
export function nunjucksEnvironmentOf(app: Application): nunjucks.Environment | undefined {
  return environments.get(app);
}

export interface NunjucksOptions {
  viewsDir: string;
  /** Re-read templates on every render (development only); otherwise each is compiled once. */
  development: boolean;
  /** Appended to static asset URLs (`?v=`), so they can be cached for a year. */
  assetVersion: string;
}

/**
 * Nunjucks as the app's view engine: autoescape on (review text is never markup), templates cached
 * after their first compilation outside development. Express's own view cache is switched on with
 * it, so a render is a lookup plus the compiled template's function.
 */
export function nunjucksSetup(app: Express, options: NunjucksOptions): nunjucks.Environment {
  const loader = new nunjucks.FileSystemLoader(options.viewsDir, { noCache: options.development, watch: false });
  const env = new nunjucks.Environment(loader, { autoescape: true, throwOnUndefined: false });

  env.addFilter('percent', percent);
  env.addFilter('thousands', (n: number) => n.toLocaleString('en'));
  env.addGlobal('assetVersion', options.assetVersion);

  env.express(app);
  environments.set(app, env);
  app.set('views', options.viewsDir);
  app.set('view engine', 'njk');
  app.set('view cache', !options.development);

  if (!options.development) for (const page of PAGES) env.getTemplate(page, true);
  return env;
}
