import { readFileSync } from 'node:fs';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { ConfigError } from '../errors.js';
import { ajvErrorField } from './ajv-errors.js';
import { createCatalog, createPayloadAjv, EVENT_TYPE_NAME, type Catalog, type EventTypeDefinition } from './catalog.js';

/**
 * Loads the built-in catalog (`default-catalog.json`, wire spec §4) and, optionally, an operator's
 * file of the same shape: `{"event_types": [{name, group, description, schema, example}, …]}`.
 * Operator types may not redefine a built-in one: the built-in payloads are a compatibility contract.
 */

const DEFAULT_CATALOG = new URL('./default-catalog.json', import.meta.url);

export function loadCatalog(extraFile?: string): Catalog {
  const ajv = createPayloadAjv();
  const definitions = parseCatalogFile(readJson(DEFAULT_CATALOG, 'the built-in catalog'), 'the built-in catalog', ajv);
  if (extraFile !== undefined) {
    const extra = parseCatalogFile(readJson(extraFile, extraFile), extraFile, ajv);
    const known = new Set(definitions.map((d) => d.name));
    extra.forEach((definition, i) => {
      if (known.has(definition.name)) {
        throw fail(extraFile, `event_types[${i}].name`, `"${definition.name}" is already defined by the built-in catalog`);
      }
    });
    definitions.push(...extra);
  }
  return createCatalog(definitions, ajv);
}

function readJson(file: string | URL, label: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError(`cannot read event catalog ${label}: ${(cause as Error).message}`, { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(`event catalog ${label} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
}

/** Checks the shape of a catalog file; every error names the file and the field. */
function parseCatalogFile(json: unknown, source: string, ajv: Ajv2020): EventTypeDefinition[] {
  if (!isObject(json) || !Array.isArray(json.event_types)) {
    throw fail(source, 'event_types', 'must be an array of event type definitions');
  }
  const seen = new Set<string>();
  return json.event_types.map((raw: unknown, i: number) => {
    const at = `event_types[${i}]`;
    if (!isObject(raw)) throw fail(source, at, 'must be an object');
    const { name, group, description, schema, example } = raw;
    if (typeof name !== 'string' || !EVENT_TYPE_NAME.test(name) || name.length > 100) {
      throw fail(source, `${at}.name`, 'must be lowercase dot-separated words such as "order.paid" (at most 100 characters)');
    }
    if (seen.has(name)) throw fail(source, `${at}.name`, `"${name}" is defined twice`);
    seen.add(name);
    for (const [key, value] of [['group', group], ['description', description]] as const) {
      if (typeof value !== 'string' || value.trim() === '') throw fail(source, `${at}.${key}`, 'must be a non-empty string');
    }
    if (!isObject(schema) || schema.type !== 'object') {
      throw fail(source, `${at}.schema`, 'must be a JSON Schema (draft 2020-12) object with "type": "object"');
    }
    let validate;
    try {
      validate = ajv.compile(schema);
    } catch (cause) {
      throw fail(source, `${at}.schema`, `is not a valid JSON Schema: ${(cause as Error).message}`, cause);
    }
    if (!isObject(example)) throw fail(source, `${at}.example`, 'must be an object (an example payload)');
    if (!validate(example)) {
      const error = validate.errors?.[0];
      const field = error === undefined ? `${at}.example` : ajvErrorField(error, `${at}.example`);
      const rule = error === undefined ? '' : `: ${error.message ?? 'invalid'} (rule: ${error.keyword})`;
      throw fail(source, field, `does not match the schema${rule}`);
    }
    return { name, group: group as string, description: description as string, schema, example };
  });
}

function fail(source: string, field: string, rule: string, cause?: unknown): ConfigError {
  return new ConfigError(`event catalog ${source}: ${field} ${rule}`, { field, cause });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
