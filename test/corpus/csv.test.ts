import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { openCsvCorpus } from '../../src/corpus/csv.js';
import type { CsvProgress } from '../../src/corpus/csv.js';
import { collect, makeTempDir, writeFiles } from './helpers.js';

const MINI_CSV = fileURLToPath(new URL('../fixtures/mini-reviews.csv', import.meta.url));

describe('openCsvCorpus', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir()));
  afterEach(async () => cleanup());

  /** Opens and reads the whole file (syntax errors may surface at either step: the header read
   * at open parses the first chunk of the file). */
  async function readAll(path: string): Promise<unknown[]> {
    return collect((await openCsvCorpus(path)).stream({ seed: 1, shuffle: false }));
  }

  /** Writes `content` to `name` in the temp folder and returns its path. */
  async function csvFile(name: string, content: string | Buffer): Promise<string> {
    await writeFiles(dir, { [name]: content });
    return `${dir}/${name}`;
  }

  it('reads quoted fields with commas, doubled quotes and line breaks, keyed by the line each row starts on', async () => {
    // Arrange
    const path = await csvFile(
      'reviews.csv',
      [
        'review,sentiment',
        '"Funny, warm, clever",1',
        '"She said ""wow"" twice",0',
        '"first line',
        'second line',
        'third line",1',
        '',
        'plain text,0',
      ].join('\n') + '\n',
    );

    // Act
    const corpus = await openCsvCorpus(path);
    const docs = await collect(corpus.stream({ seed: 1, shuffle: false }));

    // Assert
    expect(docs).toEqual([
      { key: 'line:2', label: 1, text: 'Funny, warm, clever' },
      { key: 'line:3', label: 0, text: 'She said "wow" twice' },
      { key: 'line:4', label: 1, text: 'first line\nsecond line\nthird line' },
      { key: 'line:8', label: 0, text: 'plain text' },
    ]);
  });

  it('counts lines of a CRLF file as an editor does, a CRLF inside a quoted field included', async () => {
    // Arrange
    const path = await csvFile('crlf.csv', 'review,sentiment\r\n"two\r\nlines",1\r\n\r\nnext,0\r\n');

    // Act
    const docs = await collect((await openCsvCorpus(path)).stream({ seed: 1, shuffle: false }));

    // Assert
    expect(docs).toEqual([
      { key: 'line:2', label: 1, text: 'two\r\nlines' },
      { key: 'line:5', label: 0, text: 'next' },
    ]);
  });

  it('accepts labels 0/1, negative/positive and neg/pos in any case, with spaces around', async () => {
    // Arrange
    const rows = ['1', '0', 'positive', 'negative', 'POS', 'Neg', ' Positive ', 'NEGATIVE', ' 1'];
    const path = await csvFile(
      'labels.csv',
      ['review,sentiment', ...rows.map((label, i) => `r${i},${label}`)].join('\n'),
    );

    // Act
    const docs = await collect((await openCsvCorpus(path)).stream({ seed: 1, shuffle: false }));

    // Assert
    expect(docs.map((d) => d.label)).toEqual([1, 0, 1, 0, 1, 0, 1, 0, 1]);
  });

  it('finds the text and label columns by name, in any case and among other columns', async () => {
    // Arrange
    const path = await csvFile('columns.csv', 'id,Label,date, TEXT \n7,pos,2024-01-01,loved it\n');

    // Act
    const corpus = await openCsvCorpus(path);
    const docs = await collect(corpus.stream({ seed: 1, shuffle: false }));

    // Assert
    expect(corpus.columns).toEqual({ text: ' TEXT ', label: 'Label' });
    expect(docs).toEqual([{ key: 'line:2', label: 1, text: 'loved it' }]);
  });

  it('reads a gzip-compressed file, by extension or by its magic bytes, like the plain one', async () => {
    // Arrange
    const content = 'review,sentiment\n"a, b",1\nc,0\n';
    const plain = await csvFile('plain.csv', content);
    const gz = await csvFile('packed.csv.gz', gzipSync(content));
    const disguised = await csvFile('packed.csv', gzipSync(content));

    // Act
    const expected = await collect((await openCsvCorpus(plain)).stream({ seed: 1, shuffle: false }));
    const fromGz = await openCsvCorpus(gz);
    const fromDisguised = await openCsvCorpus(disguised);

    // Assert
    expect(fromGz.gzip).toBe(true);
    expect(fromDisguised.gzip).toBe(true);
    expect(await collect(fromGz.stream({ seed: 1, shuffle: false }))).toEqual(expected);
    expect(await collect(fromDisguised.stream({ seed: 1, shuffle: false }))).toEqual(expected);
  });

  it('reads the mini-reviews fixture and its .gz copy to the same 40 documents', async () => {
    // Act
    const plain = await collect((await openCsvCorpus(MINI_CSV)).stream({ seed: 1, shuffle: false }));
    const gz = await collect((await openCsvCorpus(`${MINI_CSV}.gz`)).stream({ seed: 1, shuffle: false }));

    // Assert
    expect(plain).toHaveLength(40);
    expect(gz).toEqual(plain);
    expect(plain.some((d) => d.text.includes('\n'))).toBe(true);
    expect(plain.some((d) => d.text.includes('"'))).toBe(true);
    expect(plain.filter((d) => d.label === 1)).toHaveLength(20);
  });

  it('reports an unknown label with the file, the line the row starts on and the accepted labels', async () => {
    // Arrange: the bad row comes after a two-line row, so its line is not its record number
    const path = await csvFile('bad-label.csv', 'review,sentiment\n"two\nlines",1\ngood,1\nmeh,maybe\nfine,0\n');
    const corpus = await openCsvCorpus(path);

    // Act
    const reading = collect(corpus.stream({ seed: 1, shuffle: false }));

    // Assert
    await expect(reading).rejects.toThrow(InvalidInputError);
    await expect(reading).rejects.toThrow(
      `CSV file ${path} line 5: unknown label "maybe" in column "sentiment"; use 1, positive or pos`,
    );
  });

  it('reports a missing label as a missing field with its line', async () => {
    const path = await csvFile('no-label.csv', 'review,sentiment\ngood,1\nforgot,\n');
    const corpus = await openCsvCorpus(path);

    await expect(collect(corpus.stream({ seed: 1, shuffle: false }))).rejects.toThrow(/line 3: the label is missing/);
  });

  it('reports a row with the wrong number of fields, and how to fix it', async () => {
    const path = await csvFile('fields.csv', 'review,sentiment\ngood,1\nnice, but long,1\n');
    const corpus = await openCsvCorpus(path);

    await expect(collect(corpus.stream({ seed: 1, shuffle: false }))).rejects.toThrow(
      /line 3: the row has 3 field\(s\) but the header has 2; put fields that contain commas in quotes/,
    );
  });

  it('refuses a header without a text or a label column when opening', async () => {
    // Arrange
    const path = await csvFile('header.csv', 'comment,score\ngreat,1\n');

    // Act
    const opening = openCsvCorpus(path);

    // Assert
    await expect(opening).rejects.toThrow(InvalidInputError);
    await expect(opening).rejects.toThrow(
      `CSV file ${path} line 1: the header ["comment","score"] lacks a text column named "review" or "text" and a label column named "sentiment" or "label"`,
    );
  });

  it('reports an unterminated quote with the line where the quoted field starts', async () => {
    // Arrange
    const path = await csvFile('quote.csv', 'review,sentiment\ngood,1\n\n"never closed,1\nmore,0\nrows,1\n');

    // Act
    const reading = readAll(path);

    // Assert
    await expect(reading).rejects.toThrow(InvalidInputError);
    await expect(reading).rejects.toThrow(/quote\.csv line 4: .*closing quote is never found \(unterminated quote\)/);
  });

  it('stops at an unterminated quote early in a large file instead of reading the rest as one field', async () => {
    // Arrange: 5 MB of rows after the open quote, more than the 4 MiB row limit
    const rows = 'fine review,1\n'.repeat(400_000);
    const path = await csvFile('early-quote.csv', `review,sentiment\n"never closed,1\n${rows}`);

    // Act / Assert
    await expect(readAll(path)).rejects.toThrow(
      /line 2: the row starting here is longer than 4194304 bytes, most likely because a quoted field is never closed/,
    );
  });

  it('reports a stray quote inside an unquoted field with its line', async () => {
    const path = await csvFile('stray.csv', 'review,sentiment\ngood,1\nsay "hi",1\n');

    await expect(readAll(path)).rejects.toThrow(
      /stray\.csv line 3: a quote appears in the middle of an unquoted field/,
    );
  });

  it('reports text after a closing quote with its line', async () => {
    const path = await csvFile('closing.csv', 'review,sentiment\n"two\nlines",1\n"quoted"tail,0\n');

    await expect(readAll(path)).rejects.toThrow(
      /closing\.csv line 4: a quoted field's closing quote is followed by other characters/,
    );
  });

  it('refuses an empty file, and a file of blank lines, when opening', async () => {
    await expect(openCsvCorpus(await csvFile('empty.csv', ''))).rejects.toThrow(/is empty; it needs a header line/);
    await expect(openCsvCorpus(await csvFile('blank.csv', '\n\n\n'))).rejects.toThrow(/has no rows, not even a header/);
  });

  it('refuses a .gz file that is not gzip data, and a missing file', async () => {
    await expect(openCsvCorpus(await csvFile('fake.csv.gz', 'review,sentiment\n'))).rejects.toThrow(
      /is named \.gz but is not gzip-compressed/,
    );
    await expect(openCsvCorpus(`${dir}/nowhere.csv`)).rejects.toThrow(/cannot be opened/);
  });

  it('reports a truncated gzip file as such', async () => {
    // Arrange
    const packed = gzipSync('review,sentiment\n' + 'a fine review,1\n'.repeat(5000));
    const path = await csvFile('cut.csv.gz', packed.subarray(0, Math.floor(packed.length / 2)));

    // Act / Assert
    await expect(readAll(path)).rejects.toThrow(/cut\.csv\.gz is not valid gzip data .*may be truncated/);
  });

  describe('order', () => {
    const rows = Array.from({ length: 300 }, (_, i) => `review ${i},${i % 2}`);
    const content = ['review,sentiment', ...rows].join('\n') + '\n';

    it('with shuffle false gives rows in file order', async () => {
      const corpus = await openCsvCorpus(await csvFile('order.csv', content));

      const docs = await collect(corpus.stream({ seed: 9, shuffle: false }));

      expect(docs.map((d) => d.text)).toEqual(rows.map((row) => row.split(',')[0]));
    });

    it('with shuffle true gives the same order for the same seed, another for another seed, every row once', async () => {
      // Arrange: a buffer smaller than the file, so rows pass through it
      const corpus = await openCsvCorpus(await csvFile('order.csv', content), { shuffleBufferSize: 64 });
      const keysFor = async (seed: number): Promise<string[]> =>
        (await collect(corpus.stream({ seed, shuffle: true }))).map((d) => d.key);

      // Act
      const first = await keysFor(1);
      const again = await keysFor(1);
      const other = await keysFor(2);

      // Assert
      expect(again).toEqual(first);
      expect(other).not.toEqual(first);
      expect(first).toHaveLength(300);
      expect(new Set(first)).toEqual(new Set(rows.map((_, i) => `line:${i + 2}`)));
      expect(first).not.toEqual([...first].sort());
    });
  });

  describe('memory', () => {
    async function writeBigCsv(path: string, rows: number): Promise<void> {
      const out = createWriteStream(path);
      out.write('review,sentiment\n');
      const filler = 'a long and rather repetitive review sentence, quoted because of this comma. ';
      for (let i = 0; i < rows; i++) out.write(`"${i} ${filler.repeat(3)}",${i % 2}\n`);
      await new Promise<void>((resolve, reject) =>
        out.end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
    }

    for (const [shuffle, gzip] of [
      [false, false],
      [true, true],
    ] as const) {
      it(`yields its first document before the file is fully read (shuffle ${String(shuffle)}, gzip ${String(gzip)})`, async () => {
        // Arrange: 20,000 rows, about 4.6 MB
        const plain = `${dir}/big.csv`;
        await writeBigCsv(plain, 20_000);
        const path = gzip ? `${plain}.gz` : plain;
        if (gzip) writeFileSync(path, gzipSync(readFileSync(plain)));
        const size = (await stat(path)).size;
        let progress: CsvProgress | undefined;
        const corpus = await openCsvCorpus(path, { onProgress: (p) => (progress = { ...p }) });

        // Act
        const iterator = corpus.stream({ seed: 3, shuffle })[Symbol.asyncIterator]();
        const first = await iterator.next();
        const atFirst = progress;
        await iterator.return?.();

        // Assert: only a buffer's worth of rows has been parsed (for gzip, the compressed file is
        // small enough to be read in a chunk or two, so rows are what bound memory)
        expect(first.done).toBe(false);
        expect(atFirst?.totalBytes).toBe(size);
        expect(atFirst?.rows).toBeLessThanOrEqual(shuffle ? 4097 : 1);
        if (!gzip) expect(atFirst?.bytesRead).toBeLessThan(size / 2);
      });
    }

    it('reads the same rows shuffled as in order from a file with a BOM, CRLF line ends, blank lines and quoted line breaks', async () => {
      // Arrange
      const path = `${dir}/crlf.csv`;
      const rows = [
        'review,sentiment',
        '"First, with a comma",1',
        '',
        '"Second ""quoted""\r\nover two lines",0',
        'Plain third,pos',
        '"Fourth: naïve café 😀",neg',
      ];
      writeFileSync(
        path,
        Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(rows.join('\r\n') + '\r\n', 'utf8')]),
      );
      const corpus = await openCsvCorpus(path);

      // Act
      const ordered = await collect(corpus.stream({ seed: 1, shuffle: false }));
      const shuffled = await collect(corpus.stream({ seed: 1, shuffle: true }));

      // Assert
      const byKey = (docs: typeof ordered) => [...docs].sort((a, b) => (a.key < b.key ? -1 : 1));
      expect(ordered.map((d) => d.text)).toEqual([
        'First, with a comma',
        'Second "quoted"\r\nover two lines',
        'Plain third',
        'Fourth: naïve café 😀',
      ]);
      expect(byKey(shuffled)).toEqual(byKey(ordered));
    });

    it('shuffles a plain file sorted by label across the whole file, not within a window', async () => {
      // Arrange: 10,000 positive rows, then 10,000 negative ones
      const path = `${dir}/sorted.csv`;
      const out = createWriteStream(path);
      out.write('review,sentiment\n');
      for (let i = 0; i < 20_000; i++) out.write(`"row ${i}, a review with a comma",${i < 10_000 ? 1 : 0}\n`);
      await new Promise<void>((resolve, reject) =>
        out.end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
      const corpus = await openCsvCorpus(path);

      // Act
      const firstThousand: number[] = [];
      const keys = new Set<string>();
      for await (const doc of corpus.stream({ seed: 5, shuffle: true })) {
        if (firstThousand.length < 1000) firstThousand.push(doc.label);
        keys.add(doc.key);
      }

      // Assert: both labels from the start, every row once, with its own line as key
      const positives = firstThousand.filter((label) => label === 1).length;
      expect(positives).toBeGreaterThan(400);
      expect(positives).toBeLessThan(600);
      expect(keys.size).toBe(20_000);
      expect(keys.has('line:2')).toBe(true);
      expect(keys.has('line:20001')).toBe(true);
    });

    it('streams all 20,000 rows of a generated file exactly once', async () => {
      // Arrange
      const path = `${dir}/big.csv`;
      await writeBigCsv(path, 20_000);
      const corpus = await openCsvCorpus(path);

      // Act
      let count = 0;
      const seen = new Set<string>();
      for await (const doc of corpus.stream({ seed: 1, shuffle: true })) {
        count += 1;
        seen.add(doc.key);
      }

      // Assert
      expect(count).toBe(20_000);
      expect(seen.size).toBe(20_000);
    });
  });
});
