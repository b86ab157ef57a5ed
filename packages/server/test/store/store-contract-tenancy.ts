import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uuidv7 } from '../../src/ids.js';
import type { DashboardSession, Store } from '../../src/store/store.js';

/**
 * The tenancy part of the Store contract: organization profiles with uids, scoped and revocable API
 * keys, server-side sessions and single-use portal links. `store-contract.ts` calls it inside its
 * own describe block, so each test gets that block's fresh store and organization.
 */
export function describeTenancyContract(current: () => { store: Store; org: string }, T0: number): void {
  const profile = (overrides: { uid?: string | null; name?: string; metadata?: Record<string, unknown> } = {}) => ({
    id: uuidv7(),
    name: overrides.name ?? 'Globex',
    createdAt: T0,
    uid: overrides.uid === undefined ? `cust-${uuidv7()}` : overrides.uid,
    metadata: overrides.metadata ?? { plan: 'pro', seats: 12 },
  });

  const session = (organizationId: string, overrides: Partial<DashboardSession> = {}): DashboardSession => ({
    id: uuidv7(),
    organizationId,
    signedInWith: 'api_key',
    scope: 'admin',
    apiKeyId: null,
    portalLinkId: null,
    createdAt: T0,
    expiresAt: T0 + 3600_000,
    endedAt: null,
    ...overrides,
  });

  describe('organization profiles', () => {
    it('creates an organization with a uid and metadata, and finds it by id or by uid', async () => {
      const { store } = current();
      const org = profile({ uid: 'acme-42' });
      const created = await store.createOrganizationProfile(org);
      assert.deepEqual(created, { ok: true, organization: org });
      assert.deepEqual(await store.getOrganizationProfile(org.id), org);
      assert.deepEqual(await store.findOrganizationByUid('acme-42'), org);
      assert.equal(await store.findOrganizationByUid('acme-43'), null);
    });

    it('refuses a uid another organization has, and writes nothing', async () => {
      const { store } = current();
      await store.createOrganizationProfile(profile({ uid: 'taken' }));
      const before = await store.countOrganizations();
      assert.deepEqual(await store.createOrganizationProfile(profile({ uid: 'taken' })), { ok: false, reason: 'uid_taken' });
      assert.equal(await store.countOrganizations(), before);
    });

    it('shows organizations made before uids existed with a null uid and empty metadata', async () => {
      const { store, org } = current();
      const old = await store.getOrganizationProfile(org);
      assert.equal(old?.uid, null);
      assert.deepEqual(old?.metadata, {});
      // Several organizations without a uid do not collide.
      assert.equal((await store.createOrganizationProfile(profile({ uid: null }))).ok, true);
    });

    it('lists organizations oldest first, page by page, and filters by uid', async () => {
      const { store, org } = current();
      const made = [];
      for (let i = 0; i < 3; i++) made.push(profile({ uid: `u${i}` }));
      for (const o of made) await store.createOrganizationProfile(o);
      const first = await store.listOrganizationProfiles({ limit: 2 });
      assert.deepEqual(first.items.map((o) => o.id), [org, made[0]!.id]);
      const second = await store.listOrganizationProfiles({ limit: 2, cursor: first.nextCursor! });
      assert.deepEqual(second.items.map((o) => o.id), [made[1]!.id, made[2]!.id]);
      assert.equal(second.nextCursor, null);
      const byUid = await store.listOrganizationProfiles({ limit: 10, uid: 'u1' });
      assert.deepEqual(byUid.items.map((o) => o.id), [made[1]!.id]);
    });

    it('changes only the fields given, refuses a taken uid, and can clear the uid', async () => {
      const { store } = current();
      const a = profile({ uid: 'a' });
      const b = profile({ uid: 'b' });
      await store.createOrganizationProfile(a);
      await store.createOrganizationProfile(b);
      const renamed = await store.updateOrganizationProfile(a.id, { name: 'Renamed' });
      assert.deepEqual(renamed, { ok: true, organization: { ...a, name: 'Renamed' } });
      assert.deepEqual(await store.updateOrganizationProfile(a.id, { uid: 'b' }), { ok: false, reason: 'uid_taken' });
      assert.equal((await store.getOrganizationProfile(a.id))?.uid, 'a');
      const cleared = await store.updateOrganizationProfile(a.id, { uid: null, metadata: { tier: 1 } });
      assert.deepEqual(cleared, { ok: true, organization: { ...a, name: 'Renamed', uid: null, metadata: { tier: 1 } } });
      assert.deepEqual(await store.updateOrganizationProfile(uuidv7(), { name: 'x' }), { ok: false, reason: 'not_found' });
    });

    it("deletes an organization with its endpoints, events, deliveries, keys and sessions, and no other organization's", async () => {
      const { store, org } = current();
      const doomed = profile();
      await store.createOrganizationProfile(doomed);
      for (const organizationId of [org, doomed.id]) {
        const endpoint = await store.createEndpoint({
          id: uuidv7(), organizationId, url: 'https://example.com/h', description: '', events: ['*'], enabled: true,
          signatureScheme: 'contactsmanager', secret: 'whsec_x', createdAt: T0,
        });
        assert.ok(endpoint);
        await store.publishEvents([{
          id: uuidv7(), organizationId, type: 'user.new', payloadJson: '{}', idempotencyKey: 'k1', createdAt: T0, idempotencyExpiresAt: T0 + 1000,
        }]);
        await store.createApiKey({ id: uuidv7(), organizationId, prefix: 'hk_x', createdAt: T0 }, `hash-${organizationId}`);
        await store.createSession(session(organizationId));
      }
      assert.equal(await store.deleteOrganization(doomed.id), true);
      assert.equal(await store.getOrganizationProfile(doomed.id), null);
      assert.deepEqual(await store.listEndpoints(doomed.id), []);
      assert.equal((await store.listEvents({ organizationId: doomed.id, limit: 10 })).items.length, 0);
      assert.equal((await store.listDeliveries({ organizationId: doomed.id, limit: 10 })).items.length, 0);
      assert.equal(await store.findApiKeyByHash(`hash-${doomed.id}`), null);
      assert.equal(await store.countPendingDeliveries(), 1);
      // The survivor keeps everything.
      assert.equal((await store.listEndpoints(org)).length, 1);
      assert.equal((await store.listDeliveries({ organizationId: org, limit: 10 })).items.length, 1);
      assert.equal((await store.findApiKeyByHash(`hash-${org}`))?.organizationId, org);
      assert.equal(await store.deleteOrganization(doomed.id), false);
    });
  });

  describe('scoped API keys', () => {
    it('stores an organization key as admin unless told, and an operator key without an organization', async () => {
      const { store, org } = current();
      await store.createApiKey({ id: uuidv7(), organizationId: org, prefix: 'hk_aaa', createdAt: T0 }, 'hash-admin');
      await store.createApiKey(
        { id: uuidv7(), organizationId: org, prefix: 'hk_bbb', createdAt: T0, scope: 'publish', name: 'CI', expiresAt: T0 + 1000 },
        'hash-publish',
      );
      await store.createApiKey({ id: uuidv7(), organizationId: null, prefix: 'hk_ccc', createdAt: T0, name: 'platform' }, 'hash-operator');
      const admin = await store.findApiKeyByHash('hash-admin');
      assert.equal(admin?.scope, 'admin');
      assert.equal(admin?.name, '');
      assert.equal(admin?.expiresAt, null);
      const publish = await store.findApiKeyByHash('hash-publish');
      assert.deepEqual(
        { scope: publish?.scope, name: publish?.name, expiresAt: publish?.expiresAt, organizationId: publish?.organizationId },
        { scope: 'publish', name: 'CI', expiresAt: T0 + 1000, organizationId: org },
      );
      const operator = await store.findApiKeyByHash('hash-operator');
      assert.deepEqual({ scope: operator?.scope, organizationId: operator?.organizationId }, { scope: 'operator', organizationId: null });
      assert.equal(await store.findApiKeyByHash('hash-unknown'), null);
    });

    it("lists an organization's keys apart from the operator keys, newest first", async () => {
      const { store, org } = current();
      const first = uuidv7();
      const second = uuidv7();
      await store.createApiKey({ id: first, organizationId: org, prefix: 'hk_1', createdAt: T0 }, 'h1');
      await store.createApiKey({ id: second, organizationId: org, prefix: 'hk_2', createdAt: T0 + 1, scope: 'read' }, 'h2');
      const operator = uuidv7();
      await store.createApiKey({ id: operator, organizationId: null, prefix: 'hk_3', createdAt: T0 }, 'h3');
      assert.deepEqual((await store.listApiKeys(org)).map((k) => k.id), [second, first]);
      assert.deepEqual((await store.listApiKeys(null)).map((k) => k.id), [operator]);
    });

    it('revokes a key of its own organization only, once, and ends the sessions it started', async () => {
      const { store, org } = current();
      const id = uuidv7();
      await store.createApiKey({ id, organizationId: org, prefix: 'hk_1', createdAt: T0 }, 'h1');
      const started = session(org, { apiKeyId: id });
      const other = session(org);
      await store.createSession(started);
      await store.createSession(other);
      assert.equal(await store.revokeApiKey(null, id, T0 + 5), false);
      assert.equal(await store.revokeApiKey(uuidv7(), id, T0 + 5), false);
      assert.equal(await store.revokeApiKey(org, id, T0 + 5), true);
      assert.equal(await store.revokeApiKey(org, id, T0 + 6), false);
      assert.equal((await store.findApiKeyByHash('h1'))?.revokedAt, T0 + 5);
      assert.deepEqual(await store.listApiKeys(org), []);
      assert.equal((await store.getSession(started.id))?.endedAt, T0 + 5);
      assert.equal((await store.getSession(other.id))?.endedAt, null);
    });

    it('records when a key was last used', async () => {
      const { store, org } = current();
      const id = uuidv7();
      await store.createApiKey({ id, organizationId: org, prefix: 'hk_1', createdAt: T0 }, 'h1');
      assert.equal((await store.findApiKeyByHash('h1'))?.lastUsedAt, null);
      await store.markApiKeyUsed(id, T0 + 60_000);
      assert.equal((await store.findApiKeyByHash('h1'))?.lastUsedAt, T0 + 60_000);
    });
  });

  describe('dashboard sessions and portal links', () => {
    it('keeps a session until it is ended, and ends it once', async () => {
      const { store, org } = current();
      const s = session(org, { scope: 'read' });
      await store.createSession(s);
      assert.deepEqual(await store.getSession(s.id), s);
      assert.equal(await store.endSession(s.id, T0 + 10), true);
      assert.equal(await store.endSession(s.id, T0 + 11), false);
      assert.equal((await store.getSession(s.id))?.endedAt, T0 + 10);
      assert.equal(await store.getSession(uuidv7()), null);
    });

    it("ends every live session of one organization and no other's", async () => {
      const { store, org } = current();
      const otherOrg = profile();
      await store.createOrganizationProfile(otherOrg);
      const mine = [session(org), session(org, { signedInWith: 'portal_link', scope: 'portal' })];
      const theirs = session(otherOrg.id);
      for (const s of [...mine, theirs]) await store.createSession(s);
      assert.equal(await store.endOrganizationSessions(org, T0 + 1), 2);
      assert.equal(await store.endOrganizationSessions(org, T0 + 2), 0);
      for (const s of mine) assert.equal((await store.getSession(s.id))?.endedAt, T0 + 1);
      assert.equal((await store.getSession(theirs.id))?.endedAt, null);
    });

    it('redeems a portal link once: the second redemption, even a concurrent one, starts no session', async () => {
      const { store, org } = current();
      const linkId = uuidv7();
      assert.equal(await store.portalLinkUsed(linkId), false);
      const use = { linkId, organizationId: org, usedAt: T0, expiresAt: T0 + 3600_000 };
      const sessions = [0, 1, 2].map(() => session(org, { signedInWith: 'portal_link', scope: 'portal', portalLinkId: linkId }));
      const results = await Promise.all(sessions.map((s) => store.redeemPortalLink(use, s)));
      assert.deepEqual(results.filter(Boolean).length, 1);
      assert.equal(await store.portalLinkUsed(linkId), true);
      const started = await Promise.all(sessions.map((s) => store.getSession(s.id)));
      assert.equal(started.filter((s) => s !== null).length, 1);
      assert.equal(started.find((s) => s !== null)?.portalLinkId, linkId);
    });
  });
}
