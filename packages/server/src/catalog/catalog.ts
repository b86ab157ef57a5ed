import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { InvalidPayloadError, UnknownEventTypeError } from '../errors.js';
import { ajvErrorField, ajvErrorMessage } from './ajv-errors.js';

/**
 * The event catalog: every event type Herald accepts, with a JSON Schema (draft 2020-12) for its
 * payload and an example payload (sent by "test" deliveries). The schemas allow extra fields because
 * producers may add them (wire spec §4).
 */

export interface EventTypeDefinition {
  /** `user.new`: lowercase dot-separated words. */
  name: string;
  group: string;
  description: string;
  schema: Record<string, unknown>;
  example: Record<string, unknown>;
}

export interface Catalog {
  readonly eventTypes: readonly EventTypeDefinition[];
  get(name: string): EventTypeDefinition | undefined;
  /** Throws `UnknownEventTypeError` or `InvalidPayloadError` (field `payload.…`). */
  validatePayload(type: string, payload: unknown): void;
}

export const EVENT_TYPE_NAME = /^[a-z0-9_]+(\.[a-z0-9_]+)+$/;

export function createPayloadAjv(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: false, strict: true, strictTypes: false, allowUnionTypes: true });
  // ajv-formats is CommonJS; its default export arrives as the module object under NodeNext.
  addFormats.default(ajv);
  return ajv;
}

/**
 * Builds a catalog from definitions already checked by `parseCatalogFile`. Pass the Ajv that checked
 * them: it caches each compiled schema by object, so nothing is compiled twice.
 */
export function createCatalog(definitions: readonly EventTypeDefinition[], ajv: Ajv2020): Catalog {
  const byName = new Map<string, { definition: EventTypeDefinition; validate: ValidateFunction }>();
  for (const definition of definitions) {
    byName.set(definition.name, { definition, validate: ajv.compile(definition.schema) });
  }
  return {
    eventTypes: [...definitions],
    get: (name) => byName.get(name)?.definition,
    validatePayload(type, payload) {
      const entry = byName.get(type);
      if (entry === undefined) {
        throw new UnknownEventTypeError(`event type "${type}" is not in the catalog (GET /v1/event-types lists them)`, {
          field: 'event',
        });
      }
      if (entry.validate(payload)) return;
      const error = entry.validate.errors?.[0];
      if (error === undefined) throw new InvalidPayloadError(`payload does not match the ${type} schema`, { field: 'payload' });
      const field = ajvErrorField(error, 'payload');
      throw new InvalidPayloadError(ajvErrorMessage(error, field), { field });
    },
  };
}
