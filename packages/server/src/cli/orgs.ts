import type { Command } from 'commander';
import { createApiKey, createOrganization } from '../bootstrap.js';
import { systemClock } from '../clock.js';
import { ValidationError } from '../errors.js';
import { isUuid } from '../ids.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { addSettings, configFrom } from './options.js';

export function orgsCommand(program: Command): void {
  const orgs = program.command('orgs').description('manage organizations');
  addSettings(orgs.command('create').argument('<name>', 'organization name').description('create an organization and its first API key'), ['db']).action(
    async (name: string, _options: unknown, command: Command) => {
      if (name.trim() === '' || name.length > 200) {
        throw new ValidationError('<name> must be 1 to 200 characters', { field: 'name' });
      }
      await withStore(command, async (store) => {
        const created = await createOrganization(store, name.trim(), systemClock);
        process.stdout.write(`organization: ${created.organizationId}\napi key:      ${created.apiKey}\n`);
      });
    },
  );
}

export function keysCommand(program: Command): void {
  const keys = program.command('keys').description('manage API keys');
  addSettings(keys.command('create').requiredOption('--org <id>', 'organization id').description('create an API key for an organization'), ['db']).action(
    async (options: { org: string }, command: Command) => {
      if (!isUuid(options.org)) throw new ValidationError('--org must be an organization id (a UUID)', { field: 'org' });
      await withStore(command, async (store) => {
        if (!(await store.getOrganization(options.org))) {
          throw new ValidationError(`--org: no organization ${options.org} in this database`, { field: 'org' });
        }
        process.stdout.write(`api key: ${await createApiKey(store, options.org, systemClock)}\n`);
      });
    },
  );
}

async function withStore(command: Command, work: (store: Store) => Promise<void>): Promise<void> {
  const store = await openStore(configFrom(command).db);
  try {
    await work(store);
  } finally {
    await store.close();
  }
}
