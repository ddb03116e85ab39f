import { createHash } from 'node:crypto';

import type { BulkRow } from './bulk-load-sqlite.js';

/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same log. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Words a movie review is made of, commonest first (they are drawn with Zipf-like weights). */
const COMMON = (
  'the a and of to is in it this that film movie was as with for but on not his her are have be one all at by an who ' +
  'so from like just about more out has what when some very there good story can no only time even would really see ' +
  'much well great first had other also characters been most bad my character plot two acting well made best too way ' +
  'people life think love could scenes make never show better little end still director scene man real watch thing ' +
  'funny look series actors though old work years new nothing performance role music original horror beautiful ' +
  'boring dull brilliant wonderful terrible awful excellent script ending cast comedy drama fun classic worst moving'
).split(' ');

const SYLLABLES =
  'ka lo mi ren tu sa vel dor pi qua ne zo bri fen gal hu ith jor lum nav os pel rho sti tam ur vix wen yal zed'.split(
    ' ',
  );

/** Options of {@link generateLog}. */
export interface LogShape {
  rows: number;
  days: number;
  /** End of the log (the newest row's time). */
  end: Date;
  seed: number;
  /** Distinct readers (besides the one heavy client). */
  clients: number;
}

/** The heavy client of the generated log: 3% of the rows, answered Incorrect, mostly held. */
export const HEAVY_CLIENT = clientId(-1);

/** A client id as the app makes them: 16 hex characters. */
export function clientId(k: number): string {
  return createHash('sha256').update(`bench client ${k}`).digest('hex').slice(0, 16);
}

/** A word found in very few reviews of the generated log (each review ends with one such word). */
export function rareWord(k: number): string {
  const a = SYLLABLES[k % SYLLABLES.length];
  const b = SYLLABLES[Math.floor(k / SYLLABLES.length) % SYLLABLES.length];
  const c = SYLLABLES[Math.floor(k / SYLLABLES.length ** 2) % SYLLABLES.length];
  return `${a}${b}${c}x${k % 97}`;
}

/**
 * A feedback log shaped like a busy site's: reviews of 700-1,500 characters built from a Zipf-like
 * vocabulary, more answers by day than by night and more each week, tens of thousands of readers
 * of whom a few answer a lot, one heavy client whose answers are held, readers who say "Correct"
 * ~87% of the time at the start and ~91% at the end. Rows come out in time order, as they are
 * written.
 */
export function* generateLog(shape: LogShape): Generator<BulkRow> {
  const rand = random(shape.seed);
  // Sentences drawn once, then combined: the vocabulary of a million reviews without drawing 200M words.
  const zipf = (n: number, s: number) => Math.min(n - 1, Math.floor(n ** (rand() ** s)) - 1);
  const sentences: string[] = [];
  for (let k = 0; k < 20_000; k++) {
    const words: string[] = [];
    const length = 8 + Math.floor(rand() * 14);
    for (let w = 0; w < length; w++) {
      words.push(rand() < 0.85 ? COMMON[zipf(COMMON.length, 1.6)] : rareWord(Math.floor(rand() * 50_000)));
    }
    const text = words.join(' ');
    sentences.push(`${text[0].toUpperCase()}${text.slice(1)}.`);
  }

  const start = shape.end.getTime() - shape.days * 86_400_000;
  const span = shape.end.getTime() - start;
  // Times drawn from a density with a daily cycle and growth, then sorted: ids follow time.
  const times = new Float64Array(shape.rows);
  for (let k = 0; k < shape.rows;) {
    const t = rand();
    const hour = ((start + t * span) / 3_600_000) % 24;
    const density = (0.5 + t) * (1 + 0.6 * Math.sin(((hour - 9) / 24) * 2 * Math.PI));
    if (rand() * 2.4 < density) times[k++] = start + t * span;
  }
  times.sort();

  for (let k = 0; k < shape.rows; k++) {
    const progress = k / shape.rows;
    let review = '';
    const target = 700 + Math.floor(rand() * 800);
    while (review.length < target) review += `${sentences[Math.floor(rand() * sentences.length)]} `;
    review += rareWord(50_000 + Math.floor(rand() * 500_000));
    const heavy = rand() < 0.03;
    const client = heavy ? HEAVY_CLIENT : clientId(zipf(shape.clients, 1.15));
    const correct = heavy ? false : rand() < 0.87 + 0.04 * progress;
    const roll = rand();
    let verdict: BulkRow['verdict'] = 'accepted';
    let reason: string | null = null;
    if (heavy)
      [verdict, reason] =
        roll < 0.85
          ? ['held', 'client over 30 accepted rows in 24 hours']
          : ['rejected', 'near-duplicate of an earlier row (similarity 0.82)'];
    else if (roll < 0.02) [verdict, reason] = ['rejected', 'repeats an earlier row'];
    else if (roll < 0.035) [verdict, reason] = ['held', 'client over 5 accepted corrections in 24 hours'];
    yield {
      review,
      predicted: rand() < 0.5 ? 1 : 0,
      probability: 0.5 + rand() * 0.5,
      correct,
      date: new Date(times[k]).toISOString(),
      client,
      verdict,
      reason,
    };
  }
}
