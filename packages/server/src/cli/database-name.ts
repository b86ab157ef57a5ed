import { isPostgresUrl } from '../store/open-store.js';

/**
 * The `--db` value fit for logs and banners: a PostgreSQL URL loses its password, whether in the
 * authority or in a `password` / `sslpassword` query parameter (both reach the server through pg).
 */
export function describeDatabase(db: string): string {
  if (!isPostgresUrl(db)) return db;
  try {
    const url = new URL(db);
    if (url.password !== '') url.password = '***';
    for (const name of ['password', 'sslpassword']) {
      if (url.searchParams.has(name)) url.searchParams.set(name, '***');
    }
    return url.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}
