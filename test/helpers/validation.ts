import type { Request, RequestHandler } from 'express';

import { checkedData, firstValidationError, validationErrorsByField } from '../../src/web/validation.js';

/** What a route reads after running `rules` on a request with this body (and url, route params). */
export async function afterRules(
  rules: RequestHandler,
  body: unknown,
  url = '/x',
  params: Record<string, string> = {},
) {
  const query = Object.fromEntries(new URL(url, 'http://localhost').searchParams);
  const req = { body: structuredClone(body), url, originalUrl: url, params, query } as unknown as Request;
  const passedOn = await new Promise<unknown>((resolve) => {
    void rules(req, {} as never, (error?: unknown) => resolve(error));
  });
  if (passedOn !== undefined) return { error: passedOnText(passedOn) };
  const first = firstValidationError(req);
  return {
    first:
      first === undefined
        ? undefined
        : { msg: first.msg as unknown, type: first.type, path: 'path' in first ? first.path : undefined },
    fields: Object.keys(validationErrorsByField(req)).sort(),
    data: first === undefined ? checkedData<Record<string, unknown>>(req) : undefined,
    body: req.body as unknown,
  };
}

/** What a chain passed to next(), as text: an error's message, a string as is, anything else as JSON. */
function passedOnText(passedOn: unknown): string {
  if (passedOn instanceof Error) return passedOn.message;
  return typeof passedOn === 'string' ? passedOn : JSON.stringify(passedOn);
}
