import type { Pool, PoolClient } from 'pg';

/** serialization_failure and deadlock_detected: PostgreSQL rolled the transaction back; running it again is safe. */
const RETRYABLE_CODES = new Set(['40001', '40P01']);
const MAX_RUNS = 3;

/**
 * Runs `work` in a READ COMMITTED transaction on one pooled connection, committing when it resolves
 * and rolling back when it throws. A deadlock or serialization failure reruns `work` from the start
 * (so `work` must not have effects outside the database), at most three times in all. `settings`
 * are `SET LOCAL` for the transaction, sent with its BEGIN in one round trip.
 */
export async function inTransaction<T>(
  pool: Pool,
  work: (client: PoolClient) => Promise<T>,
  settings: Readonly<Record<string, string>> = {},
): Promise<T> {
  const begin = ['BEGIN', ...Object.entries(settings).map(([name, value]) => `SET LOCAL ${name} = ${value}`)].join('; ');
  for (let run = 1; ; run++) {
    const client = await pool.connect();
    let broken = false;
    // A connection that drops between statements (server restart, failover) emits 'error' on the
    // checked-out client, where nothing else listens: unheard, it would crash the process. The
    // statement under way rejects anyway; the client is discarded below.
    const onError = (): void => {
      broken = true;
    };
    client.on('error', onError);
    try {
      await client.query(begin);
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      if (run < MAX_RUNS && isRetryable(error)) continue;
      throw error;
    } finally {
      // A connection that cannot even roll back is discarded rather than handed to the next caller.
      client.off('error', onError);
      client.release(broken);
    }
  }
}

/**
 * Runs one statement (`work`), again if PostgreSQL rolled it back for a deadlock or a serialization
 * failure, at most three times in all. A single statement is its own transaction: rerunning it is safe.
 */
export async function retryingStatement<T>(work: () => Promise<T>): Promise<T> {
  for (let run = 1; ; run++) {
    try {
      return await work();
    } catch (error) {
      if (run < MAX_RUNS && isRetryable(error)) continue;
      throw error;
    }
  }
}

function isRetryable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && RETRYABLE_CODES.has(String((error as { code?: unknown }).code));
}
