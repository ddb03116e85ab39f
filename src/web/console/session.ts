import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

import type { Request, Response } from 'express';

import type { ConsoleStore } from '../../store/index.js';
import { serialLoginClaims } from './login-claims.js';

/** The console's session cookie: signed, never stored, sent only to /admin. */
export const SESSION_COOKIE = 'mc_admin';
/** A one-time message for the next page (what an action did), signed like the session. */
export const FLASH_COOKIE = 'mc_admin_flash';
const COOKIE_PATH = '/admin';

/** How long failed sign-ins count against a client. */
export const LOGIN_WINDOW_MS = 15 * 60_000;

export interface Session {
  /** Random id of this sign-in; what signing out records. */
  id: string;
  expiresAt: Date;
}

export interface Flash {
  kind: 'done' | 'problem';
  text: string;
}

export interface ConsoleAccessOptions {
  password: string;
  /** The app's secret (CSRF_SECRET or the secret file); the session key is derived from it and the password. */
  secret: string;
  sessionHours: number;
  /** Failed sign-ins a client may make per {@link LOGIN_WINDOW_MS}. */
  maxFailures: number;
  store: Pick<ConsoleStore, 'claimLoginTry' | 'clearLoginFailures' | 'endSession' | 'isSessionEnded'>;
  now?: () => Date;
}

export type SignInResult =
  | { status: 'signed-in' }
  | { status: 'wrong-password'; triesLeft: number }
  | { status: 'too-many-failures'; retryAfterSeconds: number };

export interface ConsoleAccess {
  /** The valid session a request carries, or undefined (none, forged, expired or signed out). */
  sessionOf(req: Request): Promise<Session | undefined>;
  /**
   * Checks a password from a sign-in form, within the client's limit of failed tries. On success
   * sets the session cookie; on failure counts the try.
   */
  signIn(req: Request, res: Response, given: unknown, client: string): Promise<SignInResult>;
  /** Ends the request's session in every process and clears its cookie. */
  signOut(req: Request, res: Response): Promise<void>;
  setFlash(req: Request, res: Response, flash: Flash): void;
  /** The flash message the request carries (signed by us), clearing it. */
  takeFlash(req: Request, res: Response): Flash | undefined;
}

/**
 * Who may use the console. The session is a cookie holding an id and an expiry, signed with
 * HMAC-SHA256 under a key derived from the app's secret and the password: every worker checks it
 * without shared state, and changing ADMIN_PASSWORD (or the secret) ends every session. Signing
 * out records the id until its expiry, so a copy of the cookie is refused too. The password is
 * compared as SHA-256 digests with timingSafeEqual: the time taken says nothing about how much of
 * it matched, nor its length. Failed tries are counted per client in the database, so the limit
 * holds across workers.
 */
export function consoleAccess({
  password,
  secret,
  sessionHours,
  maxFailures,
  store,
  now = () => new Date(),
}: ConsoleAccessOptions): ConsoleAccess {
  const key = createHmac('sha256', secret)
    .update('movieclassifier console session v1\0')
    .update(createHash('sha256').update(password).digest())
    .digest();
  const expected = createHash('sha256').update(password).digest();
  const claimTry = serialLoginClaims(store, LOGIN_WINDOW_MS);
  const sign = (payload: string) => createHmac('sha256', key).update(payload).digest('base64url');
  const verified = (value: string | undefined): string | undefined => {
    if (value === undefined) return undefined;
    const dot = value.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const payload = value.slice(0, dot);
    const given = Buffer.from(value.slice(dot + 1));
    const wanted = Buffer.from(sign(payload));
    return given.length === wanted.length && timingSafeEqual(given, wanted) ? payload : undefined;
  };
  const cookieOptions = (req: Request) => ({
    httpOnly: true,
    sameSite: 'strict' as const,
    // req.secure follows X-Forwarded-Proto only when TRUST_PROXY says the proxy may be believed.
    secure: req.secure,
    path: COOKIE_PATH,
  });

  const sessionOf = async (req: Request): Promise<Session | undefined> => {
    const payload = verified(readCookie(req, SESSION_COOKIE));
    const match = payload === undefined ? null : /^v1\.(\d{1,15})\.([A-Za-z0-9_-]{22})$/.exec(payload);
    if (match === null) return undefined;
    const expiresAt = new Date(Number(match[1]) * 1000);
    if (expiresAt.getTime() <= now().getTime() || (await store.isSessionEnded(match[2]))) return undefined;
    return { id: match[2], expiresAt };
  };

  return {
    sessionOf,

    async signIn(req, res, given, client) {
      const at = now();
      const since = new Date(at.getTime() - LOGIN_WINDOW_MS).toISOString();
      // Counted as a failure before the password is looked at, in one step: parallel tries from
      // one client cannot all read the count before any of them is recorded.
      const claim = await claimTry(client, at, since, maxFailures);
      if (!claim.allowed) {
        const freeAt = Date.parse(claim.oldest) + LOGIN_WINDOW_MS;
        return {
          status: 'too-many-failures',
          retryAfterSeconds: Math.max(1, Math.ceil((freeAt - at.getTime()) / 1000)),
        };
      }
      const digest = createHash('sha256')
        .update(typeof given === 'string' ? given : '')
        .digest();
      if (typeof given !== 'string' || !timingSafeEqual(digest, expected)) {
        await store.clearLoginFailures(null, since);
        return { status: 'wrong-password', triesLeft: maxFailures - claim.failuresBefore - 1 };
      }
      await store.clearLoginFailures(client);
      const expiresAt = Math.floor(at.getTime() / 1000) + sessionHours * 3600;
      const payload = `v1.${expiresAt}.${randomBytes(16).toString('base64url')}`;
      res.cookie(SESSION_COOKIE, `${payload}.${sign(payload)}`, {
        ...cookieOptions(req),
        maxAge: sessionHours * 3600_000,
      });
      return { status: 'signed-in' };
    },

    async signOut(req, res) {
      const session = await sessionOf(req);
      if (session !== undefined) await store.endSession(session.id, session.expiresAt.toISOString());
      res.clearCookie(SESSION_COOKIE, cookieOptions(req));
    },

    setFlash(req, res, flash) {
      const payload = Buffer.from(JSON.stringify(flash)).toString('base64url');
      res.cookie(FLASH_COOKIE, `${payload}.${sign(`flash.${payload}`)}`, { ...cookieOptions(req), maxAge: 60_000 });
    },

    takeFlash(req, res) {
      const value = readCookie(req, FLASH_COOKIE);
      if (value === undefined) return undefined;
      res.clearCookie(FLASH_COOKIE, cookieOptions(req));
      const dot = value.lastIndexOf('.');
      const payload = verified(`flash.${value.slice(0, dot)}.${value.slice(dot + 1)}`);
      if (payload === undefined) return undefined;
      try {
        const flash = JSON.parse(Buffer.from(payload.slice('flash.'.length), 'base64url').toString('utf8')) as Flash;
        return (flash.kind === 'done' || flash.kind === 'problem') && typeof flash.text === 'string'
          ? flash
          : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

/** A cookie's value from the request's Cookie header (the app has no cookie parser). */
function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
