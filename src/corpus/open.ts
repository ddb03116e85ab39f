import { stat } from 'node:fs/promises';
import { InvalidInputError } from '../errors.js';
import { hasGzipMagic, openCsvCorpus, type CsvCorpusOptions } from './csv.js';
import { openFolderCorpus, type Split } from './folder.js';
import type { Corpus } from './types.js';

export interface OpenCorpusOptions extends CsvCorpusOptions {
  /**
   * Split of an aclImdb root folder. A CSV file or a folder with `pos`/`neg` directly is a single
   * split: `'train'` takes it as it is; `'test'` is refused for a CSV file (pass the test file
   * itself) and for a folder not named `test`.
   * @default 'train'
   */
  split?: Split;
}

/**
 * Opens a labelled corpus: an aclImdb-style folder (see `openFolderCorpus`) or a CSV file,
 * plain or gzip-compressed (see `openCsvCorpus`).
 *
 * @example
 * const corpus = await openCorpus(args.data, { split: 'test' });
 */
export async function openCorpus(path: string, options: OpenCorpusOptions = {}): Promise<Corpus> {
  const { split, ...csvOptions } = options;
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new InvalidInputError(
      `no corpus at ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); pass an aclImdb-style folder (train/pos, train/neg) or a .csv / .csv.gz file`,
      { cause: error },
    );
  }
  if (info.isDirectory()) return openFolderCorpus(path, split === undefined ? {} : { split });
  if (!info.isFile()) {
    throw new InvalidInputError(
      `${path} is neither a folder nor a regular file; pass an aclImdb-style folder or a CSV file`,
    );
  }
  const looksLikeCsv = /\.(csv|gz)$/i.test(path) || (info.size >= 2 && (await hasGzipMagic(path)));
  if (!looksLikeCsv) {
    throw new InvalidInputError(
      `unsupported corpus file ${path}: expected a .csv or .csv.gz file (header review,sentiment) or an aclImdb-style folder`,
    );
  }
  if (split === 'test') {
    throw new InvalidInputError(
      `CSV file ${path} is a single data set with no test split inside; pass the test CSV file itself and leave out the split`,
    );
  }
  return openCsvCorpus(path, csvOptions);
}
