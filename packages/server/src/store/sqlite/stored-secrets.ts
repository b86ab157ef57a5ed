import type { Database } from 'better-sqlite3';
import type { SecretStorage, StoredSecret, StoredSecretChange } from '../store.js';
import { writeTransaction } from './write-gate.js';

/** Reading and rewriting every stored secret value, for encryption at rest (`store/encrypted-store.ts`). */
export class SqliteStoredSecrets implements SecretStorage {
  constructor(private readonly db: Database) {}

  async listStoredSecrets(): Promise<StoredSecret[]> {
    const endpointSecrets = this.db
      .prepare('SELECT seq, endpoint_id, secret FROM endpoint_secrets ORDER BY seq')
      .all() as Array<{ seq: number; endpoint_id: string; secret: string }>;
    const serverSecrets = this.db.prepare('SELECT name, value FROM server_secrets ORDER BY name').all() as Array<{
      name: string;
      value: string;
    }>;
    return [
      ...endpointSecrets.map((row): StoredSecret => ({ kind: 'endpoint', ref: String(row.seq), owner: row.endpoint_id, value: row.secret })),
      ...serverSecrets.map((row): StoredSecret => ({ kind: 'server', ref: row.name, owner: row.name, value: row.value })),
    ];
  }

  async replaceStoredSecrets(changes: StoredSecretChange[]): Promise<number> {
    if (changes.length === 0) return 0;
    const endpoint = this.db.prepare('UPDATE endpoint_secrets SET secret = ? WHERE seq = ? AND secret = ?');
    const server = this.db.prepare('UPDATE server_secrets SET value = ? WHERE name = ? AND value = ?');
    const changed = writeTransaction(this.db, () => {
      let n = 0;
      for (const change of changes) {
        const statement = change.kind === 'endpoint' ? endpoint : server;
        n += statement.run(change.to, change.kind === 'endpoint' ? Number(change.ref) : change.ref, change.from).changes;
      }
      return n;
    });
    // An UPDATE leaves the old bytes in the page's free space, in free pages and in WAL frames until
    // they are reused. VACUUM rebuilds every page from the live rows, and a TRUNCATE checkpoint
    // copies the result into the file and empties the WAL: no copy of the old values stays on disk.
    this.db.exec('VACUUM');
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    return changed;
  }
}
