import type { Command } from 'commander';
import { ValidationError } from '../errors.js';
import { reencryptSecrets } from '../store/encrypted-store.js';
import { openStore } from '../store/open-store.js';
import { SecretBox } from '../store/secret-box.js';
import { addSettings, configFrom } from './options.js';

/**
 * `herald rotate-encryption-key --old … --new …`: re-encrypts every stored secret (endpoint secrets,
 * server secrets) from the old key to the new one in one transaction, after checking that each opens
 * with the old key; anything else and nothing is changed. Stop Herald first, then start it with the
 * new key: a process still running with the old one would seal new secrets with it.
 */
export function rotateEncryptionKeyCommand(program: Command): void {
  addSettings(
    program
      .command('rotate-encryption-key')
      .description('re-encrypt every stored secret under a new HERALD_ENCRYPTION_KEY (stop Herald first)')
      .requiredOption('--old <key>', 'the key the secrets are encrypted with now (base64)')
      .requiredOption('--new <key>', 'the new key (base64; `herald keys generate-encryption-key` makes one)'),
    ['db'],
  ).action(async (options: { old: string; new: string }, command: Command) => {
    const from = SecretBox.fromBase64(options.old, '--old');
    const to = SecretBox.fromBase64(options.new, '--new');
    if (from.keyId === to.keyId) throw new ValidationError('--old and --new are the same key', { field: 'new' });
    const store = await openStore(configFrom(command).db);
    let changed: number;
    try {
      changed = await reencryptSecrets(store, from, to);
    } finally {
      await store.close();
    }
    process.stdout.write(
      `re-encrypted ${changed} secrets from key id ${from.keyId} to key id ${to.keyId}; start Herald with HERALD_ENCRYPTION_KEY set to the new key\n`,
    );
  });
}
