/** How far back the per-client limits of the verdict rule look. */
export const CLIENT_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * Start of the client window of a row dated `date` (ISO-8601), as ISO-8601; '' (every earlier
 * row) for a date that is not a time. One function, so the rule and a store that gathers the
 * rule's answers ahead of time (PostgreSQL) ask about the same window.
 */
export function clientWindowStart(date: string): string {
  const at = Date.parse(date);
  return Number.isNaN(at) ? '' : new Date(at - CLIENT_WINDOW_MS).toISOString();
}
