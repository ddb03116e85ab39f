import type { Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

/**
 * helmet with a Content-Security-Policy written out in full rather than helmet's defaults, which
 * allow inline styles. The pages need no JavaScript and no inline style (the meter is a <meter>
 * element, not a width in a style attribute), so neither is allowed.
 *
 * helmet runs once, here, against a recording response: with these options every header it sets
 * is the same for every request, and it rebuilt the CSP text and walked thirteen middlewares per
 * request. The middleware returned sets the recorded headers, in helmet's order.
 */
export function setUpSecurity(): RequestHandler {
  const headers = headersSetBy(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'none'"],
          scriptSrcAttr: ["'none'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          fontSrc: ["'self'"],
          connectSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'none'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          // No upgrade-insecure-requests: the app is often served over plain HTTP on 127.0.0.1,
          // where upgrading the form posts to https would break them.
        },
      },
      frameguard: { action: 'deny' },
      // helmet's default, 365 days with subdomains; sent only over HTTPS, below.
    }),
  );
  // Strict-Transport-Security only when the request came over HTTPS as Express sees it: TLS on
  // the socket, or X-Forwarded-Proto: https from a proxy that TRUST_PROXY trusts. Sent over plain
  // HTTP it is a promise the site did not make there (RFC 6797 8.1 tells browsers to ignore it;
  // caches and other clients need not).
  const hsts = headers.filter(([name]) => name.toLowerCase() === HSTS);
  const always = headers.filter(([name]) => name.toLowerCase() !== HSTS);
  return (req, res, next) => {
    setHeaders(res, always);
    if (req.secure) setHeaders(res, hsts);
    next();
  };
}

const HSTS = 'strict-transport-security';

function setHeaders(res: Response, headers: ReadonlyArray<[string, string | null]>): void {
  for (const [name, value] of headers) {
    if (value === null) res.removeHeader(name);
    else res.setHeader(name, value);
  }
}

/**
 * The headers a middleware sets (value) or removes (null), in order, when run on a request that
 * carries nothing. Throws if it does not finish at once or fails: its headers must not depend on
 * the request.
 */
function headersSetBy(middleware: RequestHandler): Array<[string, string | null]> {
  const headers: Array<[string, string | null]> = [];
  const recorder = {
    setHeader(name: string, value: unknown) {
      headers.push([name, String(value)]);
      return recorder;
    },
    removeHeader(name: string) {
      headers.push([name, null]);
    },
  };
  let finished = false;
  void middleware({} as Request, recorder as unknown as Response, (error?: unknown) => {
    if (error !== undefined)
      throw error instanceof Error ? error : new Error('the security headers middleware failed', { cause: error });
    finished = true;
  });
  if (!finished) throw new Error('the security headers middleware did not finish synchronously');
  return headers;
}

/** Responses built from one reader's request (predictions, CSRF tokens) must not be cached. */
export const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};
