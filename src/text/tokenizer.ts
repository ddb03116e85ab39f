import { ENGLISH_STOP_WORDS } from './stop-words.js';
import { stripTags } from './strip-tags.js';

export interface TokenizerOptions {
  /** Drop English stop words (the classic recipe does; negations are not in the list). */
  removeStopWords: boolean;
}

// The classic pattern is (?::|;|=)(?:-)?(?:\)|\(|D|P), applied to lower-cased text, so "D" and
// "P" can never match: only :) :( ;) ;( =) =( and their dashed forms survive. We keep that quirk
// so our tokens equal scikit-learn's.
const EMOTICON = /[:;=]-?[()]/g;
// Python's `\W` on str patterns: anything but Unicode letters, numbers and underscore.
const NON_WORD = /[^\p{L}\p{N}_]+/gu;

/**
 * The classic tokenizer of the scikit-learn movie-review recipe, character for character:
 * remove HTML tags, lower-case, collect emoticons (dash removed) and append them, split on runs of
 * non-word characters, optionally drop stop words.
 *
 * Note the recipe appends the emoticons without a separating space, so a review that ends in a
 * word glues the first emoticon to it ("great:)") — kept on purpose, scikit-learn does the same.
 *
 * @example tokenize('<br />Loved it :-)', { removeStopWords: false }) // ['loved', 'it', ':)']
 */
export function tokenize(text: string, options: TokenizerOptions): string[] {
  const lower = stripTags(text).toLowerCase();
  const emoticons = lower.match(EMOTICON);
  let joined = lower.replace(NON_WORD, ' ');
  if (emoticons !== null) joined += emoticons.join(' ').replaceAll('-', '');
  const tokens = joined.split(' ');
  const kept: string[] = [];
  for (const token of tokens) {
    if (token.length === 0) continue;
    if (options.removeStopWords && ENGLISH_STOP_WORDS.has(token)) continue;
    kept.push(token);
  }
  return kept;
}
