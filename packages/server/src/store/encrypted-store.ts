import { ConfigError } from '../errors.js';
import { isSealed, secretContext, SecretBox, SecretBoxError, sealedKeyId, ENCRYPTION_KEY_ENV } from './secret-box.js';
import { openStore } from './open-store.js';
import type { ClaimedDelivery, StoredSecret, StoredSecretChange, Store } from './store.js';

/**
 * Secrets at rest, at the store boundary: the Store that `herald serve` and `herald dispatch` use is
 * wrapped so that endpoint signing secrets and server secrets (the dashboard's and portal's signing
 * key, the operational-webhook secret, …) are sealed on the way in and opened on the way out. The
 * SQLite and PostgreSQL stores underneath only ever see sealed text.
 *
 * `secureStore` runs at start, before anything else touches the store:
 * - without a key: if any stored secret is sealed, Herald stops (it could sign nothing); else it
 *   runs as before, with one warning;
 * - with a key: every sealed secret must open with it, or Herald stops naming the key ids, having
 *   written nothing; then the secrets still in plain text are sealed in one transaction.
 */
export async function secureStore(store: Store, box: SecretBox | null, warn: (message: string) => void): Promise<Store> {
  const stored = await store.listStoredSecrets();
  const sealed = stored.filter((secret) => isSealed(secret.value));
  if (box === null) {
    if (sealed.length > 0) {
      const keyIds = [...new Set(sealed.map((secret) => sealedKeyId(secret.value)))].join(', ');
      throw new ConfigError(
        `the database holds ${sealed.length} encrypted secrets (key id ${keyIds}) but ${ENCRYPTION_KEY_ENV} is not set; ` +
          'start Herald with the key they were encrypted with',
        { field: ENCRYPTION_KEY_ENV },
      );
    }
    warn(
      `WARNING: ${ENCRYPTION_KEY_ENV} is not set: endpoint signing secrets and the dashboard's signing key are stored in plain text. ` +
        '`herald keys generate-encryption-key` makes a key (docs/operations.md, "Encryption keys").\n',
    );
    return store;
  }
  assertAllOpen(sealed, box);
  const changes: StoredSecretChange[] = stored
    .filter((secret) => !isSealed(secret.value))
    .map((secret) => ({ kind: secret.kind, ref: secret.ref, from: secret.value, to: box.seal(secret.value, secretContext(secret.kind, secret.owner)) }));
  await store.replaceStoredSecrets(changes);
  return encryptingStore(store, box);
}

/**
 * Re-encrypts every stored secret from `from` to `to` (plain text ones too), in one transaction,
 * after checking that every sealed one opens with `from`. Herald must be stopped meanwhile: a running
 * process would go on sealing new secrets with the old key.
 */
export async function reencryptSecrets(store: Store, from: SecretBox, to: SecretBox): Promise<number> {
  const stored = await store.listStoredSecrets();
  const pending = stored.filter((secret) => sealedKeyId(secret.value) !== to.keyId);
  assertAllOpen(pending.filter((secret) => isSealed(secret.value)), from);
  const changes = pending.map((secret): StoredSecretChange => {
    const context = secretContext(secret.kind, secret.owner);
    const plaintext = isSealed(secret.value) ? from.open(secret.value, context) : secret.value;
    return { kind: secret.kind, ref: secret.ref, from: secret.value, to: to.seal(plaintext, context) };
  });
  return store.replaceStoredSecrets(changes);
}

function assertAllOpen(sealed: StoredSecret[], box: SecretBox): void {
  for (const secret of sealed) {
    try {
      box.open(secret.value, secretContext(secret.kind, secret.owner));
    } catch (error) {
      if (!(error instanceof SecretBoxError)) throw error;
      const which = secret.kind === 'endpoint' ? `a secret of endpoint ${secret.owner}` : `the server secret "${secret.owner}"`;
      const why =
        error.reason === 'other_key'
          ? `it is encrypted with key id ${sealedKeyId(secret.value)}, and this key's id is ${box.keyId}: wrong key`
          : error.message;
      throw new ConfigError(`cannot decrypt ${which} (${why}); nothing was changed`, { field: ENCRYPTION_KEY_ENV, cause: error });
    }
  }
}

/** The store with secrets sealed on write and opened on read; everything else passes through. */
function encryptingStore(store: Store, box: SecretBox): Store {
  const open = (value: string, context: string) => (isSealed(value) ? box.open(value, context) : value);
  const openSecrets = (delivery: ClaimedDelivery): ClaimedDelivery => ({
    ...delivery,
    secrets: delivery.secrets.map((secret) => open(secret, secretContext('endpoint', delivery.endpointId))),
  });
  const overrides: Partial<Store> = {
    createEndpoint: (endpoint) =>
      store.createEndpoint({ ...endpoint, secret: box.seal(endpoint.secret, secretContext('endpoint', endpoint.id)) }),
    rotateSecret: (organizationId, endpointId, secret, now, previousExpiresAt) =>
      store.rotateSecret(organizationId, endpointId, box.seal(secret, secretContext('endpoint', endpointId)), now, previousExpiresAt),
    listSecrets: async (organizationId, endpointId, now) =>
      (await store.listSecrets(organizationId, endpointId, now)).map((s) => ({
        ...s,
        secret: open(s.secret, secretContext('endpoint', endpointId)),
      })),
    claimDueDeliveries: async (options) => (await store.claimDueDeliveries(options)).map(openSecrets),
    recordAttempts: async (records, feedback, thenClaim) => (await store.recordAttempts(records, feedback, thenClaim)).map(openSecrets),
    getOrCreateServerSecret: async (name, candidate, now) => {
      const context = secretContext('server', name);
      return open(await store.getOrCreateServerSecret(name, box.seal(candidate, context), now), context);
    },
  };
  return new Proxy(store, {
    get(target, property, receiver) {
      if (typeof property === 'string' && Object.hasOwn(overrides, property)) return overrides[property as keyof Store];
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** `openStore`, then `secureStore`; the store is closed again if securing it fails. */
export async function openSecuredStore(db: string, box: SecretBox | null, warn: (message: string) => void): Promise<Store> {
  const store = await openStore(db);
  try {
    return await secureStore(store, box, warn);
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
}
