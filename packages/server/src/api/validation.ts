import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyRequest, FastifySchemaCompiler } from 'fastify';

/**
 * Route schema compilers. Bodies are validated strictly — no type coercion, unknown fields refused —
 * so `"enabled": "yes"` or a misspelt field is an error naming the field, not a silent guess. Query
 * strings, params and headers are text on the wire, so they are coerced (`limit=10` → 10).
 */
export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const body = createAjv(false);
  const text = createAjv('array');
  return ({ schema, httpPart }) => (httpPart === 'body' ? body : text).compile(schema as object);
}

function createAjv(coerceTypes: false | 'array'): Ajv {
  const ajv = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: false, strict: true });
  // ajv-formats is CommonJS; its default export arrives as the module object under NodeNext.
  addFormats.default(ajv);
  return ajv;
}

/**
 * `preValidation` of the routes whose body is optional (a rotation, a test event, a portal link):
 * an absent body is validated, defaulted and handled as `{}`, so the handler always gets an object.
 */
export async function absentBodyAsEmpty(request: FastifyRequest): Promise<void> {
  request.body ??= {};
}
