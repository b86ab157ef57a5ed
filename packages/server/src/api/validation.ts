import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyRequest, FastifySchemaCompiler } from 'fastify';
import { ValidationError } from '../errors.js';
import { unstorableReason } from '../store/storable-text.js';
import { parseDateTime } from './date-time.js';

/**
 * Route schema compilers: every route's params, query string, headers and body pass through here,
 * which makes this the one boundary for what a request says.
 *
 * Bodies are validated strictly — no type coercion, unknown fields refused — so `"enabled": "yes"`
 * or a misspelt field is an error naming the field, not a silent guess. Query strings, params and
 * headers are text on the wire, so they are coerced (`limit=10` → 10).
 *
 * Once a request part matches its schema, each string the schema declares is checked to be storable
 * exactly (`store/storable-text.ts`): NUL, which PostgreSQL refuses, and a lone surrogate, which
 * both stores would silently replace, are a 400 naming the field on either store. And each
 * `date-time` is rewritten as canonical `toISOString()` text, so `Date.parse` in a handler always
 * gives the instant `date-time.ts` read.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const body = createAjv(false);
  const text = createAjv('array');
  return ({ schema, httpPart }) => {
    const validate = (httpPart === 'body' ? body : text).compile(schema as object);
    const check = (data: unknown) => {
      if (!validate(data)) return false;
      // The root is always an object, so nothing replaces it.
      const error = checkDeclaredText(schema as Schema, data, '', () => undefined);
      return error === null ? true : { error };
    };
    // Fastify reads a failed validation's errors off the function, as ajv leaves them.
    return Object.defineProperty(check, 'errors', { get: () => validate.errors });
  };
}

function createAjv(coerceTypes: false | 'array'): Ajv {
  const ajv = new Ajv({ coerceTypes, useDefaults: true, removeAdditional: false, allErrors: false, strict: true });
  // ajv-formats is CommonJS; its default export arrives as the module object under NodeNext.
  addFormats.default(ajv);
  ajv.addFormat('date-time', { type: 'string', validate: (value: string) => parseDateTime(value) !== null });
  return ajv;
}

interface Schema {
  format?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
}

/**
 * Walks `value` along `schema`, checking each string at a place the schema declares and replacing
 * each `date-time` through `set`. An object without declared properties (an event's `payload`) is
 * not walked: it is stored as JSON text, where `JSON.stringify` escapes NUL and lone surrogates, so
 * every character survives.
 */
function checkDeclaredText(schema: Schema, value: unknown, field: string, set: (value: unknown) => void): ValidationError | null {
  if (typeof value === 'string') {
    const reason = unstorableReason(value);
    if (reason !== null) return new ValidationError(`${field || 'the value'} ${reason}`, { field });
    if (schema.format === 'date-time') set(new Date(parseDateTime(value)!).toISOString());
    return null;
  }
  if (Array.isArray(value)) {
    if (schema.items === undefined) return null;
    for (let i = 0; i < value.length; i++) {
      const error = checkDeclaredText(schema.items, value[i], `${field}[${i}]`, (v) => void (value[i] = v));
      if (error !== null) return error;
    }
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const object = value as Record<string, unknown>;
  const extra = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
  for (const key of Object.keys(object)) {
    const declared = schema.properties?.[key] ?? extra;
    if (declared === undefined) continue;
    const keyField = field === '' ? key : `${field}.${key}`;
    if (declared === extra) {
      const reason = unstorableReason(key);
      if (reason !== null) return new ValidationError(`the name of ${keyField} ${reason}`, { field: keyField });
    }
    const error = checkDeclaredText(declared, object[key], keyField, (v) => void (object[key] = v));
    if (error !== null) return error;
  }
  return null;
}

/**
 * `preValidation` of the routes whose body is optional (a rotation, a test event, a portal link):
 * an absent body is validated, defaulted and handled as `{}`, so the handler always gets an object.
 */
export async function absentBodyAsEmpty(request: FastifyRequest): Promise<void> {
  request.body ??= {};
}
