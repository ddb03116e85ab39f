/**
 * Why a log row got its verdict, as a code with its words. The rule and the operator's verbs
 * write the words into the log (`verdict_reason`); pages and API clients read the code, so that
 * nothing outside this module depends on how the words are put.
 */
export type ReasonCode =
  | 'not-a-label'
  | 'too-few-words'
  | 'repeat'
  | 'near-duplicate'
  | 'client-rows'
  | 'client-corrections'
  | 'phrase-corrections'
  | 'operator'
  | 'check-set'
  | 'other';

/** The words the rule and the operator's verbs store for each kind of reason. */
export const reasonWords = {
  notALabel: (): string => 'sentiment is not 0 or 1',
  tooFewWords: (words: number, needed: number): string => `${words} words; at least ${needed} are needed`,
  repeat: (rowId: number): string => `repeats row ${rowId}`,
  nearDuplicate: (rowId: number, similarity: number): string =>
    `near-duplicate of row ${rowId} (similarity ${similarity.toFixed(2)})`,
  clientRows: (perDay: number): string => `client over its ${perDay} rows a day`,
  clientCorrections: (perDay: number): string => `client over its ${perDay} corrections a day`,
  phraseCorrections: (phrase: string, label: 'negative' | 'positive', net: number, perDay: number): string =>
    `phrase "${phrase}" already pushed toward ${label} by ${net.toFixed(2)} corrections' worth more than back in 24 hours (budget ${perDay})`,
  byOperator: (verdict: string): string => `${verdict} by an operator`,
  clientByOperator: (client: string): string => `every row of client ${client} rejected by an operator`,
  rollback: (checkpoint: string): string => `rollback to checkpoint ${checkpoint} by an operator`,
} as const;

/** Each code and how its stored words start (the words above, and migration 4's `migrated: …`). */
const PATTERNS: ReadonlyArray<[ReasonCode, RegExp]> = [
  ['not-a-label', /^(migrated: )?sentiment is not 0 or 1$/],
  ['too-few-words', /^\d+ words; at least \d+ are needed$|^migrated: text too short$/],
  ['repeat', /^(migrated: )?repeats /],
  ['near-duplicate', /^near-duplicate of row /],
  ['client-rows', /^client over its \d+ rows a day$/],
  ['client-corrections', /^client over its \d+ corrections a day$/],
  [
    'phrase-corrections',
    // The second form: rows written before every answer was weighed (only corrections counted).
    /^phrase "[^"]*" already (pushed toward (negative|positive) by [\d.]+ corrections' worth|corrected to (negative|positive) \d+ times) more than back in 24 hours/,
  ],
  ['operator', / by an operator$/],
  ['check-set', /check set/],
];

/** The code of stored reason words; null for no reason (a plain accept). */
export function reasonCodeOf(words: string | null): ReasonCode | null {
  if (words === null) return null;
  return PATTERNS.find(([, pattern]) => pattern.test(words))?.[0] ?? 'other';
}

/** Why a reader's answer was not learned from, in the reader's words: which kind of limit, no row ids or thresholds. */
export function readerWords(code: ReasonCode | null): string | null {
  switch (code) {
    case null:
      return null;
    case 'repeat':
    case 'near-duplicate':
      return 'it repeats a review we already have';
    case 'too-few-words':
      return 'it has too few words to learn from';
    case 'client-rows':
    case 'client-corrections':
      return 'we have had many answers from your connection today';
    case 'phrase-corrections':
      return 'many answers today already corrected reviews worded like this one';
    default:
      return 'it did not pass our checks';
  }
}
