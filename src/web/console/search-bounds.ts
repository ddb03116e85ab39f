/** Word starts (`film*`) a log search uses at most: each merges the rows of every word it starts. */
export const MAX_PREFIX_TERMS = 3;
/** Shortest word start a log search uses: `t*` starts a good part of the vocabulary. */
export const MIN_PREFIX_CHARS = 3;

/**
 * The search terms (from searchTerms) a log search runs with, and the word starts it leaves out:
 * a start shorter than {@link MIN_PREFIX_CHARS} letters, and every start after the first
 * {@link MAX_PREFIX_TERMS}. Ten one-letter starts made one search of 100,000 rows hold the worker
 * for 376 ms; whole words cost little (the rarest is walked first) and are all kept.
 *
 * @example boundPrefixes(['film', 't*', 'brill*']) // -> { terms: ['film', 'brill*'], ignored: ['t*'] }
 */
export function boundPrefixes(terms: readonly string[]): { terms: string[]; ignored: string[] } {
  const kept: string[] = [];
  const ignored: string[] = [];
  let prefixes = 0;
  for (const term of terms) {
    if (!term.endsWith('*')) kept.push(term);
    else if (term.length - 1 < MIN_PREFIX_CHARS || prefixes >= MAX_PREFIX_TERMS) ignored.push(term);
    else {
      prefixes++;
      kept.push(term);
    }
  }
  return { terms: kept, ignored };
}

/** What the log page says about the word starts it left out, or null when it left none. */
export function ignoredPrefixesNote(ignored: readonly string[]): string | null {
  if (ignored.length === 0) return null;
  return (
    `text: ignored ${ignored.join(' ')} (a word's start needs at least ${MIN_PREFIX_CHARS} letters, ` +
    `and a search takes at most ${MAX_PREFIX_TERMS} of them)`
  );
}
