import type { Command } from 'commander';
import { issueApiKey } from '../bootstrap.js';
import { duration } from '../config.js';
import { systemClock } from '../clock.js';
import { ValidationError } from '../errors.js';
import { openStore } from '../store/open-store.js';
import { generateEncryptionKey } from '../store/secret-box.js';
import type { ApiKeyDetails, ApiKeyScope, Store } from '../store/store.js';
import { resolveOrganization } from '../tenancy/organization-ref.js';
import { addSettings, configFrom } from './options.js';

const ORGANIZATION_SCOPES: readonly ApiKeyScope[] = ['admin', 'publish', 'read'];

interface KeyTarget {
  org?: string;
  operator?: boolean;
}

/**
 * `herald keys create|list|revoke`: the CLI side of `/v1/api-keys`. `--org` takes an organization's id
 * or uid; `--operator` means the platform's operator keys instead. A revoked key is refused by every
 * API process within a second.
 */
export function keysCommand(program: Command): void {
  const keys = program.command('keys').description('manage API keys: an organization\'s (--org) or the operator keys (--operator)');

  addSettings(
    target(keys.command('create').description('create an API key; it is printed once'))
      .option('--scope <scope>', `for an organization key: ${ORGANIZATION_SCOPES.join(', ')}`, 'admin')
      .option('--name <name>', 'a label to tell keys apart', '')
      .option('--expires-in <duration>', 'e.g. 30d or 12h; default never'),
    ['db'],
  ).action(async (options: KeyTarget & { scope: string; name: string; expiresIn?: string }, command: Command) => {
    await withStore(command, async (store) => {
      const organizationId = await targetOf(store, options);
      if (organizationId !== null && !ORGANIZATION_SCOPES.includes(options.scope as ApiKeyScope)) {
        throw new ValidationError(`--scope must be one of ${ORGANIZATION_SCOPES.join(', ')}`, { field: 'scope' });
      }
      if (options.name.length > 200) throw new ValidationError('--name must be at most 200 characters', { field: 'name' });
      const expiresAt = options.expiresIn === undefined ? null : systemClock.now() + expiresIn(options.expiresIn);
      const { id, apiKey } = await issueApiKey(store, systemClock, {
        organizationId,
        scope: organizationId === null ? 'operator' : (options.scope as ApiKeyScope),
        name: options.name,
        expiresAt,
      });
      process.stdout.write(`api key: ${apiKey}\nid:      ${id}\n`);
    });
  });

  keys
    .command('generate-encryption-key')
    .description('print a new HERALD_ENCRYPTION_KEY (32 random bytes, base64) for encrypting secrets at rest')
    .action(() => {
      process.stdout.write(`${generateEncryptionKey()}\n`);
    });

  addSettings(target(keys.command('list').description('list the keys that are not revoked, newest first')), ['db']).action(
    async (options: KeyTarget, command: Command) => {
      await withStore(command, async (store) => {
        process.stdout.write(keyTable(await store.listApiKeys(await targetOf(store, options))));
      });
    },
  );

  addSettings(target(keys.command('revoke').argument('<id>', 'the key id `keys list` shows').description('revoke a key')), ['db']).action(
    async (id: string, options: KeyTarget, command: Command) => {
      await withStore(command, async (store) => {
        if (!(await store.revokeApiKey(await targetOf(store, options), id, systemClock.now()))) {
          throw new ValidationError(`no key ${id} that is not revoked already`, { field: 'id' });
        }
        process.stdout.write(`revoked ${id}\n`);
      });
    },
  );
}

function target(command: Command): Command {
  return command.option('--org <id or uid>', "an organization's id or uid").option('--operator', 'the operator keys instead');
}

async function targetOf(store: Store, options: KeyTarget): Promise<string | null> {
  if ((options.org === undefined) === (options.operator !== true)) {
    throw new ValidationError('give either --org <id or uid> or --operator', { field: 'org' });
  }
  if (options.operator === true) return null;
  const organization = await resolveOrganization(store, options.org!);
  if (organization === null) throw new ValidationError(`--org: no organization ${options.org} in this database`, { field: 'org' });
  return organization.id;
}

/** Durations as config takes them, plus days: keys are usually made for weeks. */
function expiresIn(raw: string): number {
  const days = /^\s*(\d+)\s*d\s*$/.exec(raw);
  return days ? Number(days[1]) * 86_400_000 : duration(raw, '--expires-in', 1000);
}

function keyTable(keys: ApiKeyDetails[]): string {
  if (keys.length === 0) return 'no keys\n';
  const time = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());
  const rows = [
    ['id', 'prefix', 'scope', 'name', 'created', 'last used', 'expires'],
    ...keys.map((k) => [k.id, `${k.prefix}…`, k.scope, k.name || '-', time(k.createdAt), time(k.lastUsedAt), time(k.expiresAt)]),
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
