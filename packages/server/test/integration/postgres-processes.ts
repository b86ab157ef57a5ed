import { POSTGRES_URL, type TestSchema } from '../store/postgres-support.js';

/** `--db` for a test's own schema: Herald reads `schema` from the URL. */
export function schemaUrl(schema: TestSchema): string {
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('schema', schema.schema);
  return url.toString();
}
