import { createLearner } from '../../src/learner/index.js';
import { readModelFile, type LoadedModelFile } from '../../src/model/model-file.js';
import { openStore, type LogStore } from '../../src/store/index.js';
import { predict, type ServerProcess } from './server-process.js';

/**
 * Texts whose probabilities the durability tests compare. They share words with
 * `feedbackReview(k)`, so learning from that feedback moves them.
 */
export const PROBE_TEXTS: readonly string[] = [
  'A wonderful, moving film with a brilliant cast. I loved every minute of it.',
  'A boring, awful mess. The plot was dull and the acting was terrible.',
  'The soundtrack was loud and the ending surprised me completely.',
  'I expected a masterpiece and got a perfectly ordinary afternoon film.',
  'Brilliant direction, but the script felt dull in the middle.',
  'The actors look tired and the jokes fall flat, yet the music is lovely.',
  'Not the worst sequel ever made, but nowhere near the original.',
  'A charming little story about a family and their strange old house.',
  'Terrible pacing, wooden dialogue, and a villain nobody could fear.',
  'My kids laughed all the way through and asked to see it again.',
];

const OPENINGS = ['The soundtrack', 'The ending', 'The script', 'The cast', 'The music', 'The direction'];
const VERDICTS = ['felt wonderful', 'was dull', 'surprised me', 'was terrible', 'was lovely', 'fell flat'];

const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/**
 * A distinct, learnable review for feedback number `k`. The take number is spelled out: the
 * moderation rule reads every number as the same `0`, so digits alone would make the reviews
 * repeats of one another, and it would reject them.
 */
export function feedbackReview(k: number): string {
  const take = [...String(k)].map((digit) => DIGIT_WORDS[Number(digit)]).join(' ');
  return `${OPENINGS[k % OPENINGS.length]} ${VERDICTS[(k * 5 + 1) % VERDICTS.length]} in take ${take} of this film.`;
}

/** P(positive) of every probe text, as a running server reports it through POST /api/v1/predict. */
export async function serverProbabilities(
  server: Pick<ServerProcess, 'url'>,
  texts: readonly string[] = PROBE_TEXTS,
): Promise<number[]> {
  const values: number[] = [];
  for (const text of texts) values.push((await predict(server, text)).positiveProbability);
  return values;
}

/**
 * P(positive) of every probe text from a learner built in this process, as a fresh start would
 * build it: the model file, then the whole log after its watermark replayed from the database
 * (opened read-only, so a server may be running on it).
 */
export async function replayedProbabilities(
  modelPath: string,
  dbPath: string,
  texts: readonly string[] = PROBE_TEXTS,
): Promise<number[]> {
  const store = openStore(dbPath, { readonly: true });
  try {
    return await replayedOn(readModelFile(modelPath), store, texts);
  } finally {
    await store.close();
  }
}

/** P(positive) of every probe text from a learner built in this process on `model` with the whole log of `store` after its watermark replayed. */
export async function replayedOn(
  model: LoadedModelFile,
  store: LogStore,
  texts: readonly string[] = PROBE_TEXTS,
): Promise<number[]> {
  const learner = await createLearner({ model, store });
  return texts.map((text) => learner.positiveProbability(text));
}

/** P(positive) of every probe text from the model file alone, with no feedback applied. */
export function fileProbabilities(modelPath: string, texts: readonly string[] = PROBE_TEXTS): number[] {
  const { model } = readModelFile(modelPath);
  return texts.map((text) => model.predict(text).positiveProbability);
}
