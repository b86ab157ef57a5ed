import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { uuidv7 } from '../../src/ids.js';
import { reencryptSecrets, secureStore } from '../../src/store/encrypted-store.js';
import { generateEncryptionKey, SecretBox, SecretBoxError } from '../../src/store/secret-box.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { runHerald } from '../../../../test-support/herald-process.js';
import { manualClock, newEndpoint, newEvent, tempSqlitePath } from '../helpers/fixtures.js';
import { adminQuery, postgresSchemaOrSkip } from './postgres-support.js';

const ENDPOINT_SECRET = 'whsec_plaintext-endpoint-secret-0123456789';
const ROTATED_SECRET = 'whsec_plaintext-rotated-secret-9876543210';
const SERVER_SECRET = 'plaintext-server-secret-abcdefghijklmnop';

const noWarnings = (message: string) => assert.fail(`unexpected warning: ${message}`);

/** The database file and its WAL as bytes, and whether any of the secrets' text is in them. */
function secretTextOnDisk(path: string): string[] {
  const bytes = Buffer.concat([readFileSync(path), existsSync(`${path}-wal`) ? readFileSync(`${path}-wal`) : Buffer.alloc(0)]);
  // The distinctive middle of each secret, so a prefix shared with something else cannot hide a leak.
  return [ENDPOINT_SECRET, ROTATED_SECRET, SERVER_SECRET].filter((secret) => bytes.includes(secret.slice(6, 30)));
}

/** An endpoint with a rotated secret, a server secret and a pending delivery, written through `store`. */
async function writeSecrets(store: Store) {
  const clock = manualClock();
  const org = uuidv7();
  await store.createOrganization({ id: org, name: 'Acme', createdAt: clock.now() });
  const endpoint = await store.createEndpoint(newEndpoint(org, { secret: ENDPOINT_SECRET }));
  await store.rotateSecret(org, endpoint.id, ROTATED_SECRET, clock.now(), clock.now() + 86_400_000);
  await store.getOrCreateServerSecret('session-key', SERVER_SECRET, clock.now());
  await store.publishEvents([newEvent(org)]);
  return { org, endpointId: endpoint.id, now: clock.now() };
}

/** What Herald reads back through `store`: the endpoint's secrets, a claim's, and the server secret. */
async function readBack(store: Store, { org, endpointId, now }: { org: string; endpointId: string; now: number }) {
  const listed = (await store.listSecrets(org, endpointId, now)).map((s) => s.secret);
  const [claimed] = await store.claimDueDeliveries({ leaseOwner: 't', limit: 1, leaseMs: 30_000, now, perEndpointLimit: 1 });
  const server = await store.getOrCreateServerSecret('session-key', 'a candidate that loses', now);
  return { listed, claimed: claimed?.secrets, server };
}

describe('the secret box', () => {
  const box = SecretBox.fromBase64(generateEncryptionKey());

  it('opens what it sealed, for the row it was sealed for only', () => {
    const sealed = box.seal(ENDPOINT_SECRET, 'endpoint_secret:a');
    assert.match(sealed, new RegExp(`^hsb1:${box.keyId}:[A-Za-z0-9_-]+$`));
    assert.ok(!sealed.includes(ENDPOINT_SECRET.slice(6)));
    assert.notEqual(box.seal(ENDPOINT_SECRET, 'endpoint_secret:a'), sealed, 'a fresh IV each time');
    assert.equal(box.open(sealed, 'endpoint_secret:a'), ENDPOINT_SECRET);
    assert.throws(() => box.open(sealed, 'endpoint_secret:b'), (e: unknown) => e instanceof SecretBoxError && e.reason === 'damaged');
  });

  it('tells another key apart from damage', () => {
    const other = SecretBox.fromBase64(generateEncryptionKey());
    const sealed = other.seal('x', 'c');
    assert.throws(() => box.open(sealed, 'c'), (e: unknown) => e instanceof SecretBoxError && e.reason === 'other_key');
    const tampered = sealed.slice(0, -2) + (sealed.endsWith('AA') ? 'BB' : 'AA');
    assert.throws(() => other.open(tampered, 'c'), (e: unknown) => e instanceof SecretBoxError && e.reason === 'damaged');
  });

  it('refuses a key that is not 32 bytes of base64, naming the variable', () => {
    assert.throws(() => SecretBox.fromBase64('c2hvcnQ='), /HERALD_ENCRYPTION_KEY must be 32 random bytes in base64.*got 5 bytes/);
  });
});

describe('secrets at rest on SQLite', () => {
  it('with a key, keeps no secret text in the database file or its WAL, and reads the secrets back', async (t) => {
    const path = tempSqlitePath(t);
    const box = SecretBox.fromBase64(generateEncryptionKey());
    const store = await secureStore(await openSqliteStore(path), box, noWarnings);
    const written = await writeSecrets(store);
    // While Herald runs, the newest pages are in the WAL: both are read.
    assert.deepEqual(secretTextOnDisk(path), []);
    assert.deepEqual(await readBack(store, written), {
      listed: [ROTATED_SECRET, ENDPOINT_SECRET],
      claimed: [ROTATED_SECRET, ENDPOINT_SECRET],
      server: SERVER_SECRET,
    });
    await store.close();
    assert.deepEqual(secretTextOnDisk(path), []);
  });

  it('without a key runs as before and warns once; the first start with a key encrypts what is there, leaving no plain text behind', async (t) => {
    const path = tempSqlitePath(t);
    const warnings: string[] = [];
    const plain = await secureStore(await openSqliteStore(path), null, (message) => warnings.push(message));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /HERALD_ENCRYPTION_KEY is not set: endpoint signing secrets .* are stored in plain text/);
    const written = await writeSecrets(plain);
    await plain.close();
    // The check can see secrets: before the key, there they are.
    assert.deepEqual(secretTextOnDisk(path), [ENDPOINT_SECRET, ROTATED_SECRET, SERVER_SECRET]);

    const box = SecretBox.fromBase64(generateEncryptionKey());
    const store = await secureStore(await openSqliteStore(path), box, noWarnings);
    assert.deepEqual(secretTextOnDisk(path), []);
    assert.ok((await store.listStoredSecrets()).every((s) => s.value.startsWith(`hsb1:${box.keyId}:`)));
    assert.deepEqual((await readBack(store, written)).claimed, [ROTATED_SECRET, ENDPOINT_SECRET]);
    await store.close();
  });

  it('stops at start without a key when secrets are encrypted, and with a wrong key, changing nothing', async (t) => {
    const path = tempSqlitePath(t);
    const box = SecretBox.fromBase64(generateEncryptionKey());
    const first = await secureStore(await openSqliteStore(path), box, noWarnings);
    await writeSecrets(first);
    const stored = await first.listStoredSecrets();
    await first.close();

    const raw = await openSqliteStore(path);
    t.after(() => raw.close());
    await assert.rejects(
      secureStore(raw, null, noWarnings),
      new RegExp(`the database holds 3 encrypted secrets \\(key id ${box.keyId}\\) but HERALD_ENCRYPTION_KEY is not set`),
    );
    const wrong = SecretBox.fromBase64(generateEncryptionKey());
    await assert.rejects(
      secureStore(raw, wrong, noWarnings),
      new RegExp(`cannot decrypt .*encrypted with key id ${box.keyId}, and this key's id is ${wrong.keyId}: wrong key.*nothing was changed`),
    );
    assert.deepEqual(await raw.listStoredSecrets(), stored);
  });

  it('re-encrypts every secret under a new key with herald rotate-encryption-key, after which only the new key opens them', async (t) => {
    const path = tempSqlitePath(t);
    const oldKey = generateEncryptionKey();
    const newKey = generateEncryptionKey();
    const store = await secureStore(await openSqliteStore(path), SecretBox.fromBase64(oldKey), noWarnings);
    const written = await writeSecrets(store);
    await store.close();

    const wrongOld = await runHerald(['rotate-encryption-key', '--db', path, '--old', generateEncryptionKey(), '--new', newKey]);
    assert.equal(wrongOld.code, 2);
    assert.match(wrongOld.stderr, /wrong key.*nothing was changed/);
    const rotated = await runHerald(['rotate-encryption-key', '--db', path, '--old', oldKey, '--new', newKey]);
    assert.equal(rotated.code, 0, rotated.stderr);
    const newBox = SecretBox.fromBase64(newKey);
    assert.match(rotated.stdout, new RegExp(`re-encrypted 3 secrets from key id \\S+ to key id ${newBox.keyId}`));

    const raw = await openSqliteStore(path);
    await assert.rejects(secureStore(raw, SecretBox.fromBase64(oldKey), noWarnings), /wrong key/);
    const reopened = await secureStore(raw, newBox, noWarnings);
    assert.deepEqual((await readBack(reopened, written)).listed, [ROTATED_SECRET, ENDPOINT_SECRET]);
    await reopened.close();
    assert.deepEqual(secretTextOnDisk(path), []);
  });

  it('prints a usable key with herald keys generate-encryption-key', async () => {
    const { code, stdout } = await runHerald(['keys', 'generate-encryption-key']);
    assert.equal(code, 0);
    assert.equal(Buffer.from(stdout.trim(), 'base64').length, 32);
    assert.ok(SecretBox.fromBase64(stdout).keyId);
  });
});

describe('secrets at rest on PostgreSQL', () => {
  it('with a key, stores no secret text in the secret columns, and reads the secrets back', async (t) => {
    const schema = await postgresSchemaOrSkip(t);
    if (schema === null) return;
    const box = SecretBox.fromBase64(generateEncryptionKey());
    const store = await secureStore(await schema.open(), box, noWarnings);
    const written = await writeSecrets(store);
    const rows = [
      ...(await adminQuery<{ value: string }>(`SELECT secret AS value FROM "${schema.schema}".endpoint_secrets`)),
      ...(await adminQuery<{ value: string }>(`SELECT value FROM "${schema.schema}".server_secrets`)),
    ];
    assert.equal(rows.length, 3);
    const stored = rows.map((row) => row.value).join('\n');
    for (const secret of [ENDPOINT_SECRET, ROTATED_SECRET, SERVER_SECRET]) assert.ok(!stored.includes(secret.slice(6, 30)), secret);
    assert.ok(rows.every((row) => row.value.startsWith(`hsb1:${box.keyId}:`)));
    assert.deepEqual((await readBack(store, written)).claimed, [ROTATED_SECRET, ENDPOINT_SECRET]);
  });

  it('encrypts plain-text secrets on the first start with a key, and re-encrypts under a new one', async (t) => {
    const schema = await postgresSchemaOrSkip(t);
    if (schema === null) return;
    const written = await writeSecrets(await schema.open());
    const first = SecretBox.fromBase64(generateEncryptionKey());
    await secureStore(await schema.open(), first, noWarnings);
    const second = SecretBox.fromBase64(generateEncryptionKey());
    assert.equal(await reencryptSecrets(await schema.open(), first, second), 3);
    const store = await secureStore(await schema.open(), second, noWarnings);
    assert.deepEqual(await readBack(store, written), {
      listed: [ROTATED_SECRET, ENDPOINT_SECRET],
      claimed: [ROTATED_SECRET, ENDPOINT_SECRET],
      server: SERVER_SECRET,
    });
  });
});
