import { mulberry32, shuffleInPlace } from './random.js';
import type { Corpus, LabelledDoc, StreamOptions } from './types.js';

/**
 * Reads every document of a corpus into memory, in corpus order. For cross-validation, which
 * trains k models on subsets of the same documents: reading the 25,000 IMDb reviews once costs
 * ~33 MB, against re-reading them for every pass of every fold.
 */
export async function loadDocs(corpus: Corpus): Promise<LabelledDoc[]> {
  const docs: LabelledDoc[] = [];
  for await (const doc of corpus.stream({ seed: 0, shuffle: false })) docs.push(doc);
  return docs;
}

/**
 * A corpus over documents already in memory: `stream` gives them in the given order, or in a
 * permutation fixed by the seed, as a folder corpus does.
 */
export function memoryCorpus(docs: readonly LabelledDoc[], description: string): Corpus & { size: number } {
  return {
    description,
    size: docs.length,
    stream({ seed, shuffle }: StreamOptions): AsyncIterable<LabelledDoc> {
      const order = shuffle ? shuffleInPlace([...docs], mulberry32(seed)) : docs;
      return (async function* () {
        yield* order;
      })();
    },
  };
}
