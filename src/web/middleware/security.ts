import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * helmet with a Content-Security-Policy written out in full rather than helmet's defaults, which
 * allow inline styles. The pages need no JavaScript and no inline style (the meter is a <meter>
 * element, not a width in a style attribute), so neither is allowed.
 */
export function setUpSecurity(): RequestHandler {
  return helmet({
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
    // Trust proxy is off, so the app cannot tell whether a TLS proxy fronts it; a HSTS header on
    // plain HTTP is ignored by browsers anyway, and helmet's default (180 days) is kept.
  });
}

/** Responses built from one reader's request (predictions, CSRF tokens) must not be cached. */
export const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};
