import pg from 'pg';
import { ConfigError } from '../../errors.js';

export interface PostgresStoreOptions {
  /** Where Herald's tables live; created if missing. Default: the URL's `schema` parameter, else `public`. */
  schema?: string;
  /** Connections in this process's pool (the LISTEN connection comes on top). Default: the URL's `pool_size`, else 10. */
  poolSize?: number;
}

/**
 * The client settings for a `--db` URL. The URL is libpq-style; Herald reads two extra query
 * parameters from it, so that one setting (`--db` / `HERALD_DATABASE_URL`) says everything:
 * `schema` and `pool_size`. Every connection's search_path is the schema, so the SQL names none.
 */
export function connectionSettings(
  url: string,
  options: PostgresStoreOptions,
): { config: pg.ClientConfig; schema: string; poolSize: number } {
  const { connectionString, schema, poolSize, serverOptions } = parseUrl(url, options);
  const config: pg.ClientConfig = {
    connectionString,
    // Two planner settings, both measured to matter:
    // - plan_cache_mode: hot statements are named (parsed once per connection) but always planned
    //   for their actual parameters. A generic plan fixed while the deliveries table was small —
    //   after start, or before a burst — keeps scanning it whole once it has grown: a tenth of the
    //   delivery rate in the benchmark.
    // - jit=off: every statement here is short, but some have estimated costs past jit_above_cost
    //   (a subquery per endpoint on a table not yet analyzed); compiling them took ~20 ms a time,
    //   and deliveries arrived a second late.
    options: [serverOptions, `-c search_path=${schema}`, '-c plan_cache_mode=force_custom_plan', '-c jit=off']
      .filter(Boolean)
      .join(' '),
    application_name: 'herald',
    types: TYPES,
  };
  return { config, schema, poolSize };
}

function parseUrl(
  url: string,
  options: PostgresStoreOptions,
): { connectionString: string; schema: string; poolSize: number; serverOptions: string | null } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new ConfigError('--db must be a valid postgres:// URL', { field: 'db', cause: error });
  }
  const params = parsed.searchParams;
  const schema = options.schema ?? params.get('schema') ?? 'public';
  const poolSizeText = options.poolSize !== undefined ? String(options.poolSize) : (params.get('pool_size') ?? '10');
  const poolSize = /^\d+$/.test(poolSizeText) ? Number(poolSizeText) : Number.NaN;
  // pg would let a URL's own `options` replace ours (and with it the search_path), so merge them.
  const serverOptions = params.get('options');
  for (const name of ['schema', 'pool_size', 'options']) params.delete(name);
  assertSchemaName(schema);
  if (!(poolSize >= 1 && poolSize <= 1000)) {
    throw new ConfigError(`--db: pool_size must be a whole number from 1 to 1000, got ${JSON.stringify(poolSizeText)}`, {
      field: 'db',
    });
  }
  return { connectionString: parsed.toString(), schema, poolSize, serverOptions };
}

/**
 * Times are bigint milliseconds and counts are bigint; `pg` hands both back as strings so as not to
 * lose precision past 2^53. Milliseconds until the year 285,000 fit, so they become numbers here —
 * per pool, not through `pg.types.setTypeParser`, which would change every pool in the process.
 */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Schema names end up in SQL and in the connection's search_path, so only plain identifiers pass. */
function assertSchemaName(schema: string): void {
  if (!IDENTIFIER.test(schema)) {
    throw new ConfigError(
      `--db: schema must be a lowercase identifier (letters, digits, underscore; at most 63 characters), got "${schema}"`,
      { field: 'db' },
    );
  }
}
