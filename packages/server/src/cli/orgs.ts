import type { Command } from 'commander';
import { createOrganization } from '../bootstrap.js';
import { systemClock } from '../clock.js';
import { ValidationError } from '../errors.js';
import { openStore } from '../store/open-store.js';
import type { OrganizationProfile, Store } from '../store/store.js';
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
  addSettings(orgs.command('list').description('list the organizations, oldest first: id, name, uid, created'), ['db']).action(
    async (_options: unknown, command: Command) => {
      await withStore(command, async (store) => {
        process.stdout.write(organizationTable(await allOrganizations(store)));
      });
    },
  );
}

async function allOrganizations(store: Store): Promise<OrganizationProfile[]> {
  const organizations: OrganizationProfile[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.listOrganizationProfiles({ limit: 500, ...(cursor === null ? {} : { cursor }) });
    organizations.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return organizations;
}

/** One line per organization under a header, columns aligned; the id first, so `awk '{print $1}'` lists the ids. */
function organizationTable(organizations: OrganizationProfile[]): string {
  if (organizations.length === 0) {
    return 'no organizations yet: `herald serve` creates the first on an empty database, `herald orgs create NAME` any other\n';
  }
  const rows = [
    ['id', 'name', 'uid', 'created'],
    ...organizations.map((org) => [org.id, org.name, org.uid ?? '-', new Date(org.createdAt).toISOString()]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')).join('\n') + '\n';
}

async function withStore(command: Command, work: (store: Store) => Promise<void>): Promise<void> {
  const store = await openStore(configFrom(command).db);
  try {
    await work(store);
  } finally {
    await store.close();
  }
}
