import type { Response } from 'express';

import { nunjucksEnvironmentOf } from './nunjucks-setup.js';
import type { PageLocals, PageName } from './view-models.js';

/**
 * The one way a page is answered, by the routes and the error handler alike: render it, then send
 * it as one string. Express's `res.send` turns any body over 1,000 characters into a Buffer, which
 * Node then writes with a separate header chunk (writev); a string goes out with its headers in one
 * write. The results page is ~10 KB and the hottest page.
 *
 * The page is rendered synchronously by the app's Nunjucks environment, with the locals Express's
 * `res.render` would give it (app.locals, then res.locals, then these), without the view lookup
 * and the callbacks `res.render` goes through (an app set up without `nunjucksSetup` still uses
 * `res.render`).
 *
 * The status is the response's (set it before). When the template fails, nothing is sent and
 * `onError` gets the error: routes pass `next`; the error handler answers in plain text.
 */
export function renderPage<P extends PageName>(
  res: Response,
  page: P,
  locals: PageLocals[P],
  onError: (error: Error) => void,
): void {
  const env = nunjucksEnvironmentOf(res.app);
  if (env === undefined) {
    res.render(page, locals, (error: Error | null, html?: string) => {
      if (error !== null || html === undefined)
        return onError(error ?? new Error(`rendering ${page} produced nothing`));
      send(res, html);
    });
    return;
  }
  let html: string;
  try {
    html = env.render(`${page}.njk`, { ...res.app.locals, ...res.locals, ...locals });
  } catch (error) {
    return onError(error instanceof Error ? error : new Error(String(error)));
  }
  send(res, html);
}

function send(res: Response, html: string): void {
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(html));
  res.end(html);
}
