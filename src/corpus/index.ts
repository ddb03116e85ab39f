export type { Corpus, LabelledDoc, StreamOptions } from './types.js';
export { openFolderCorpus, type FolderCorpus, type FolderCorpusOptions, type Split } from './folder.js';
export {
  openCsvCorpus,
  hasGzipMagic,
  shuffleBuffered,
  type CsvCorpus,
  type CsvCorpusOptions,
  type CsvProgress,
} from './csv.js';
export { openCorpus, type OpenCorpusOptions } from './open.js';
export { isHeldOut } from './holdout.js';
export { mulberry32, randomInt, shuffleInPlace, type Rng } from './random.js';
export { loadDocs, memoryCorpus } from './memory.js';
