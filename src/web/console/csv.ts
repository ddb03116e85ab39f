import type { ExportRow } from '../../store/index.js';

/** The export's columns: the classic review_db columns, then the verdict and the client. */
export const CSV_COLUMNS = ['review', 'sentiment', 'date', 'verdict', 'client'] as const;

/**
 * One CSV field as RFC 4180 writes it: quoted when it holds a quote, a comma or a line break,
 * quotes doubled. Values are written as stored, so the file trains a model as it is
 * (`npm run train -- --data export.csv`); a spreadsheet may read a text starting with = as a formula.
 */
export function csvField(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const csvHeader = (): string => `${CSV_COLUMNS.join(',')}\r\n`;

export const csvRow = (row: ExportRow): string =>
  `${[row.review, row.sentiment, row.date, row.verdict, row.client].map(csvField).join(',')}\r\n`;
