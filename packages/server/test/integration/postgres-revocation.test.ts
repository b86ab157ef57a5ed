import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { api, startHeraldProcess, type HeraldProcess } from '../../../../test-support/herald-process.js';
import { postgresSchemaOrSkip } from '../store/postgres-support.js';
import { schemaUrl } from './postgres-processes.js';

const OPERATOR_KEY = 'operator-key-for-the-revocation-test-0123';
/** The promise: a revoked key is refused by every API process within this long. */
const REVOCATION_BOUND_MS = 1000;

/** Two real `herald serve --no-dispatch` processes on one PostgreSQL schema, knowing nothing of each other. */
describe('revocation and sign-out across API processes on PostgreSQL', () => {
  it('refuses a key revoked through one API process on the other within a second, and a session signed out on one on the other at once', async (t) => {
    const schema = await postgresSchemaOrSkip(t);
    if (!schema) return;
    const db = schemaUrl(schema);
    const processes: HeraldProcess[] = [];
    schema.defer(() => Promise.all(processes.map((p) => p.stop())));
    processes.push(await startHeraldProcess(['--db', db, '--no-dispatch'], { HERALD_OPERATOR_KEY: OPERATOR_KEY }));
    processes.push(await startHeraldProcess(['--db', db, '--no-dispatch']));
    const [a, b] = processes as [HeraldProcess, HeraldProcess];

    assert.equal((await api(a.url, OPERATOR_KEY, 'POST', '/v1/organizations', { uid: 'acme', name: 'Acme' })).status, 201);
    const created = await api<{ id: string; key: string }>(a.url, OPERATOR_KEY, 'POST', '/v1/organizations/acme/api-keys', { scope: 'admin' });
    assert.equal(created.status, 201);
    const key = created.body.key;
    // Both processes now hold the key in their caches.
    for (const p of [a, b]) assert.equal((await api(p.url, key, 'GET', '/v1/endpoints')).status, 200);

    // A dashboard session made on A, used on B.
    const signIn = await fetch(`${a.url}/v1/session`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
    const cookie = signIn.headers.getSetCookie()[0]!.split(';')[0]!;
    const csrf = ((await signIn.json()) as { csrf_token: string }).csrf_token;
    assert.equal((await fetch(`${b.url}/v1/endpoints`, { headers: { cookie } })).status, 200);
    assert.equal((await fetch(`${b.url}/v1/session`, { method: 'DELETE', headers: { cookie, 'x-herald-csrf': csrf } })).status, 204);
    assert.equal((await fetch(`${a.url}/v1/endpoints`, { headers: { cookie } })).status, 401, 'signed out on B, refused on A');

    assert.equal((await api(a.url, OPERATOR_KEY, 'DELETE', `/v1/organizations/acme/api-keys/${created.body.id}`)).status, 204);
    assert.equal((await api(a.url, key, 'GET', '/v1/endpoints')).status, 401, 'refused at once where it was revoked');
    await new Promise((resolve) => setTimeout(resolve, REVOCATION_BOUND_MS));
    const refused = await api<{ error: { message: string } }>(b.url, key, 'GET', '/v1/endpoints');
    assert.equal(refused.status, 401, 'refused by the other process within the bound');
    assert.match(refused.body.error.message, /revoked/);
  });

  it('opens a portal link once across processes: the second opening, on the other process, is refused', async (t) => {
    const schema = await postgresSchemaOrSkip(t);
    if (!schema) return;
    const db = schemaUrl(schema);
    const a = await startHeraldProcess(['--db', db, '--no-dispatch']);
    schema.defer(() => a.stop());
    const b = await startHeraldProcess(['--db', db, '--no-dispatch']);
    schema.defer(() => b.stop());
    const link = await api<{ url: string }>(a.url, a.apiKey!, 'POST', '/v1/portal-links', {});
    const { search } = new URL(link.body.url);
    assert.equal((await fetch(`${a.url}/portal${search}`, { redirect: 'manual' })).status, 303);
    const again = await fetch(`${b.url}/portal${search}`, { redirect: 'manual' });
    assert.equal(again.status, 410);
    assert.match(await again.text(), /already been used/);
  });
});
