import { InvalidInputError } from '../errors.js';
import { isLabel } from '../model/types.js';
import { reasonWords } from './reasons.js';
import { phraseText, similarity } from './fingerprint.js';
import { clientWindowStart } from './client-window.js';
import type { LogHistory, VerdictDecision, VerdictRule, WriteCandidate } from '../store/types.js';

/** Reviews shorter than this (trimmed) are refused by the form and the API before any rule. */
export const MIN_REVIEW_LENGTH = 15;

/** The moderation settings (each a documented environment variable; see src/config.ts). */
export interface ModerationSettings {
  /** Fewest words a review needs to be learned from. @default 4 */
  minWords: number;
  /** Estimated Jaccard similarity of word 3-shingles at or above which a row repeats an earlier one. @default 0.7 */
  nearDuplicateSimilarity: number;
  /** Accepted rows per client per 24 hours; the rest are held. 0: no limit. @default 30 */
  clientRowsPerDay: number;
  /**
   * Accepted "Incorrect" answers (the reader says the model was wrong) per client per 24 hours;
   * the rest are held. 0: no limit. @default 5
   */
  clientCorrectionsPerDay: number;
  /**
   * How far accepted feedback may push any phrase (word 3-shingle) toward one label more than
   * toward the other in 24 hours, from all clients together, in confident corrections' worth
   * (a row pushes by 1 - the predicted probability of its label; see WriteCandidate.push); a row
   * that would push it further is held. 0: no budget. @default PHRASE_BUDGET_DEFAULT
   */
  phraseCorrectionsPerDay: number;
}

/**
 * The phrase budget's default, in confident corrections' worth: the smallest that binds (below 7
 * the noise term below decides, since one-sided corrections are held from net 6.25). Measured
 * with `npm run moderation:bars` on the shipped model (online step 0.5): the target sentence
 * falls to 0.9351 after 7 accepted corrections, 0.9146 after 8 and 0.8872 after 9.
 */
export const PHRASE_BUDGET_DEFAULT = 7;

export const DEFAULT_MODERATION: ModerationSettings = {
  minWords: 4,
  nearDuplicateSimilarity: 0.7,
  clientRowsPerDay: 30,
  clientCorrectionsPerDay: 5,
  phraseCorrectionsPerDay: PHRASE_BUDGET_DEFAULT,
};

/**
 * How many standard deviations of an even split a phrase's net push must reach before the budget
 * holds: n pushes p_i that go either way at random sum to about sqrt(sum p_i^2) (sqrt(n) for
 * corrections), so a phrase honest readers push both ways does not trip the budget, however
 * common. Measured with
 * `npm run evaluate -- --feedback-loop --seed 1` (472 truthful corrections in one day): 2 held 16
 * of them (gain +0.40 points instead of +0.60), 2.5 held 3 (+0.56), both counting corrections
 * only; weighing all 5,000 answers as phrasePush does, 2.5 holds 43 (+0.52). Not 3: corrections all one
 * way are held from net >= max(budget, 2.5² = 6.25), and at 3 that floor would be 9, which
 * already takes the bars' target sentence below 0.9.
 */
const PHRASE_NOISE_SIGMAS = 2.5;

/**
 * The moderation rule: a verdict for a new log row from the row and the rows before it, decided
 * once when it is written, so replay, every process and `npm run update` agree by reading it.
 * In order:
 * 1. a sentiment that is not 0 or 1 -> rejected;
 * 2. fewer than `minWords` words (after normalization: 15 NULs or zero-width spaces have none) -> rejected;
 * 3. the same normalized text as an earlier row (case, spacing, punctuation, repeated characters,
 *    digits ignored) -> rejected: a review counts once;
 * 4. a MinHash similarity >= `nearDuplicateSimilarity` to an earlier row -> rejected, likewise;
 * 5. the client already has `clientRowsPerDay` accepted rows in the 24 hours before -> held;
 * 6. the answer says the model was wrong and the client already has `clientCorrectionsPerDay`
 *    accepted corrections in the 24 hours before -> held;
 * 7. the row answers a prediction, labelled L, and some phrase (word 3-shingle) of the review
 *    already has, among the accepted answers of the 24 hours before, a push toward L that exceeds
 *    its push toward the other label by `net` >= max(`phraseCorrectionsPerDay`, 2.5·sqrt(sum of
 *    the squared pushes)) -> held. An answer pushes a phrase by the larger of 1 - the predicted
 *    probability of its label (a confident prediction corrected: ~1; an unsure one: ~0.5) and a
 *    quarter of how far it goes against the phrase's counted lean (see phrasePush in
 *    src/store/rows.ts and moderation/phrase-leans.ts).
 * Rules 5 and 6 bound what one client can teach in a day: a reader who answers honestly is
 * rarely told the model was wrong (it is right ~91% of the time), while turning a confident
 * prediction around takes dozens of corrections. Rows without a client (imports) skip them.
 * Rule 7 bounds what all clients together can teach about one phrase in a day: forty /64s, or
 * two hundred addresses in as many networks, each sending a few corrections of one sentence
 * wrapped in different words, each pass rules 3 to 6; they all share that sentence's phrases.
 * It weighs every answer, not only corrections: wrapped in words that make the model unsure the
 * other way, a sentence is taught as well by "Correct" answers (rule 6 counts none of them).
 *
 * @example
 *   const store = openStore('data/reviews.sqlite', { verdictRule: moderationRule(DEFAULT_MODERATION) });
 */
export function moderationRule(settings: ModerationSettings): VerdictRule {
  assertSettings(settings);
  const rule = (row: WriteCandidate, history: LogHistory): VerdictDecision => {
    if (!isLabel(row.sentiment)) return { verdict: 'rejected', reason: reasonWords.notALabel() };
    const { fingerprint } = row;
    if (fingerprint.words < settings.minWords) {
      return { verdict: 'rejected', reason: reasonWords.tooFewWords(fingerprint.words, settings.minWords) };
    }
    const same = history.firstWithNormalizedHash(fingerprint.normalizedHash);
    if (same !== null) return { verdict: 'rejected', reason: reasonWords.repeat(same) };
    for (const earlier of history.sharingBands(fingerprint.bandKeys)) {
      const score = similarity(fingerprint.signature, earlier.signature);
      if (score >= settings.nearDuplicateSimilarity) {
        return { verdict: 'rejected', reason: reasonWords.nearDuplicate(earlier.id, score) };
      }
    }
    const corrections = settings.clientCorrectionsPerDay;
    // The log is asked only when a cap could hold this row: with the caps off the count is never
    // read, and it costs a pass over the client's accepted rows of the day, which only a cap bounds
    // (a soak with the caps off spent a third of its CPU there, slower with every row).
    const capped = settings.clientRowsPerDay > 0 || (row.correction === true && corrections > 0);
    if (row.client !== null && capped) {
      // A row whose date is not a time (only a caller's mistake) counts every earlier row.
      const since = clientWindowStart(row.date);
      const recent = history.acceptedFromClientSince(row.client, since);
      if (settings.clientRowsPerDay > 0 && recent.rows >= settings.clientRowsPerDay) {
        return { verdict: 'held', reason: reasonWords.clientRows(settings.clientRowsPerDay) };
      }
      if (row.correction === true && corrections > 0 && recent.corrections >= corrections) {
        return { verdict: 'held', reason: reasonWords.clientCorrections(settings.clientCorrectionsPerDay) };
      }
    }
    if (row.push !== null && settings.phraseCorrectionsPerDay > 0) {
      const spent = overspentPhrase(row, history, settings.phraseCorrectionsPerDay);
      if (spent !== null) return { verdict: 'held', reason: spent };
    }
    return { verdict: 'accepted', reason: null };
  };
  return Object.assign(rule, { asksPhrases: settings.phraseCorrectionsPerDay > 0 });
}

/** Rule 7: the reason words for the first phrase of the row that is over its budget, or null. */
function overspentPhrase(row: WriteCandidate, history: LogHistory, perDay: number): string | null {
  const { phraseKeys } = row.fingerprint;
  if (phraseKeys.length === 0 || !isLabel(row.sentiment)) return null;
  const toPositive = row.sentiment === 1;
  for (const pushed of history.feedbackWithPhrasesSince(phraseKeys, clientWindowStart(row.date))) {
    const toward = toPositive ? pushed.toPositive : pushed.toNegative;
    const away = toPositive ? pushed.toNegative : pushed.toPositive;
    const net = toward - away;
    if (net >= Math.max(perDay, PHRASE_NOISE_SIGMAS * Math.sqrt(pushed.squares))) {
      const words = phraseText(row.review, pushed.phrase) ?? `#${pushed.phrase}`;
      return reasonWords.phraseCorrections(words, toPositive ? 'positive' : 'negative', net, perDay);
    }
  }
  return null;
}

function assertSettings(settings: ModerationSettings): void {
  const { minWords, nearDuplicateSimilarity, clientRowsPerDay, clientCorrectionsPerDay, phraseCorrectionsPerDay } =
    settings;
  const counts = { minWords, clientRowsPerDay, clientCorrectionsPerDay, phraseCorrectionsPerDay };
  for (const [name, value] of Object.entries(counts)) {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new InvalidInputError(`${name} must be a whole number >= 0; got ${value}`);
  }
  if (!(nearDuplicateSimilarity > 0 && nearDuplicateSimilarity <= 1)) {
    throw new InvalidInputError(`nearDuplicateSimilarity must be in (0, 1]; got ${nearDuplicateSimilarity}`);
  }
}
