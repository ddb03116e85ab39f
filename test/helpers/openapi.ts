import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { Express } from 'express';
import type { Response } from 'supertest';

import { OPENAPI_DOCUMENT } from '../../src/web/openapi.js';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/** JSON pointer escaping of one key. */
const escape = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');

type Json = Record<string, unknown>;

const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
// The whole document as one schema, so that each answer's schema resolves its $refs in it.
ajv.addSchema(OPENAPI_DOCUMENT, 'openapi.json');

/** An operation's path in the document: Express's /feedback/:id/accept is /feedback/{id}/accept. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:(\w+)/g, '{$1}');
}

/**
 * Checks a real answer of the API against the description: its status must be one the operation
 * declares, and its JSON body must validate against that status's schema. Throws with ajv's
 * errors when not. `path` is the operation's path (`/admin/feedback/{id}/accept`).
 */
export function expectMatchesOpenApi(res: Response, method: string, path: string): void {
  const paths = OPENAPI_DOCUMENT.paths as unknown as Record<
    string,
    Record<string, { responses: Record<string, Json> }>
  >;
  const operation = paths[path]?.[method.toLowerCase()];
  if (operation === undefined) throw new Error(`the description has no ${method} ${path}`);
  let response = operation.responses[String(res.status)];
  if (response === undefined)
    throw new Error(`${method} ${path} answered ${res.status}, which the description does not list`);
  let pointer = `/paths/${escape(path)}/${method.toLowerCase()}/responses/${res.status}`;
  if (typeof response.$ref === 'string') {
    pointer = response.$ref.slice(1);
    response = (OPENAPI_DOCUMENT.components.responses as unknown as Record<string, Json>)[
      response.$ref.split('/').at(-1)
    ]!;
  }
  const content = response.content as Record<string, unknown> | undefined;
  if (content?.['application/json'] === undefined)
    throw new Error(`${method} ${path} ${res.status} has no JSON body in the description`);
  if (!/^application\/json/.test(String(res.headers['content-type'])))
    throw new Error(`${method} ${path} ${res.status} answered ${res.headers['content-type']}`);
  const validate = ajv.compile({ $ref: `openapi.json#${pointer}/content/application~1json/schema` });
  if (!validate(res.body)) {
    throw new Error(
      `${method} ${path} ${res.status}: the body does not match its schema: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(res.body)}`,
    );
  }
}

/** Every route of an Express app as [METHOD, full path], `.all()` handlers left out. */
export function expressRoutes(app: Express): Array<[string, string]> {
  interface Layer {
    route?: { path: string; methods: Record<string, boolean> };
    handle: { stack?: Layer[] };
    rawPath?: unknown;
  }
  const found: Array<[string, string]> = [];
  const walk = (stack: Layer[], prefix: string): void => {
    for (const layer of stack) {
      if (layer.route !== undefined) {
        for (const method of Object.keys(layer.route.methods)) {
          if (method !== '_all') found.push([method.toUpperCase(), prefix + layer.route.path]);
        }
      } else if (layer.handle.stack !== undefined) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, prefix + mount);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return found;
}
