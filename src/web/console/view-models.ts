import { basename } from 'node:path';

import nunjucks from 'nunjucks';

import type { CheckpointInfo } from '../../learner/checkpoints.js';
import type { CheckScore, ModelInfo } from '../../learner/index.js';
import type {
  ClientOrder,
  ClientSummary,
  ConsoleRow,
  ConsoleStore,
  FeedbackCount,
  ModelEvent,
} from '../../store/index.js';
import { isLabel } from '../../model/types.js';
import type { Verdict } from '../../store/types.js';
import { barChart, shareChart, timelineChart, type Series } from './charts.js';
import type { Flash } from './session.js';

type Html = nunjucks.runtime.SafeString;
const html = (markup: string): Html => new nunjucks.runtime.SafeString(markup);

/** What every console page shows around its content. */
export interface ConsoleFrame {
  section: 'overview' | 'feedback' | 'clients' | 'model';
  csrfToken: string;
  modelVersion: string;
  flash: Flash | undefined;
}

export interface Tile {
  label: string;
  value: string;
  note: string;
  href?: string;
  qa: string;
}

export interface AccuracyDay {
  day: string;
  correct: number;
  incorrect: number;
  share: string;
}

export interface EventRow {
  at: string;
  kind: string;
  modelVersion: string;
  accuracy: string;
  detail: string;
}

export interface LogRow {
  id: number;
  excerpt: string;
  truncated: boolean;
  label: string;
  predicted: string;
  probability: string;
  answer: string;
  client: string | null;
  verdict: Verdict;
  reason: string | null;
  date: string;
  canAccept: boolean;
}

export interface LogFilterView {
  verdict: string;
  client: string;
  label: string;
  from: string;
  to: string;
  q: string;
}

export interface CheckpointRow {
  name: string;
  watermark: number;
  verdictChanges: number;
  size: string;
  keptAt: string;
  current: boolean;
}

/** What each console template reads; merged into PageLocals (src/web/view-models.ts). */
export interface ConsolePageLocals {
  'console/login': { csrfToken: string; next: string; error?: string; notice?: string };
  'console/overview': ConsoleFrame & {
    tiles: Tile[];
    charts: { hourly: Html; daily: Html; accuracy: Html; labels: Html; verdicts: Html; timeline: Html };
    accuracyDays: AccuracyDay[];
    accuracyNote: string;
    labelNote: string;
    events: EventRow[];
    generatedAt: string;
  };
  'console/feedback': ConsoleFrame & {
    filter: LogFilterView;
    rows: LogRow[];
    back: string;
    newerHref: string | null;
    olderHref: string | null;
    newestHref: string | null;
    exportHref: string;
    client: ClientSummary | null;
    searchNote: string | null;
  };
  'console/clients': ConsoleFrame & { order: ClientOrder; clients: ClientSummary[] };
  'console/confirm': ConsoleFrame & {
    title: string;
    explanation: string[];
    action: string;
    fields: { name: string; value: string }[];
    button: string;
    cancelHref: string;
  };
  'console/model': ConsoleFrame & {
    info: ModelInfo;
    score: CheckScore;
    checkpoints: CheckpointRow[];
    events: EventRow[];
  };
}

export const CONSOLE_PAGES = [
  'console/login.njk',
  'console/overview.njk',
  'console/feedback.njk',
  'console/clients.njk',
  'console/confirm.njk',
  'console/model.njk',
] as const;

const HOURS_SHOWN = 48;
const DAYS_SHOWN = 30;
const ACCURACY_DAYS_LISTED = 14;

const hourKey = (date: Date): string => date.toISOString().slice(0, 13);
const dayKey = (date: Date): string => date.toISOString().slice(0, 10);

/** The last `n` hours (or days) up to and including the one `now` is in, oldest first. */
function periods(now: Date, n: number, by: 'hour' | 'day'): string[] {
  const out: string[] = [];
  const unit = by === 'hour' ? 3600_000 : 86_400_000;
  for (let k = n - 1; k >= 0; k--) {
    const at = new Date(now.getTime() - k * unit);
    out.push(by === 'hour' ? hourKey(at) : dayKey(at));
  }
  return out;
}

const count = (n: number): string => n.toLocaleString('en');
const percentOf = (part: number, whole: number): string =>
  whole === 0 ? '–' : `${((100 * part) / whole).toFixed(1)}%`;

/** Sums cells by period with `pick` saying which cells (and into which series) count. */
function tally(
  cells: FeedbackCount[],
  categories: string[],
  pick: (cell: FeedbackCount) => number | null,
  seriesCount: number,
): number[][] {
  const index = new Map(categories.map((c, i) => [c, i]));
  const out = Array.from({ length: seriesCount }, () => new Array<number>(categories.length).fill(0));
  for (const cell of cells) {
    const i = index.get(cell.period);
    const k = pick(cell);
    if (i !== undefined && k !== null) out[k][i] += cell.n;
  }
  return out;
}

const VERDICT_SERIES: Verdict[] = ['accepted', 'held', 'rejected'];

export const EVENT_KINDS: Series[] = [
  { name: 'trained', className: 'chart-fill--trained', values: [] },
  { name: 'update', className: 'chart-fill--update', values: [] },
  { name: 'reload', className: 'chart-fill--reload', values: [] },
  { name: 'rebuild', className: 'chart-fill--rebuild', values: [] },
];

export function eventRow(event: ModelEvent): EventRow {
  return {
    at: event.at.replace('T', ' ').slice(0, 19),
    kind: event.kind,
    modelVersion: event.modelVersion,
    accuracy:
      event.checkAccuracy === null ? '–' : `${(event.checkAccuracy * 100).toFixed(2)}% of ${count(event.checkSize)}`,
    detail: event.detail ?? '',
  };
}

/**
 * The overview: activity per hour and per day, readers' verdicts on the model, what was learned,
 * the moderation verdicts, and the model's timeline. Everything comes from the hourly summaries
 * and model_events, so it costs the same with ten rows or ten million.
 */
export async function overviewModel(
  store: Pick<ConsoleStore, 'feedbackCounts' | 'feedbackTotals' | 'predictionCounts'>,
  events: ModelEvent[],
  now: Date,
): Promise<Omit<ConsolePageLocals['console/overview'], keyof ConsoleFrame>> {
  const hours = periods(now, HOURS_SHOWN, 'hour');
  const days = periods(now, DAYS_SHOWN, 'day');
  const endHour = hourKey(new Date(now.getTime() + 3600_000));
  const [hourCells, dayCells, hourPredictions, dayPredictions, totals] = await Promise.all([
    store.feedbackCounts({ fromHour: hours[0], toHour: endHour, by: 'hour' }),
    store.feedbackCounts({ fromHour: `${days[0]}T00`, toHour: endHour, by: 'day' }),
    store.predictionCounts({ fromHour: hours[0], toHour: endHour, by: 'hour' }),
    store.predictionCounts({ fromHour: `${days[0]}T00`, toHour: endHour, by: 'day' }),
    store.feedbackTotals(),
  ]);

  const byPeriod = (rows: { period: string; n: number }[], categories: string[]) => {
    const map = new Map(rows.map((r) => [r.period, r.n]));
    return categories.map((c) => map.get(c) ?? 0);
  };
  const predictionsPerHour = byPeriod(hourPredictions, hours);
  const predictionsPerDay = byPeriod(dayPredictions, days);
  const [feedbackPerHour] = tally(hourCells, hours, () => 0, 1);
  const [feedbackPerDay] = tally(dayCells, days, () => 0, 1);
  // Readers' verdicts on the model: answers not rejected (rejected ones are repeats, too short, or an operator's call).
  const [correct, incorrect] = tally(
    dayCells,
    days,
    (c) => (c.verdict === 'rejected' || c.correction < 0 ? null : c.correction),
    2,
  );
  const [negative, positive] = tally(dayCells, days, (c) => (c.sentiment < 0 ? null : c.sentiment), 2);
  const verdicts = tally(dayCells, days, (c) => VERDICT_SERIES.indexOf(c.verdict), 3);

  const hourLabel = (h: string) => `${h.slice(11, 13)}h`;
  const dayLabel = (d: string) => d.slice(5);
  const hourTitle = (h: string) => `${h.replace('T', ' ')}:00 UTC`;
  const share = days.map((_, i) => {
    const answers = correct[i] + incorrect[i];
    return answers === 0 ? null : correct[i] / answers;
  });

  const sum = (pick: (c: FeedbackCount) => boolean) => totals.filter(pick).reduce((n, c) => n + c.n, 0);
  const all = sum(() => true);
  const held = sum((c) => c.verdict === 'held');
  const acceptedPositive = sum((c) => c.verdict === 'accepted' && c.sentiment === 1);
  const accepted = sum((c) => c.verdict === 'accepted');
  const allPositive = sum((c) => c.sentiment === 1);
  const week = days.slice(-7);
  const weekIndex = week.map((d) => days.indexOf(d));
  const weekCorrect = weekIndex.reduce((n, i) => n + correct[i], 0);
  const weekAnswers = weekIndex.reduce((n, i) => n + correct[i] + incorrect[i], 0);
  const dayPredictionsToday = predictionsPerHour.slice(-24).reduce((a, b) => a + b, 0);
  const latest = events[0];

  return {
    tiles: [
      {
        label: 'Feedback rows',
        value: count(all),
        note: `${count(feedbackPerDay.at(-1) ?? 0)} today (UTC)`,
        href: '/admin/feedback',
        qa: 'tile-feedback',
      },
      {
        label: 'Held, waiting for you',
        value: count(held),
        note: 'accept or reject them',
        href: '/admin/feedback?verdict=held',
        qa: 'tile-held',
      },
      {
        label: 'Predictions, last 24 hours',
        value: count(dayPredictionsToday),
        note: `${count(feedbackPerHour.slice(-24).reduce((a, b) => a + b, 0))} answered`,
        qa: 'tile-predictions',
      },
      {
        label: 'Readers say correct, last 7 days',
        value: percentOf(weekCorrect, weekAnswers),
        note: `${count(weekCorrect)} of ${count(weekAnswers)} answers`,
        qa: 'tile-accuracy',
      },
      {
        label: 'Check-set accuracy',
        value: latest?.checkAccuracy == null ? '–' : `${(latest.checkAccuracy * 100).toFixed(2)}%`,
        note: latest === undefined ? 'no model events yet' : `after the last ${latest.kind}`,
        href: '/admin/model',
        qa: 'tile-check',
      },
    ],
    charts: {
      hourly: html(
        barChart({
          title: `Predictions and feedback per hour, last ${HOURS_SHOWN} hours (UTC)`,
          categories: hours,
          series: [
            { name: 'predictions', className: 'chart-fill--predictions', values: predictionsPerHour },
            { name: 'feedback', className: 'chart-fill--feedback', values: feedbackPerHour },
          ],
          layout: 'overlaid',
          label: hourLabel,
          labelEvery: 6,
          describe: (h, i) =>
            `${hourTitle(h)}: ${count(predictionsPerHour[i])} predictions, ${count(feedbackPerHour[i])} feedback`,
        }),
      ),
      daily: html(
        barChart({
          title: `Predictions and feedback per day, last ${DAYS_SHOWN} days (UTC)`,
          categories: days,
          series: [
            { name: 'predictions', className: 'chart-fill--predictions', values: predictionsPerDay },
            { name: 'feedback', className: 'chart-fill--feedback', values: feedbackPerDay },
          ],
          layout: 'overlaid',
          label: dayLabel,
          labelEvery: 5,
          describe: (d, i) => `${d}: ${count(predictionsPerDay[i])} predictions, ${count(feedbackPerDay[i])} feedback`,
        }),
      ),
      accuracy: html(
        shareChart({
          title: `Share of answers saying the prediction was correct, per day, last ${DAYS_SHOWN} days`,
          categories: days,
          values: share,
          label: dayLabel,
          labelEvery: 5,
          describe: (d, i) =>
            `${d}: ${percentOf(correct[i], correct[i] + incorrect[i])} correct (${count(correct[i])} of ${count(correct[i] + incorrect[i])})`,
        }),
      ),
      labels: html(
        barChart({
          title: `Labels of the feedback per day, last ${DAYS_SHOWN} days`,
          categories: days,
          series: [
            { name: 'positive', className: 'chart-fill--positive', values: positive },
            { name: 'negative', className: 'chart-fill--negative', values: negative },
          ],
          layout: 'stacked',
          label: dayLabel,
          labelEvery: 5,
          describe: (d, i) =>
            `${d}: ${count(positive[i])} positive, ${count(negative[i])} negative (${percentOf(positive[i], positive[i] + negative[i])} positive)`,
        }),
      ),
      verdicts: html(
        barChart({
          title: `Moderation verdicts per day, last ${DAYS_SHOWN} days`,
          categories: days,
          series: VERDICT_SERIES.map((v, k) => ({ name: v, className: `chart-fill--${v}`, values: verdicts[k] })),
          layout: 'stacked',
          label: dayLabel,
          labelEvery: 5,
          describe: (d, i) => `${d}: ${VERDICT_SERIES.map((v, k) => `${count(verdicts[k][i])} ${v}`).join(', ')}`,
        }),
      ),
      timeline: html(
        timelineChart(
          'The model over time: check-set accuracy after each event',
          events.map((e) => ({
            at: e.at,
            accuracy: e.checkAccuracy,
            kind: e.kind,
            describe: `${e.at.slice(0, 16).replace('T', ' ')} ${e.kind}: ${eventRow(e).accuracy}. ${e.detail ?? ''}`,
          })),
          EVENT_KINDS,
        ),
      ),
    },
    accuracyDays: days
      .map((day, i) => ({
        day,
        correct: correct[i],
        incorrect: incorrect[i],
        share: percentOf(correct[i], correct[i] + incorrect[i]),
      }))
      .slice(-ACCURACY_DAYS_LISTED)
      .reverse(),
    accuracyNote: 'Answers rejected by moderation (repeats, too short, an operator’s call) are left out.',
    labelNote:
      `All time: ${percentOf(allPositive, all)} of ${count(all)} answers are positive; ` +
      `of the ${count(accepted)} the model learned from, ${percentOf(acceptedPositive, accepted)}.`,
    events: events.slice(0, 8).map(eventRow),
    generatedAt: now.toISOString().replace('T', ' ').slice(0, 19),
  };
}

const EXCERPT_CHARS = 160;
export { EXCERPT_CHARS };

/** A log row for the table: labels in words, the reader's answer, the prediction if still stored. */
export function logRow(row: ConsoleRow): LogRow {
  const labelName = (n: unknown) => (n === 1 ? 'positive' : n === 0 ? 'negative' : JSON.stringify(n));
  // The prediction is implied by the label and the answer even when the predictions row is gone.
  const predicted =
    row.predicted !== null
      ? labelName(row.predicted)
      : row.correction === null
        ? '–'
        : labelName(row.correction === 1 ? 1 - Number(row.sentiment) : row.sentiment);
  return {
    id: row.id,
    excerpt: row.excerpt,
    truncated: row.length > row.excerpt.length,
    label: labelName(row.sentiment),
    predicted,
    probability: row.probability === null ? '' : `${Math.round(row.probability * 100)}%`,
    answer: row.correction === null ? 'no answer (import)' : row.correction === 1 ? 'Incorrect' : 'Correct',
    client: row.client,
    verdict: row.verdict,
    reason: row.reason,
    date: row.date.replace('T', ' ').slice(0, 19),
    canAccept: isLabel(row.sentiment),
  };
}

export function checkpointRows(checkpoints: CheckpointInfo[], info: ModelInfo): CheckpointRow[] {
  return checkpoints.map((c) => ({
    name: basename(c.path),
    watermark: c.watermark,
    verdictChanges: c.verdictChangesThrough,
    size: `${(c.bytes / 1e6).toFixed(1)} MB`,
    keptAt: c.keptAt === null ? '' : c.keptAt.toISOString().replace('T', ' ').slice(0, 19),
    current: info.rebuiltFrom === c.path,
  }));
}
