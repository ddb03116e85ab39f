import { createReadStream } from 'node:fs';
import { closeSync, openSync, readSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parse, CsvError, type Options } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import type { Label } from '../model/types.js';
import { InvalidInputError } from '../errors.js';
import { mulberry32, randomInt, shuffleInPlace, type Rng } from './random.js';
import type { Corpus, LabelledDoc, StreamOptions } from './types.js';
import { shortPath } from './folder.js';

export interface CsvProgress {
  /** Bytes read from the file so far (compressed bytes for a .gz file). */
  bytesRead: number;
  /** Size of the file in bytes (compressed size for a .gz file). */
  totalBytes: number;
  /** Documents parsed so far in this stream (including those still in the shuffle buffer). */
  rows: number;
}

export interface CsvCorpusOptions {
  /**
   * Documents held back to shuffle a CSV stream: larger mixes better, smaller uses less memory.
   * @default 4096
   */
  shuffleBufferSize?: number;
  /** Called after each parsed row, e.g. to drive a progress bar from `bytesRead / totalBytes`. */
  onProgress?: (progress: CsvProgress) => void;
}

export interface CsvCorpus extends Corpus {
  readonly path: string;
  readonly gzip: boolean;
  /** File size in bytes (compressed size for a .gz file). */
  readonly totalBytes: number;
  /** Header names of the text and the label columns, as written in the file. */
  readonly columns: { readonly text: string; readonly label: string; readonly group?: string };
}

const TEXT_COLUMNS = ['review', 'text'];
const LABEL_COLUMNS = ['sentiment', 'label'];
/** Optional: what a review is about, so cross-validation keeps a movie's reviews in one fold. */
const GROUP_COLUMNS = ['group', 'movie', 'movie_id'];
const LABELS: ReadonlyMap<string, Label> = new Map<string, Label>([
  ['1', 1],
  ['positive', 1],
  ['pos', 1],
  ['0', 0],
  ['negative', 0],
  ['neg', 0],
]);

const GZIP_MAGIC = [0x1f, 0x8b];

/** Longest row accepted (4 MiB); IMDb reviews are below 15 kB. */
const MAX_RECORD_BYTES = 4 * 1024 * 1024;

/** True when the file starts with the gzip magic bytes (whatever its name). */
export async function hasGzipMagic(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  } finally {
    await handle.close();
  }
}

interface RawRecord {
  fields: string[];
  /** 1-based line on which the record starts. */
  line: number;
  /** Byte offset in the (uncompressed) file just after the record and its line break. */
  end: number;
}

interface Header {
  textIndex: number;
  labelIndex: number;
  /** -1 when the file has no group column. */
  groupIndex: number;
  names: string[];
}

/** Number of line breaks in `text`, counting `\r\n` once (as editors do). */
function countLineBreaks(text: string): number {
  return text.match(/\r\n|\r|\n/g)?.length ?? 0;
}

/** Line breaks before the first character of a record: blank lines csv-parse skipped. */
function countLeadingLineBreaks(text: string): number {
  const leading = /^(?:\r\n|\r|\n)*/.exec(text)?.[0] ?? '';
  return countLineBreaks(leading);
}

/** Turns csv-parse's error into one that names the file, the row's first line and the fix. */
function csvSyntaxError(path: string, error: CsvError, line: number): InvalidInputError {
  const where = `CSV file ${path} line ${line}`;
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return new InvalidInputError(
        `${where}: a quoted field starts in this row but its closing quote is never found (unterminated quote); close the quote, and write a quote inside a quoted field as two quotes ("")`,
        { cause: error },
      );
    case 'CSV_MAX_RECORD_SIZE':
      return new InvalidInputError(
        `${where}: the row starting here is longer than ${MAX_RECORD_BYTES} bytes, most likely because a quoted field is never closed (unterminated quote); close the quote, and write a quote inside a quoted field as two quotes ("")`,
        { cause: error },
      );
    case 'INVALID_OPENING_QUOTE':
      return new InvalidInputError(
        `${where}: a quote appears in the middle of an unquoted field; put the whole field in quotes and double the quotes inside it ("")`,
        { cause: error },
      );
    case 'CSV_INVALID_CLOSING_QUOTE':
      return new InvalidInputError(
        `${where}: a quoted field's closing quote is followed by other characters; write a quote inside a quoted field as two quotes ("")`,
        { cause: error },
      );
    default:
      return new InvalidInputError(`${where}: the row is not valid CSV (${error.message}); fix or remove the row`, {
        cause: error,
      });
  }
}

/**
 * Streams the records of a CSV file (header included) with the line each starts on.
 * Blank lines are skipped. Back-pressure keeps only a few chunks in memory.
 */
async function* readRecords(
  path: string,
  gzip: boolean,
  onBytes?: (bytesRead: number) => void,
): AsyncGenerator<RawRecord> {
  // csv-parse's own line counter counts a \r\n inside a quoted field twice and reports where a
  // record ends; we count from the raw text of each record instead, to name its first line.
  // This runs as csv-parse emits each record (not as we consume them), so when it reports an
  // error, `linesConsumed` is where the bad record starts even if records before it are unread.
  let linesConsumed = 0;
  const options: Options<RawRecord, { record: string[] }> = {
    bom: true,
    columns: false,
    relax_quotes: false,
    // Field counts are checked below, to report them with a line number and a fix.
    relax_column_count: true,
    skip_empty_lines: true,
    // An unterminated quote would otherwise swallow the rest of the file into one field.
    max_record_size: MAX_RECORD_BYTES,
    // With `raw`, csv-parse hands on_record `{ record, raw }` and puts the raw text in the context.
    raw: true,
    on_record: (parsed, context) => {
      const raw = context.raw ?? '';
      const line = linesConsumed + countLeadingLineBreaks(raw) + 1;
      linesConsumed += countLineBreaks(raw);
      // `context.bytes` counts the input consumed through this record's delimiter (the raw text
      // can miss the \n of a \r\n ending, so its length is not used for offsets).
      return { fields: parsed.record, line, end: (context as { bytes?: number }).bytes ?? 0 };
    },
  };
  // The typings of parse() only know records of the default shape (string[]).
  const parser = parse(options as unknown as Options);
  const source = createReadStream(path);
  const onPipelineEnd = (): void => undefined; // errors reach us through the parser
  if (gzip) pipeline(source, createGunzip(), parser, onPipelineEnd);
  else pipeline(source, parser, onPipelineEnd);

  try {
    for await (const record of parser as AsyncIterable<RawRecord>) {
      onBytes?.(source.bytesRead);
      yield record;
    }
  } catch (error) {
    if (error instanceof CsvError) {
      const raw = typeof error.raw === 'string' ? error.raw : '';
      throw csvSyntaxError(path, error, linesConsumed + countLeadingLineBreaks(raw) + 1);
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (gzip && typeof code === 'string' && code.startsWith('Z_')) {
      throw new InvalidInputError(
        `CSV file ${path} is not valid gzip data after line ${linesConsumed} (${(error as Error).message}); the file may be truncated: compress it again with gzip`,
        { cause: error },
      );
    }
    throw new InvalidInputError(`could not read CSV file ${path}: ${(error as Error).message}`, { cause: error });
  }
}

function parseHeader(path: string, record: RawRecord): Header {
  const names = record.fields;
  const normalized = names.map((name) => name.trim().toLowerCase());
  const find = (candidates: string[]): number => {
    for (const candidate of candidates) {
      const index = normalized.indexOf(candidate);
      if (index >= 0) return index;
    }
    return -1;
  };
  const textIndex = find(TEXT_COLUMNS);
  const labelIndex = find(LABEL_COLUMNS);
  if (textIndex < 0 || labelIndex < 0) {
    const missing = [
      textIndex < 0 ? 'a text column named "review" or "text"' : null,
      labelIndex < 0 ? 'a label column named "sentiment" or "label"' : null,
    ].filter(Boolean);
    throw new InvalidInputError(
      `CSV file ${path} line ${record.line}: the header ${JSON.stringify(names)} lacks ${missing.join(' and ')}; the first row must name the columns, e.g. review,sentiment`,
    );
  }
  return { textIndex, labelIndex, groupIndex: find(GROUP_COLUMNS), names };
}

function toDoc(path: string, header: Header, record: RawRecord): LabelledDoc | null {
  const { fields, line } = record;
  if (fields.length !== header.names.length) {
    // A line of spaces only is as good as a blank line.
    if (fields.length === 1 && fields[0].trim() === '') return null;
    throw new InvalidInputError(
      `CSV file ${path} line ${line}: the row has ${fields.length} field(s) but the header has ${header.names.length}; put fields that contain commas in quotes ("like, this") and check for missing or extra commas`,
    );
  }
  const rawLabel = fields[header.labelIndex];
  const label = LABELS.get(rawLabel.trim().toLowerCase());
  if (label === undefined) {
    const what = rawLabel.trim() === '' ? 'the label is missing' : `unknown label ${JSON.stringify(rawLabel)}`;
    throw new InvalidInputError(
      `CSV file ${path} line ${line}: ${what} in column "${header.names[header.labelIndex]}"; use 1, positive or pos for positive reviews and 0, negative or neg for negative ones`,
    );
  }
  const doc: LabelledDoc = { text: fields[header.textIndex], label, key: `line:${line}` };
  if (header.groupIndex >= 0) doc.group = fields[header.groupIndex].trim();
  return doc;
}

/** Where each data row of a plain CSV file is: byte offset, byte length and first line. */
interface RowIndex {
  offsets: Float64Array;
  lengths: Uint32Array;
  lines: Uint32Array;
  count: number;
}

/**
 * One pass over a plain CSV file recording each data row's byte range (12 bytes a row, not its
 * text), so epochs can read the rows in a true random order with positioned reads.
 */
async function indexRows(path: string): Promise<RowIndex> {
  let offset = 0;
  let capacity = 1024;
  let index: RowIndex = {
    offsets: new Float64Array(capacity),
    lengths: new Uint32Array(capacity),
    lines: new Uint32Array(capacity),
    count: 0,
  };
  let first = true;
  for await (const record of readRecords(path, false)) {
    if (first) {
      first = false; // the header
    } else {
      if (index.count === capacity) {
        capacity *= 2;
        const grown: RowIndex = {
          offsets: new Float64Array(capacity),
          lengths: new Uint32Array(capacity),
          lines: new Uint32Array(capacity),
          count: index.count,
        };
        grown.offsets.set(index.offsets);
        grown.lengths.set(index.lengths);
        grown.lines.set(index.lines);
        index = grown;
      }
      index.offsets[index.count] = offset;
      index.lengths[index.count] = record.end - offset;
      index.lines[index.count] = record.line;
      index.count++;
    }
    offset = record.end;
  }
  return index;
}

/** Reads the indexed rows in `order` (positions in the index), one positioned read each. */
async function* rowsInOrder(
  path: string,
  header: Header,
  index: RowIndex,
  order: Uint32Array,
): AsyncGenerator<LabelledDoc> {
  const fd = openSync(path, 'r');
  let buffer = Buffer.alloc(1 << 16);
  try {
    for (const k of order) {
      const length = index.lengths[k];
      if (buffer.length < length) buffer = Buffer.alloc(length * 2);
      readSync(fd, buffer, 0, length, index.offsets[k]);
      const parsed = parseSync(buffer.subarray(0, length), {
        columns: false,
        relax_quotes: false,
        relax_column_count: true,
        skip_empty_lines: true,
      });
      if (parsed.length !== 1) {
        throw new InvalidInputError(
          `CSV file ${path} changed while training (line ${index.lines[k]} no longer holds one row); train again on a file that is not being written`,
        );
      }
      const doc = toDoc(path, header, { fields: parsed[0], line: index.lines[k], end: index.offsets[k] + length });
      if (doc !== null) yield doc;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Yields `source` in an order shuffled through a buffer of `size` items: once the buffer is full,
 * each new item takes the place of a randomly chosen buffered one, which is yielded. Memory is
 * bounded by `size`; the order is fixed by `rng`. Items far apart in the source stay roughly
 * ordered: the buffer mixes within a window, it is not a full permutation.
 */
export async function* shuffleBuffered<T>(source: AsyncIterable<T>, size: number, rng: Rng): AsyncGenerator<T> {
  const buffer: T[] = [];
  for await (const item of source) {
    if (buffer.length < size) {
      buffer.push(item);
      continue;
    }
    const j = randomInt(rng, size);
    const out = buffer[j];
    buffer[j] = item;
    yield out;
  }
  while (buffer.length > 0) {
    const j = randomInt(rng, buffer.length);
    const out = buffer[j];
    buffer[j] = buffer[buffer.length - 1];
    buffer.pop();
    yield out;
  }
}

/**
 * Opens a CSV corpus (optionally gzip-compressed, detected from the file's first bytes) and checks
 * its header. Rows are streamed, never loaded all at once.
 *
 * The header must name a text column (`review` or `text`) and a label column (`sentiment` or
 * `label`), case-insensitive; other columns are ignored. Labels: `1`/`positive`/`pos` and
 * `0`/`negative`/`neg`, case-insensitive, trimmed. Quoted fields may contain commas, doubled
 * quotes and line breaks. Keys are `line:N`, the 1-based line on which the row starts. A bad row
 * throws InvalidInputError naming the file and that line.
 *
 * @example
 * const corpus = await openCsvCorpus('data/reviews.csv.gz');
 * for await (const doc of corpus.stream({ seed: 1, shuffle: false })) { ... }
 */
export async function openCsvCorpus(path: string, options: CsvCorpusOptions = {}): Promise<CsvCorpus> {
  const shuffleBufferSize = options.shuffleBufferSize ?? 4096;
  if (!Number.isInteger(shuffleBufferSize) || shuffleBufferSize < 1) {
    throw new InvalidInputError(`shuffleBufferSize must be a positive whole number, got ${String(shuffleBufferSize)}`);
  }
  let totalBytes: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new Error('not a regular file');
    totalBytes = info.size;
  } catch (error) {
    throw new InvalidInputError(
      `CSV file ${path} cannot be opened (${(error as Error).message}); check the path, or pass an aclImdb-style folder instead`,
      { cause: error },
    );
  }
  if (totalBytes === 0) {
    throw new InvalidInputError(
      `CSV file ${path} is empty; it needs a header line (e.g. review,sentiment) and one row per review`,
    );
  }
  const gzip = await hasGzipMagic(path);
  if (!gzip && /\.gz$/i.test(path)) {
    throw new InvalidInputError(
      `CSV file ${path} is named .gz but is not gzip-compressed; rename it without .gz, or compress it with gzip`,
    );
  }

  // Read just the header now, so a wrong file fails at once rather than when training starts.
  const readHeader = async (): Promise<Header> => {
    for await (const record of readRecords(path, gzip)) return parseHeader(path, record);
    throw new InvalidInputError(
      `CSV file ${path} has no rows, not even a header; it needs a header line (e.g. review,sentiment) and one row per review`,
    );
  };
  const header = await readHeader();

  let rowIndex: RowIndex | undefined;
  async function* docs(): AsyncGenerator<LabelledDoc> {
    let rows = 0;
    let bytesRead = 0;
    let current: Header | null = null;
    for await (const record of readRecords(path, gzip, (bytes) => (bytesRead = bytes))) {
      if (current === null) {
        current = parseHeader(path, record);
        continue;
      }
      const doc = toDoc(path, current, record);
      if (doc === null) continue;
      rows += 1;
      options.onProgress?.({ bytesRead, totalBytes, rows });
      yield doc;
    }
  }

  return {
    description: `CSV file ${shortPath(path)}${gzip ? ' (gzip)' : ''}, ${totalBytes} bytes`,
    path,
    gzip,
    totalBytes,
    columns: {
      text: header.names[header.textIndex],
      label: header.names[header.labelIndex],
      ...(header.groupIndex >= 0 ? { group: header.names[header.groupIndex] } : {}),
    },
    stream({ seed, shuffle }: StreamOptions): AsyncIterable<LabelledDoc> {
      if (!shuffle) return docs();
      // A gzip stream cannot be read out of order: mix it through a bounded buffer, which
      // cannot undo a file sorted by label. A plain file is indexed once and read in a true
      // permutation — a CSV with all positive rows first would otherwise train a model that
      // mostly answers with the last label it saw (measured: 0.53 held-out accuracy).
      if (gzip) return shuffleBuffered(docs(), shuffleBufferSize, mulberry32(seed));
      return (async function* () {
        rowIndex ??= await indexRows(path);
        const order = Uint32Array.from(
          shuffleInPlace(
            Array.from({ length: rowIndex.count }, (_, k) => k),
            mulberry32(seed),
          ),
        );
        yield* rowsInOrder(path, header, rowIndex, order);
      })();
    },
  };
}
