import pg from 'pg';

/**
 * Whether the PostgreSQL server at `url` answers, asked patiently: a machine busy enough to time out
 * a connection must slow the tests down, never skip them. Answers that only mean "not yet" — a
 * timeout, a reset, a server starting up or out of connection slots — are retried with backoff until
 * `patienceMs`; answers that mean "not here" (refused, unknown host, bad credentials, no such
 * database) are reported at once. Null when it answered; otherwise why not.
 */
export async function probePostgres(url: string, options: ProbeOptions = {}): Promise<string | null> {
  const { patienceMs = 30_000, connectTimeoutMs = 10_000 } = options;
  const deadline = Date.now() + patienceMs;
  for (let attempt = 1, delayMs = 250; ; attempt++, delayMs = Math.min(delayMs * 2, 4000)) {
    const timeout = Math.max(100, Math.min(connectTimeoutMs, deadline - Date.now()));
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeout });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return null;
    } catch (error) {
      const why = (error as Error).message || String(error);
      if (!isTransient(error)) return why;
      if (Date.now() + delayMs >= deadline) return `${why}; still no answer after ${attempt} tries in ${Math.round(patienceMs / 1000)} s`;
    } finally {
      await client.end().catch(() => undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
}

export interface ProbeOptions {
  /** How long to keep asking while the answers only mean "not yet". Default 30 s. */
  patienceMs?: number;
  /** Limit on one connection attempt. Default 10 s. */
  connectTimeoutMs?: number;
}

// SQLSTATE 57P03: the database system is starting up; 53300: too many connections.
const TRANSIENT_SQLSTATES = new Set(['57P03', '53300']);
const TRANSIENT_NETWORK_CODES = new Set(['ETIMEDOUT', 'ECONNRESET', 'EPIPE', 'EAI_AGAIN']);

function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return TRANSIENT_SQLSTATES.has(code) || TRANSIENT_NETWORK_CODES.has(code);
  // pg reports its own connect timeout as a plain Error ("timeout expired", or "Connection terminated"
  // when it cuts the socket), and a server that hangs up as "Connection terminated unexpectedly".
  return /timeout expired|connection terminated/i.test((error as Error).message ?? '');
}
