import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import express, { type RequestHandler, type Response } from 'express';

/** Content hash of the stylesheet, which pages append to asset URLs (`?v=`). Read once, at start-up. */
export function assetVersionOf(publicDir: string): string {
  return createHash('sha256')
    .update(readFileSync(path.join(publicDir, 'styles.css')))
    .digest('hex')
    .slice(0, 12);
}

/**
 * GET /static/*: the files of publicDir. Pages link them as `/static/styles.css?v=<content hash>`,
 * so a request carrying the current hash may be cached for a year; anything else for five minutes.
 */
export function staticFiles(publicDir: string, version: string, development: boolean): RequestHandler {
  return express.static(publicDir, {
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
