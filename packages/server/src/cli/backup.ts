import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import BetterSqlite3 from 'better-sqlite3';
import { ValidationError } from '../errors.js';
import { isPostgresUrl } from '../store/open-store.js';
import { addSettings, configFrom } from './options.js';

/** Pages per backup step: all of them, so the copy is one snapshot that writers cannot restart. */
const ALL_PAGES = 0x7fffffff;

/**
 * `herald backup --db <sqlite file> <out file>`: a consistent copy of a SQLite database, taken while
 * Herald runs, with SQLite's online backup. The copy is made in one step, inside one read
 * transaction: in WAL mode that never blocks Herald's writers, and no write can restart it (the
 * backup API restarts a step-by-step copy whenever another connection writes in between). It is
 * written next to `out` first, checked (`quick_check`) and renamed into place, so `out` is either
 * absent or complete. Restoring is starting Herald on the copy (`docs/operations.md`).
 */
export function backupCommand(program: Command): void {
  addSettings(
    program
      .command('backup')
      .description('copy a SQLite database consistently while Herald runs (SQLite online backup)')
      .argument('<out>', 'the file to write; must not exist yet'),
    ['db'],
  ).action(async (out: string, _options: unknown, command: Command) => {
    const { db } = configFrom(command);
    if (isPostgresUrl(db)) {
      throw new ValidationError('herald backup copies SQLite files; for PostgreSQL use pg_dump (docs/operations.md, "Backup and restore")', { field: 'db' });
    }
    if (!existsSync(db)) throw new ValidationError(`--db: no database file at ${db}`, { field: 'db' });
    if (existsSync(out)) throw new ValidationError(`${out} exists already; back up to a new file`, { field: 'out' });
    const partial = `${out}.partial`;
    rmSync(partial, { force: true });
    const started = performance.now();
    const source = new BetterSqlite3(db, { fileMustExist: true });
    try {
      source.pragma('busy_timeout = 5000');
      await source.backup(partial, { progress: () => ALL_PAGES });
    } finally {
      source.close();
    }
    const copy = new BetterSqlite3(partial, { fileMustExist: true });
    let check: unknown;
    try {
      check = copy.pragma('quick_check', { simple: true });
    } finally {
      copy.close();
    }
    if (check !== 'ok') {
      rmSync(partial, { force: true });
      throw new Error(`the copy failed its integrity check (${String(check)}); nothing was written to ${out}`);
    }
    renameSync(partial, out);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stdout.write(`backed up ${db} to ${out} (${statSync(out).size} bytes, ${seconds} s)\n`);
  });
}
