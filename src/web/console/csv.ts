import type { ExportRow } from '../../store/index.js';

/** The export's columns: the classic review_db columns, then the verdict and the client. */
export const CSV_COLUMNS = ['review', 'sentiment', 'date', 'verdict', 'client'] as const;

/**
 * One CSV field as RFC 4180 writes it: quoted when it holds a quote, a comma or a line break,
 * quotes doubled. Values are written as stored, so the file trains a model as it is
 * (`npm run train -- --data export.csv`); a spreadsheet may read a text starting with = as a formula.
 */
export function csvField(value: unknown): string {
  const text = fieldText(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * A stored value as text. A classic review_db column may hold any SQLite type: a BLOB comes back
 * as a Buffer and is written as its UTF-8 text; anything else that is not a scalar as JSON.
 */
function fieldText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return JSON.stringify(value) ?? '';
}

export const csvHeader = (): string => `${CSV_COLUMNS.join(',')}\r\n`;

export const csvRow = (row: ExportRow): string =>
  `${[row.review, row.sentiment, row.date, row.verdict, row.client].map(csvField).join(',')}\r\n`;
