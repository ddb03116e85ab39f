import { basename } from 'node:path';

import { Router, type Request, type RequestHandler, type Response } from 'express';
import createError from 'http-errors';

import { MovieClassifierError, RebuildRefusedError } from '../../errors.js';
import type { Checkpoints } from '../../learner/checkpoints.js';
import type { Learner, ModelJournal } from '../../learner/index.js';
import {
  NoSuchRowError,
  UnlearnableRowError,
  type Operator,
  type VerdictChangeResult,
} from '../../moderation/operator.js';
import {
  searchTerms,
  type ClientOrder,
  type ConsoleFilter,
  type ConsoleStore,
  type ModelEventLog,
} from '../../store/index.js';
import { VERDICTS, type Verdict } from '../../store/types.js';
import type { ClientOf } from '../client-identity.js';
import type { Csrf } from '../middleware/csrf.js';
import { methodNotAllowed } from '../middleware/method-not-allowed.js';
import { formBody } from '../middleware/request-parsing.js';
import { renderPage } from '../render-page.js';
import { streamChunks } from '../stream-chunks.js';
import { csvHeader, csvRow } from './csv.js';
import { boundPrefixes, ignoredPrefixesNote } from './search-bounds.js';
import { LOGIN_WINDOW_MS, type ConsoleAccess, type Flash } from './session.js';
import {
  checkpointRows,
  EXCERPT_CHARS,
  eventRow,
  logRow,
  overviewModel,
  type ConsoleFrame,
  type LogFilterView,
} from './view-models.js';

export interface ConsoleDeps {
  learner: Learner;
  /** The operator's verbs (accept, reject, reject a client, roll back), shared with the admin API. */
  operator: Operator;
  store: { console: ConsoleStore; modelEvents: ModelEventLog };
  checkpoints: Pick<Checkpoints, 'list' | 'dir' | 'publish'>;
  journal: ModelJournal;
  access: ConsoleAccess;
  csrf: Csrf;
  clientOf: ClientOf;
  now: () => Date;
}

const PAGE_SIZE = 50;
/** Rows per step of an export: a step of ~120 KB of CSV holds the worker for a few milliseconds. */
const EXPORT_CHUNK = 100;
const CLIENT = /^[0-9a-f]{16}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const CLIENT_ORDERS: readonly ClientOrder[] = ['rows', 'held', 'rejected'];

/**
 * The operator's console, mounted at /admin when ADMIN_PASSWORD is set: sign-in, the overview with
 * its charts, the feedback log (filters, Accept/Reject, reject a client), clients, the model with
 * its checkpoints and rollback, and the CSV export. Every page needs a session; every form carries
 * a CSRF token; every action goes through the learner (so every process follows, within its poll
 * interval) and says which model version it left serving.
 */
export function consoleRoutes(deps: ConsoleDeps): Router {
  const { access, csrf } = deps;
  const router = Router();
  router.use(noStore);

  router
    .route('/login')
    .get(showLogin(deps))
    .post(formBody(), csrf.verify, signIn(deps))
    .all(methodNotAllowed('GET, HEAD, POST'));
  router.route('/logout').post(formBody(), csrf.verify, signOut(access)).all(methodNotAllowed('POST'));

  router.use(requireSession(access));

  router.route('/').get(showOverview(deps)).all(methodNotAllowed('GET, HEAD'));
  router.route('/feedback').get(showLog(deps)).all(methodNotAllowed('GET, HEAD'));
  for (const action of ['accept', 'reject'] as const) {
    router
      .route(`/feedback/:id/${action}`)
      .post(formBody(), csrf.verify, setRowVerdict(deps, action))
      .all(methodNotAllowed('POST'));
  }
  router.route('/clients').get(showClients(deps)).all(methodNotAllowed('GET, HEAD'));
  router
    .route('/clients/:client/reject')
    .get(confirmRejectClient(deps))
    .post(formBody(), csrf.verify, rejectClient(deps))
    .all(methodNotAllowed('GET, HEAD, POST'));
  router.route('/model').get(showModel(deps)).all(methodNotAllowed('GET, HEAD'));
  router
    .route('/model/rollback')
    .get(confirmRollback(deps))
    .post(formBody(), csrf.verify, rollback(deps))
    .all(methodNotAllowed('GET, HEAD, POST'));
  router.route('/export.csv').get(exportCsv(deps)).all(methodNotAllowed('GET, HEAD'));
  return router;
}

const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};

/** Where to go after signing in: a console page of this site, nothing else. */
function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/admin(?:[/?][^\s\\]*)?$/.test(value) && !value.includes('//')
    ? value
    : '/admin';
}

function requireSession(access: ConsoleAccess): RequestHandler {
  return async (req, res, next) => {
    if ((await access.sessionOf(req)) !== undefined) return next();
    const target = req.method === 'GET' || req.method === 'HEAD' ? `?next=${encodeURIComponent(req.originalUrl)}` : '';
    res.redirect(303, `/admin/login${target}`);
  };
}

function frame(deps: ConsoleDeps, req: Request, res: Response, section: ConsoleFrame['section']): ConsoleFrame {
  return {
    section,
    csrfToken: deps.csrf.issue(req, res),
    modelVersion: deps.learner.modelInfo().version,
    flash: deps.access.takeFlash(req, res),
  };
}

function showLogin({ access, csrf }: ConsoleDeps): RequestHandler {
  return async (req, res, next) => {
    const target = safeNext(req.query.next);
    if ((await access.sessionOf(req)) !== undefined) return res.redirect(303, target);
    const locals = {
      csrfToken: csrf.issue(req, res),
      next: target,
      ...(req.query['signed-out'] === '1' ? { notice: 'You are signed out.' } : {}),
    };
    renderPage(res, 'console/login', locals, next);
  };
}

function signIn({ access, csrf, clientOf }: ConsoleDeps): RequestHandler {
  return async (req, res, next) => {
    const body = req.body as Record<string, unknown>;
    const target = safeNext(body.next);
    const result = await access.signIn(req, res, body.password, clientOf(req));
    if (result.status === 'signed-in') return res.redirect(303, target);
    let error: string;
    if (result.status === 'too-many-failures') {
      res.status(429).setHeader('Retry-After', String(result.retryAfterSeconds));
      const minutes = Math.ceil(result.retryAfterSeconds / 60);
      error = `Too many wrong passwords from your address. Wait ${minutes} minute${minutes === 1 ? '' : 's'}, then try again.`;
    } else {
      res.status(401);
      error =
        result.triesLeft > 0
          ? `That password is not right. ${result.triesLeft} more ${result.triesLeft === 1 ? 'try' : 'tries'} before a ${LOGIN_WINDOW_MS / 60_000}-minute wait.`
          : `That password is not right, and that was the last try: wait ${LOGIN_WINDOW_MS / 60_000} minutes before the next.`;
    }
    renderPage(res, 'console/login', { csrfToken: csrf.issue(req, res), next: target, error }, next);
  };
}

function signOut(access: ConsoleAccess): RequestHandler {
  return async (req, res) => {
    await access.signOut(req, res);
    res.redirect(303, '/admin/login?signed-out=1');
  };
}

function showOverview(deps: ConsoleDeps): RequestHandler {
  return async (req, res, next) => {
    const view = await overviewModel(deps.store.console, await deps.store.modelEvents.list(200), deps.now());
    renderPage(res, 'console/overview', { ...frame(deps, req, res, 'overview'), ...view }, next);
  };
}

/** The log's filters from the query string, or what is wrong with them. */
function readLogQuery(query: Request['query']): {
  filter: ConsoleFilter;
  view: LogFilterView;
  before?: number;
  after?: number;
  errors: string[];
  notes: string[];
} {
  const errors: string[] = [];
  const one = (name: string): string => {
    const value = query[name];
    if (value === undefined) return '';
    if (typeof value !== 'string') {
      errors.push(`${name}: give it once`);
      return '';
    }
    return value.trim();
  };
  const view: LogFilterView = {
    verdict: one('verdict'),
    client: one('client'),
    label: one('label'),
    from: one('from'),
    to: one('to'),
    q: one('q'),
  };
  const filter: ConsoleFilter = {};
  if (view.verdict !== '') {
    if ((VERDICTS as readonly string[]).includes(view.verdict)) filter.verdict = view.verdict as Verdict;
    else errors.push(`verdict: choose one of ${VERDICTS.join(', ')}`);
  }
  if (view.client !== '') {
    if (CLIENT.test(view.client)) filter.client = view.client;
    else errors.push('client: a client id is 16 characters 0-9 and a-f, as the log shows them');
  }
  if (view.label !== '') {
    if (view.label === 'positive' || view.label === 'negative') filter.sentiment = view.label === 'positive' ? 1 : 0;
    else errors.push('label: choose positive or negative');
  }
  for (const [name, key] of [
    ['from', 'fromDay'],
    ['to', 'toDay'],
  ] as const) {
    const value = view[name];
    if (value === '') continue;
    if (DAY.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`))) filter[key] = value;
    else errors.push(`${name}: write the day as YYYY-MM-DD, e.g. 2026-04-01`);
  }
  const notes: string[] = [];
  if (view.q !== '') {
    const { terms: words, ignored } = boundPrefixes(searchTerms(view.q));
    const note = ignoredPrefixesNote(ignored);
    if (note !== null) notes.push(note);
    if (words.length === 0) errors.push('text: give at least one word (letters or digits)');
    else if (words.length > 10 || view.q.length > 200) errors.push('text: at most 10 words and 200 characters');
    else filter.words = words;
  }
  const position = (name: string): number | undefined => {
    const value = one(name);
    if (value === '') return undefined;
    if (/^\d{1,15}$/.test(value)) return Number(value);
    errors.push(`${name}: a log row id`);
    return undefined;
  };
  const before = position('before');
  const after = position('after');
  return {
    filter,
    view,
    errors,
    notes,
    ...(before === undefined ? {} : { before }),
    ...(after === undefined ? {} : { after }),
  };
}

function logHref(view: LogFilterView, extra: Record<string, string | number> = {}, path = '/admin/feedback'): string {
  const params = new URLSearchParams();
  // Every field of the view is a string (an interface has no index signature, so entries() cannot say so).
  for (const [name, value] of Object.entries(view) as [string, string][]) if (value !== '') params.set(name, value);
  for (const [name, value] of Object.entries(extra)) params.set(name, String(value));
  const query = params.toString();
  return query === '' ? path : `${path}?${query}`;
}

function showLog(deps: ConsoleDeps): RequestHandler {
  return async (req, res, next) => {
    const { filter, view, before, after, errors, notes } = readLogQuery(req.query);
    const rows =
      errors.length > 0
        ? []
        : await deps.store.console.feedbackPage(filter, {
            limit: PAGE_SIZE + 1,
            excerptChars: EXCERPT_CHARS,
            ...(before === undefined ? {} : { before }),
            ...(after === undefined ? {} : { after }),
          });
    // One row more than a page says whether there is a page beyond it (older, or newer when paging up).
    const more = rows.length > PAGE_SIZE;
    const page =
      after !== undefined && before === undefined
        ? rows.slice(rows.length > PAGE_SIZE ? 1 : 0)
        : rows.slice(0, PAGE_SIZE);
    const paged = before !== undefined || after !== undefined;
    const newest = page[0]?.id;
    const oldest = page.at(-1)?.id;
    const olderExists = after !== undefined && before === undefined ? page.length > 0 : more;
    const newerExists = after !== undefined && before === undefined ? more : before !== undefined;
    if (errors.length > 0) res.status(400);
    renderPage(
      res,
      'console/feedback',
      {
        ...frame(deps, req, res, 'feedback'),
        filter: view,
        rows: page.map(logRow),
        back: req.originalUrl,
        newerHref: newerExists && newest !== undefined ? logHref(view, { after: newest }) : null,
        olderHref: olderExists && oldest !== undefined ? logHref(view, { before: oldest }) : null,
        newestHref: paged ? logHref(view) : null,
        exportHref: logHref(view, {}, '/admin/export.csv'),
        client: filter.client === undefined ? null : ((await deps.store.console.client(filter.client)) ?? null),
        searchNote: errors.length + notes.length > 0 ? [...errors, ...notes].join('; ') : null,
      },
      next,
    );
  };
}

/** Where an action sends the operator back to: the log page they were on, nothing else. */
function safeBack(value: unknown): string {
  return typeof value === 'string' && /^\/admin\/feedback(?:\?[^\s\\#]*)?$/.test(value) ? value : '/admin/feedback';
}

/**
 * Runs one of the operator's verbs and tells the operator, on the next page, what it did and which
 * model version now serves. A change the learner cannot rebuild for (no readable checkpoint from
 * before the rows) is refused before it is recorded: a 409 page says why. A rebuild that fails
 * after the change was recorded (one made meanwhile elsewhere) is said on the page.
 */
async function reportChange(
  deps: ConsoleDeps,
  req: Request,
  res: Response,
  what: string,
  run: () => Promise<VerdictChangeResult & { published?: boolean }>,
  /** Added to the message when the change published a model. */
  publishedNote = '',
): Promise<void> {
  let flash: Flash;
  try {
    const { verdict, changed, versionBefore, modelVersion, rebuiltFrom, published } = await run();
    const more = published === true ? publishedNote : '';
    flash =
      changed.length === 0
        ? {
            kind: 'done',
            text: `${what}: nothing to change (already ${verdict}). The model is still version ${modelVersion}.${more}`,
          }
        : {
            kind: 'done',
            text:
              `${what}: ${changed.length.toLocaleString('en')} row${changed.length === 1 ? '' : 's'} now ${verdict}. ` +
              `Model version ${versionBefore} → ${modelVersion}` +
              (rebuiltFrom !== null ? ` (rebuilt from ${basename(rebuiltFrom)})` : '') +
              '. Other server processes follow within their poll interval.' +
              more,
          };
  } catch (error) {
    if (error instanceof NoSuchRowError) {
      flash = { kind: 'problem', text: `There is no log row ${error.id}; nothing was changed.` };
      return deps.access.setFlash(req, res, flash);
    }
    if (error instanceof UnlearnableRowError) {
      const { id, sentiment } = error.row;
      flash = {
        kind: 'problem',
        text: `Row ${id} has the label ${JSON.stringify(sentiment)}, not positive or negative: the model cannot learn from it.`,
      };
      return deps.access.setFlash(req, res, flash);
    }
    // Refused before anything was recorded: the error page says which checkpoint is missing (409).
    if (error instanceof RebuildRefusedError || !(error instanceof MovieClassifierError)) throw error;
    // The store records the verdict before the learner rebuilds; only the rebuild failed.
    const reason = `${error.message.charAt(0).toUpperCase()}${error.message.slice(1)}`;
    flash = {
      kind: 'problem',
      text: `${what}: the verdict is recorded, but the model could not be rebuilt and still holds the rows. ${reason}`,
    };
  }
  deps.access.setFlash(req, res, flash);
}

function setRowVerdict(deps: ConsoleDeps, action: 'accept' | 'reject'): RequestHandler {
  const verdict = action === 'accept' ? 'accepted' : 'rejected';
  return async (req, res, next) => {
    const raw = String(req.params.id);
    if (!/^\d{1,15}$/.test(raw)) return next(createError(404, `There is no log row ${raw}.`));
    const id = Number(raw);
    const back = safeBack((req.body as Record<string, unknown>).back);
    await reportChange(deps, req, res, `Row ${id}`, () => deps.operator.setVerdict(id, verdict));
    res.redirect(303, back);
  };
}

function showClients(deps: ConsoleDeps): RequestHandler {
  return async (req, res, next) => {
    const asked = typeof req.query.order === 'string' ? req.query.order : 'rows';
    const order = (CLIENT_ORDERS as readonly string[]).includes(asked) ? (asked as ClientOrder) : 'rows';
    const clients = await deps.store.console.topClients(order, 50);
    renderPage(res, 'console/clients', { ...frame(deps, req, res, 'clients'), order, clients }, next);
  };
}

function clientParam(req: Request): string {
  const client = String(req.params.client);
  if (!CLIENT.test(client))
    throw createError(404, `There is no client ${client}: a client id is 16 characters 0-9 and a-f.`);
  return client;
}

function confirmRejectClient(deps: ConsoleDeps): RequestHandler {
  return async (req, res, next) => {
    const client = clientParam(req);
    const summary = await deps.store.console.client(client);
    if (summary === undefined) return next(createError(404, `Client ${client} has no rows in the log.`));
    renderPage(
      res,
      'console/confirm',
      {
        ...frame(deps, req, res, 'clients'),
        title: `Reject every row of client ${client}?`,
        explanation: [
          `This client sent ${summary.rows.toLocaleString('en')} rows: ${summary.accepted.toLocaleString('en')} accepted, ` +
            `${summary.held.toLocaleString('en')} held, ${summary.rejected.toLocaleString('en')} already rejected.`,
          summary.accepted > 0
            ? 'The model is rebuilt without the accepted ones, in this process now and in the others within their poll interval.'
            : 'The model holds none of them, so it does not change.',
          'You can accept rows again one by one from the feedback log.',
        ],
        action: `/admin/clients/${client}/reject`,
        fields: [],
        button: `Reject all ${summary.rows.toLocaleString('en')} rows`,
        cancelHref: `/admin/feedback?client=${client}`,
      },
      next,
    );
  };
}

function rejectClient(deps: ConsoleDeps): RequestHandler {
  return async (req, res) => {
    const client = clientParam(req);
    await reportChange(deps, req, res, `Client ${client}`, () => deps.operator.rejectClient(client));
    res.redirect(303, `/admin/feedback?client=${client}`);
  };
}

function showModel(deps: ConsoleDeps): RequestHandler {
  return async (req, res, next) => {
    const info = deps.learner.modelInfo();
    renderPage(
      res,
      'console/model',
      {
        ...frame(deps, req, res, 'model'),
        info,
        score: deps.learner.checkScore(),
        checkpoints: checkpointRows(await deps.checkpoints.list(), info),
        events: (await deps.store.modelEvents.list(100)).map(eventRow),
      },
      next,
    );
  };
}

async function findCheckpoint(deps: ConsoleDeps, name: unknown) {
  const found =
    typeof name === 'string' ? (await deps.checkpoints.list()).find((c) => basename(c.path) === name) : undefined;
  if (found === undefined) {
    throw createError(
      404,
      `There is no checkpoint ${JSON.stringify(name)} in ${deps.checkpoints.dir}. Pick one from the model page.`,
    );
  }
  return found;
}

function confirmRollback(deps: ConsoleDeps): RequestHandler {
  return async (req, res, next) => {
    const checkpoint = await findCheckpoint(deps, req.query.checkpoint);
    const name = basename(checkpoint.path);
    const count = await deps.store.console.acceptedCountAfter(checkpoint.watermark);
    renderPage(
      res,
      'console/confirm',
      {
        ...frame(deps, req, res, 'model'),
        title: `Roll the model back to ${name}?`,
        explanation: [
          `This checkpoint holds the log through row ${checkpoint.watermark.toLocaleString('en')}. ` +
            `Rolling back rejects the ${count.toLocaleString('en')} accepted rows after it, so the model is rebuilt from this checkpoint without them ` +
            '(every process follows within its poll interval).',
          'Held rows stay held. Later decisions on older rows are kept. You can accept rejected rows again one by one from the feedback log.',
          count > 100_000
            ? `Changing ${count.toLocaleString('en')} rows takes a while (about 4 s per 100,000 here, then the model is rebuilt); this server process answers nothing else meanwhile.`
            : '',
        ].filter((line) => line !== ''),
        action: '/admin/model/rollback',
        fields: [{ name: 'checkpoint', value: name }],
        button:
          count === 0 ? 'Roll back (nothing to reject)' : `Reject ${count.toLocaleString('en')} rows and roll back`,
        cancelHref: '/admin/model',
      },
      next,
    );
  };
}

function rollback(deps: ConsoleDeps): RequestHandler {
  return async (req, res) => {
    const checkpoint = await findCheckpoint(deps, (req.body as Record<string, unknown>).checkpoint);
    const name = basename(checkpoint.path);
    await reportChange(
      deps,
      req,
      res,
      `Rollback to ${name}`,
      () => deps.operator.rollBack(checkpoint),
      ` ${name} is now the published model: every instance loads it, and new ones start from it.`,
    );
    res.redirect(303, '/admin/model');
  };
}

/**
 * The log as CSV, streamed: rows are read a chunk at a time (each chunk whole, so the database
 * connection is free while this waits) and written with backpressure, so a million-row export
 * holds one chunk in memory, and stops when the client goes away. Each chunk is followed by a turn
 * of the event loop, so the worker answers other requests while an export streams.
 */
function exportCsv(deps: ConsoleDeps): RequestHandler {
  return async (req, res, next) => {
    const { filter, errors } = readLogQuery(req.query);
    if (errors.length > 0) return next(createError(400, errors.join('; ')));
    const day = deps.now().toISOString().slice(0, 10);
    res.status(200);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="movieclassifier-feedback-${day}.csv"`);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.write(csvHeader());
    if (
      await streamChunks(res, deps.store.console.exportChunks(filter, EXPORT_CHUNK), (rows) =>
        rows.map(csvRow).join(''),
      )
    )
      res.end();
  };
}
