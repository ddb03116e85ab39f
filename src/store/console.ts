import type { Label } from '../model/types.js';
import type { Awaitable, FeedbackListRow, Verdict } from './types.js';

/** Which rows of the log the console shows or exports; every filter optional, all must hold. */
export interface ConsoleFilter {
  verdict?: Verdict;
  client?: string;
  sentiment?: Label;
  /** First day shown, 'YYYY-MM-DD' (UTC), inclusive. */
  fromDay?: string;
  /** Last day shown, 'YYYY-MM-DD' (UTC), inclusive. */
  toDay?: string;
  /**
   * Words the text must hold, all of them, ignoring case and accents; one ending in `*` is the
   * start of a word. In the form {@link searchTerms} gives.
   */
  words?: string[];
}

/** A log row as the console's feedback page shows it. */
export interface ConsoleRow extends Omit<FeedbackListRow, 'review'> {
  /** The first `excerptChars` characters of the review. */
  excerpt: string;
  /** Length of the whole review, in characters. */
  length: number;
  /** 0: the reader said Correct; 1: Incorrect; null: no answer (imports). */
  correction: number | null;
  /** The predicted label and its probability, when the prediction is still stored. */
  predicted: Label | null;
  probability: number | null;
}

/** A row of the CSV export, in its column order. */
export interface ExportRow {
  id: number;
  review: string;
  sentiment: unknown;
  date: string;
  verdict: Verdict;
  client: string | null;
}

/** review_db rows in one period, by verdict, label and answer (from feedback_hourly). */
export interface FeedbackCount {
  /** 'YYYY-MM-DDTHH' or 'YYYY-MM-DD'; '' for rows whose date is not a date. */
  period: string;
  verdict: Verdict;
  /** 0, 1, or -1 for a classic row with another label. */
  sentiment: number;
  /** 0 Correct, 1 Incorrect, -1 no answer. */
  correction: number;
  n: number;
}

export interface PeriodCount {
  period: string;
  n: number;
}

export interface ClientSummary {
  client: string;
  rows: number;
  accepted: number;
  held: number;
  rejected: number;
  firstDate: string;
  lastDate: string;
}

export type ClientOrder = 'rows' | 'held' | 'rejected';

/** What {@link ConsoleStore.claimLoginTry} answers: go on and check the password, or wait. */
export type LoginTry = { allowed: true; failuresBefore: number } | { allowed: false; oldest: string };

/**
 * What the operator's console reads (and the little it writes), over migration 6's tables: SQLite
 * answers at once, PostgreSQL later, so every result may be a promise and every caller awaits it.
 */
export interface ConsoleStore {
  /** review_db rows counted by period between two hours ('YYYY-MM-DDTHH', from inclusive, to exclusive). */
  feedbackCounts(range: { fromHour: string; toHour: string; by: 'hour' | 'day' }): Awaitable<FeedbackCount[]>;
  /** The same, over the whole log, in one period named 'all'. */
  feedbackTotals(): Awaitable<FeedbackCount[]>;
  /** Predictions made, by period, between two hours. */
  predictionCounts(range: { fromHour: string; toHour: string; by: 'hour' | 'day' }): Awaitable<PeriodCount[]>;
  /**
   * A page of the log matching `filter`, newest first: the rows below `before`, or the rows just
   * above `after` (the page before, in time), or the newest.
   */
  feedbackPage(filter: ConsoleFilter, page: ConsolePage): Awaitable<ConsoleRow[]>;
  /**
   * The log matching `filter` up to the row that is last now, oldest first, as arrays of at most
   * `chunk` rows. Each chunk is read whole before it is handed out, so no statement (or cursor)
   * stays open between two chunks and the caller may wait (for a socket to drain) between them
   * while the database keeps serving other requests.
   */
  exportChunks(filter: ConsoleFilter, chunk: number): Iterable<ExportRow[]> | AsyncIterable<ExportRow[]>;
  /** The clients with the most rows (or held, or rejected rows). */
  topClients(order: ClientOrder, limit: number): Awaitable<ClientSummary[]>;
  client(client: string): Awaitable<ClientSummary | undefined>;
  /** How many accepted rows come after a checkpoint's watermark (what a rollback would reject). */
  acceptedCountAfter(watermark: number): Awaitable<number>;
  /** Ids of the accepted rows after a watermark, oldest first. */
  acceptedIdsAfter(watermark: number): Awaitable<number[]>;
  /** The verdict changes after one id up to another: how many, and the reason of the last. */
  verdictChangesBetween(afterId: number, throughId: number): Awaitable<{ count: number; lastReason: string | null }>;
  /**
   * Adds up to `maxRows` rows, oldest first, to the full-text index, in one transaction.
   * Returns how many were added and the last id indexed.
   */
  indexText(maxRows: number): Awaitable<{ indexed: number; through: number }>;
  /** Failed console sign-ins from a client since a time (ISO-8601). */
  loginFailuresSince(client: string, since: string): Awaitable<{ count: number; oldest: string | null }>;
  recordLoginFailure(client: string, at: string): Awaitable<void>;
  /**
   * Counts a sign-in try against the client's failures since `since`, in one step no other try
   * (another request, another worker) can come between: with fewer than `max`, records this try as
   * a failure at `at` (cleared when the password turns out right) and answers how many there were
   * before it; with `max` or more, records nothing and answers when the oldest was.
   */
  claimLoginTry(client: string, at: string, since: string, max: number): Awaitable<LoginTry>;
  /** Forgets a client's failures (after it signs in, and those older than `before` for everyone). */
  clearLoginFailures(client: string | null, before?: string): Awaitable<void>;
  /** Remembers that a session was signed out, until it would have expired anyway (ISO-8601). */
  endSession(session: string, expiresAt: string): Awaitable<void>;
  isSessionEnded(session: string): Awaitable<boolean>;
}

/** Where a page of the log starts, and how much of each row it shows. */
export interface ConsolePage {
  before?: number;
  after?: number;
  limit: number;
  excerptChars: number;
}

export type ModelEventKind = 'trained' | 'update' | 'reload' | 'rebuild';

/** One change of the served model, for the console's timeline. */
export interface ModelEvent {
  id: number;
  /** Identifies the event across processes: every worker that sees it records the same key. */
  key: string;
  kind: ModelEventKind;
  /** ISO-8601. */
  at: string;
  modelVersion: string;
  watermark: number;
  verdictChanges: number;
  /** Accuracy on the model file's check set after the event, or null when it has none. */
  checkAccuracy: number | null;
  checkSize: number;
  detail: string | null;
}

/** The model's timeline (model_events). */
export interface ModelEventLog {
  /** Records an event unless one with its key is already there; true when this call added it. */
  record(event: Omit<ModelEvent, 'id'>): Awaitable<boolean>;
  has(key: string): Awaitable<boolean>;
  /** The newest events first. */
  list(limit: number): Awaitable<ModelEvent[]>;
}

/** ISO hour 'YYYY-MM-DDTHH' of a day 'YYYY-MM-DD' (its first hour). */
const firstHourOf = (day: string): string => `${day}T00`;
const LAST_DAY = '9999-12-31';

/**
 * The day after 'YYYY-MM-DD', in UTC; '9999-12-31' stays (the end every unbounded range uses):
 * the day after it is written '+010000-01-01', which sorts before every date of the log.
 */
export function nextDay(day: string): string {
  if (day >= LAST_DAY) return LAST_DAY;
  const date = new Date(`${day}T00:00:00.000Z`);
  date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString().slice(0, 10);
}

/**
 * The words of a text as the full-text index sees them (FTS5's unicode61 tokenizer with
 * remove_diacritics 2): letters and digits, lower-cased, accents dropped.
 */
export function indexWords(text: string): string[] {
  return (
    text
      .normalize('NFD')
      .replace(/\p{M}+/gu, '')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

/**
 * The search terms of an operator's text, in index form: its words, and `word*` for "a word
 * starting with this". Whole words are the default because the index streams a word's rows newest
 * first and stops after a page (0.1 ms), while a prefix merges the rows of every word it starts
 * first (~130 ms for a word in every review of a million).
 *
 * @example searchTerms('Café  film*') // -> ['cafe', 'film*']
 */
export function searchTerms(text: string): string[] {
  return (text.match(/[\p{L}\p{N}\p{M}]+\*?/gu) ?? []).flatMap((token) => {
    const prefix = token.endsWith('*');
    const words = indexWords(prefix ? token.slice(0, -1) : token);
    return prefix && words.length > 0 ? [...words.slice(0, -1), `${words.at(-1)}*`] : words;
  });
}

/**
 * Whether a review holds every search term (from {@link searchTerms}): the full-text index's rule,
 * for rows it does not hold yet, on SQLite and PostgreSQL alike.
 *
 * @example reviewHasWords('A Café scene.', ['cafe', 'sce*']) // -> true
 */
export function reviewHasWords(review: string, terms: readonly string[]): boolean {
  const words = new Set(indexWords(review));
  return terms.every((term) =>
    term.endsWith('*') ? [...words].some((word) => word.startsWith(term.slice(0, -1))) : words.has(term),
  );
}

export type Direction = 'newest' | 'oldest';

export interface Bounds {
  /** Rows with an id above this. */
  above: number;
  /** Rows with an id below this. */
  below: number;
}

/**
 * How a page of the log is read: the rows below `before` (or the newest) newest first; the page
 * just above `after` oldest first, then turned (`turn`) so it reads newest first like the others.
 */
export function pageWalk({ before, after }: Pick<ConsolePage, 'before' | 'after'>): {
  direction: Direction;
  bounds: Bounds;
  turn: boolean;
} {
  if (after !== undefined && before === undefined)
    return { direction: 'oldest', bounds: { above: after, below: Number.MAX_SAFE_INTEGER }, turn: true };
  return { direction: 'newest', bounds: { above: after ?? 0, below: before ?? Number.MAX_SAFE_INTEGER }, turn: false };
}

/**
 * A filter's days as the dates it keeps (`from` inclusive, `to` exclusive, ISO-8601 text) and the
 * hours of the summaries they span; undefined without a day filter.
 */
export function dayRange(
  filter: ConsoleFilter,
): { from: string; to: string; fromHour: string; toHour: string } | undefined {
  if (filter.fromDay === undefined && filter.toDay === undefined) return undefined;
  const from = filter.fromDay ?? '0000-01-01';
  const to = filter.toDay === undefined ? LAST_DAY : nextDay(filter.toDay);
  return { from, to, fromHour: firstHourOf(from), toHour: firstHourOf(to) };
}

/** The rows of an index walk and of the rows newer than the index, merged: every recent id is above every indexed one. */
export function mergeWalks<Row>(direction: Direction, indexed: Row[], recent: Row[], limit: number): Row[] {
  return (direction === 'newest' ? [...recent, ...indexed] : [...indexed, ...recent]).slice(0, limit);
}
