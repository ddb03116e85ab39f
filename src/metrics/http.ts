import type { Request, RequestHandler } from 'express';

import type { Metrics } from './registry.js';

/**
 * Times each request and counts it under its route pattern (`/api/v1/admin/feedback/:id/accept`,
 * never the raw path: ids and junk paths would each make a new series). Requests no route took
 * are `static` (files under /static) or `unmatched` (404s).
 */
export function observeRequests(metrics: Pick<Metrics, 'observeRequest'>): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.once('finish', () => {
      metrics.observeRequest(routeOf(req), req.method, res.statusCode, (performance.now() - started) / 1000);
    });
    next();
  };
}

/** Each route's full pattern, learnt from a request it answered itself. */
const fullPatterns = new WeakMap<object, string>();

function routeOf(req: Request): string {
  const route = req.route as { path?: unknown } | undefined;
  if (route === undefined || typeof route.path !== 'string') return req.baseUrl === '/static' ? 'static' : 'unmatched';
  // While the route's router has the request, baseUrl is its mount path (a fixed path in this
  // app). A route that passed an error on (a 400, a 429) has left its router, which reset
  // baseUrl; the route is then found by what an earlier answer of it recorded, or else rebuilt
  // from the request's path: the mount is what comes before the route's own segments.
  if (req.baseUrl !== '') {
    const pattern = req.baseUrl + route.path;
    if (fullPatterns.get(route) !== pattern) fullPatterns.set(route, pattern);
    return pattern;
  }
  return fullPatterns.get(route) ?? mountOf(req.originalUrl, route.path) + route.path;
}

function mountOf(originalUrl: string, routePath: string): string {
  const segments = originalUrl
    .split('?', 1)[0]
    .split('/')
    .filter((segment) => segment !== '');
  const own = routePath.split('/').filter((segment) => segment !== '').length;
  return segments.length > own ? `/${segments.slice(0, segments.length - own).join('/')}` : '';
}
