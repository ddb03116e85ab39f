import { eng } from 'stopword';

/**
 * The English stop-word list of the `stopword` package. Note that it contains no negations
 * ("not", "no", "don't" are absent), which matters for sentiment.
 */
export const ENGLISH_STOP_WORDS: ReadonlySet<string> = new Set(eng);
