/** The `--db` value fit for logs and banners: a PostgreSQL URL loses its password. */
export function describeDatabase(db: string): string {
  if (!/^postgres(ql)?:\/\//i.test(db)) return db;
  try {
    const url = new URL(db);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}
