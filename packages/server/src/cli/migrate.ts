import type { Command } from 'commander';
import { openStore } from '../store/open-store.js';
import { describeDatabase } from './database-name.js';
import { addSettings, configFrom } from './options.js';

/**
 * `herald migrate`: brings the database schema up to date and exits. Every process also migrates
 * when it starts (safely, several at once); this command lets an upgrade migrate first, before any
 * new process is rolled out.
 */
export function migrateCommand(program: Command): void {
  addSettings(program.command('migrate').description('create or upgrade the database schema, then exit'), ['db']).action(
    async (_options: unknown, command: Command) => {
      const { db } = configFrom(command);
      const store = await openStore(db);
      try {
        await store.migrate();
      } finally {
        await store.close();
      }
      process.stdout.write(`database ${describeDatabase(db)} is up to date\n`);
    },
  );
}
