import { createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';

import type { Request, RequestHandler, Response } from 'express';
import createError from 'http-errors';

/** Name of the cookie holding the per-client random secret. */
export const CSRF_COOKIE = 'mc_csrf';
/** Name of the hidden form field holding the token. */
export const CSRF_FIELD = '_csrf';

const CLIENT_SECRET = /^[A-Za-z0-9_-]{22}$/; // 16 random bytes, base64url
const TOKEN_LENGTH = 43; // HMAC-SHA256, base64url
const COOKIE_PATTERN = new RegExp(`(?:^|;)\\s*${CSRF_COOKIE}=([^;]*)`);

export interface Csrf {
  /** The token to put in a form; sets the client-secret cookie first if the client has none. */
  issue(req: Request, res: Response): string;
  /** Middleware that refuses (403) a request whose `_csrf` field does not match the client's cookie. */
  verify: RequestHandler;
}

/**
 * Stateless double-submit CSRF protection, signed so that a planted cookie is useless:
 *
 * - each client gets a random secret in an HttpOnly, SameSite=Strict cookie;
 * - the form token is HMAC-SHA256(server secret, client secret);
 * - a post is accepted only if its token equals the HMAC of its cookie (compared in constant time).
 *
 * A cross-site page can neither read the cookie nor compute the HMAC without the server secret,
 * and SameSite=Strict keeps the browser from sending the cookie with a cross-site post at all. No
 * server-side state, one HMAC per form shown or posted, so it costs microseconds on the hot path.
 *
 * @param serverSecret at least 32 characters, the same in every worker (Config.csrfSecret, or the secret file).
 */
export function createCsrf(serverSecret: string): Csrf {
  const key = createSecretKey(Buffer.from(serverSecret, 'utf8'));
  const tokenOf = rememberedTokens(key);

  return {
    issue(req, res) {
      let clientSecret = readClientSecret(req);
      if (clientSecret === undefined) {
        clientSecret = randomBytes(16).toString('base64url');
        res.cookie(CSRF_COOKIE, clientSecret, {
          httpOnly: true,
          sameSite: 'strict',
          // With trust proxy off, req.secure is true only when this process itself speaks TLS.
          secure: req.secure,
          path: '/',
        });
      }
      return tokenOf(clientSecret);
    },

    verify(req, _res, next) {
      const clientSecret = readClientSecret(req);
      const sent: unknown = (req.body as Record<string, unknown> | undefined)?.[CSRF_FIELD];
      if (clientSecret === undefined || typeof sent !== 'string' || sent.length !== TOKEN_LENGTH) {
        return next(forbidden());
      }
      const expected = Buffer.from(tokenOf(clientSecret), 'utf8');
      const given = Buffer.from(sent, 'utf8');
      // Lengths can differ only if `sent` holds multi-byte characters; timingSafeEqual would throw.
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return next(forbidden());
      next();
    },
  };
}

function tokenFor(key: KeyObject, clientSecret: string): string {
  return createHmac('sha256', key).update(clientSecret).digest('base64url');
}

/** Client secrets whose tokens are remembered; the oldest is forgotten first. */
const REMEMBERED_TOKENS = 10_000;

/**
 * `tokenFor`, remembering the tokens of the last clients: a reader who posts several reviews gets
 * the same token for each page and each answer, and the HMAC behind it was 1.7% of the results
 * page's CPU profile. The token is a function of the client's secret alone, so remembering it
 * changes nothing but the time; at most 10,000 entries (about 1.5 MB).
 */
function rememberedTokens(key: KeyObject): (clientSecret: string) => string {
  const tokens = new Map<string, string>();
  return (clientSecret) => {
    let token = tokens.get(clientSecret);
    if (token === undefined) {
      token = tokenFor(key, clientSecret);
      if (tokens.size >= REMEMBERED_TOKENS) tokens.delete(tokens.keys().next().value!);
      tokens.set(clientSecret, token);
    }
    return token;
  };
}

function readClientSecret(req: Request): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  const value = COOKIE_PATTERN.exec(header)?.[1]?.trim();
  return value !== undefined && CLIENT_SECRET.test(value) ? value : undefined;
}

function forbidden(): Error {
  return createError(
    403,
    'This form has expired or did not come from this site. Go back, reload the page and try again.',
    { code: 'csrf_failed' },
  );
}
