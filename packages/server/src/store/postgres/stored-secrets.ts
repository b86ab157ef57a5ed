import type { Pool } from 'pg';
import type { SecretStorage, StoredSecret, StoredSecretChange } from '../store.js';
import { inTransaction } from './transaction.js';

/**
 * Reading and rewriting every stored secret value, for encryption at rest (`store/encrypted-store.ts`).
 * PostgreSQL keeps an updated row's old version until (auto)vacuum reclaims it; `docs/operations.md`
 * says how to scrub it at once.
 */
export class PostgresStoredSecrets implements SecretStorage {
  constructor(private readonly pool: Pool) {}

  async listStoredSecrets(): Promise<StoredSecret[]> {
    const endpoint = await this.pool.query<{ seq: number; endpoint_id: string; secret: string }>(
      'SELECT seq, endpoint_id, secret FROM endpoint_secrets ORDER BY seq',
    );
    const server = await this.pool.query<{ name: string; value: string }>('SELECT name, value FROM server_secrets ORDER BY name');
    return [
      ...endpoint.rows.map((row): StoredSecret => ({ kind: 'endpoint', ref: String(row.seq), owner: row.endpoint_id, value: row.secret })),
      ...server.rows.map((row): StoredSecret => ({ kind: 'server', ref: row.name, owner: row.name, value: row.value })),
    ];
  }

  async replaceStoredSecrets(changes: StoredSecretChange[]): Promise<number> {
    if (changes.length === 0) return 0;
    return inTransaction(this.pool, async (client) => {
      let changed = 0;
      for (const change of changes) {
        const { rowCount } =
          change.kind === 'endpoint'
            ? await client.query('UPDATE endpoint_secrets SET secret = $1 WHERE seq = $2 AND secret = $3', [change.to, Number(change.ref), change.from])
            : await client.query('UPDATE server_secrets SET value = $1 WHERE name = $2 AND value = $3', [change.to, change.ref, change.from]);
        changed += rowCount ?? 0;
      }
      return changed;
    });
  }
}
