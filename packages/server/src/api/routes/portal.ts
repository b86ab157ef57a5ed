import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Store } from '../../store/store.js';
import type { RouteDeps } from '../app.js';
import type { TokenClaims } from '../session-tokens.js';
import { readCookie, SESSION_COOKIE, type Sessions, type VerifiedSession } from '../sessions.js';
import { tokensEqual } from '../session-tokens.js';
import { startSession } from './session.js';

/**
 * `/portal?token=…`, where a portal link lands. A valid, unused link becomes a portal session and a
 * redirect to the webhooks page; anything else gets a plain page that says what went wrong and what
 * to do, never an error trace.
 *
 * A browser already signed in to another organization is never switched silently: any site can
 * send a browser to a link of its choosing (login CSRF), so the switch waits for a confirmation that
 * names both organizations and carries the current session's CSRF token, which no other site can read.
 */
export function portalRoutes(app: FastifyInstance, { sessions, store, clock }: RouteDeps): void {
  app.register(async (portal) => {
    // The confirmation is a plain HTML form; only these routes read form bodies.
    portal.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    });

    // No querystring schema on purpose: a mangled link must get the page below, not a JSON 400.
    portal.get('/portal', {
      schema: { tags: ['dashboard'], summary: 'Opens a portal link: signs the browser in and redirects to the dashboard.', security: [] },
    }, async (request, reply) => {
      const raw = (request.query as Record<string, unknown>).token;
      const link = await verifyLink(reply, sessions, typeof raw === 'string' ? raw : undefined, clock.now());
      if (link === null) return reply;
      const current = await currentSession(request, sessions, clock.now());
      if (await store.portalLinkUsed(link.claims.id)) {
        // The same browser opening its own link again just goes back to its dashboard.
        if (current?.record.portalLinkId === link.claims.id) return reply.code(303).header('location', '/webhooks').send();
        return usedPage(reply);
      }
      if (current !== null && current.record.organizationId !== link.claims.organizationId) {
        return confirmationPage(reply, store, sessions, current, link.token, link.claims.organizationId);
      }
      return signIn(request, reply, store, sessions, link.claims, current, clock.now());
    });

    portal.post<{ Body: { token?: string; confirm?: string } }>('/portal', {
      schema: { tags: ['dashboard'], summary: "Confirms switching to a portal link's organization from another one's session.", security: [], hide: true },
    }, async (request, reply) => {
      const body = (request.body ?? {}) as { token?: unknown; confirm?: unknown };
      const link = await verifyLink(reply, sessions, typeof body.token === 'string' ? body.token : undefined, clock.now());
      if (link === null) return reply;
      const current = await currentSession(request, sessions, clock.now());
      const expected = current === null ? null : (await sessions.signer()).csrfToken(current.token);
      if (expected === null || typeof body.confirm !== 'string' || !tokensEqual(body.confirm, expected)) {
        return page(reply, 403, 'Sign-in link refused', 'This switch was not confirmed', 'Open the link again from the application that sent you here, and confirm the switch on the page it shows.');
      }
      if (await store.portalLinkUsed(link.claims.id)) return usedPage(reply);
      return signIn(request, reply, store, sessions, link.claims, current, clock.now());
    });
  });
}

async function verifyLink(reply: FastifyReply, sessions: Sessions, token: string | undefined, now: number): Promise<{ token: string; claims: TokenClaims } | null> {
  // The link is a credential: keep it out of caches and out of the Referer of the next page.
  reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
  if (token === undefined || token === '') {
    refused(reply, 400, 'This link is incomplete', 'The address has no sign-in token. It may have been cut off when it was copied.');
    return null;
  }
  const check = (await sessions.signer()).verify('portal', token, now);
  if (check.ok) return { token, claims: check.claims };
  if (check.reason === 'expired') {
    refused(reply, 410, 'This link has expired', 'Dashboard links work for a limited time. Go back to the application that sent you here and open the dashboard again to get a fresh link.');
  } else {
    refused(reply, 400, 'This link is not valid', 'It may have been changed or cut off when it was copied. Go back to the application that sent you here and open the dashboard again.');
  }
  return null;
}

async function currentSession(request: FastifyRequest, sessions: Sessions, now: number): Promise<VerifiedSession | null> {
  const token = readCookie(request, SESSION_COOKIE);
  if (token === undefined || token === '') return null;
  const check = await sessions.check(token, now);
  return check.ok ? check.session : null;
}

async function signIn(
  request: FastifyRequest,
  reply: FastifyReply,
  store: Store,
  sessions: Sessions,
  link: TokenClaims,
  current: VerifiedSession | null,
  now: number,
) {
  const issued = await sessions.startWithPortalLink(link);
  if (issued === null) return usedPage(reply);
  // The session this browser had is replaced, so it ends rather than lingering in a copied cookie.
  if (current !== null) await store.endSession(current.record.id, now);
  await startSession(request, reply, store, sessions, issued, now);
  return reply.code(303).header('location', '/webhooks').send();
}

function usedPage(reply: FastifyReply) {
  return refused(
    reply,
    410,
    'This link has already been used',
    'Each dashboard link signs in once, in one browser. Go back to the application that sent you here and open the dashboard again to get a fresh link.',
  );
}

async function confirmationPage(reply: FastifyReply, store: Store, sessions: Sessions, current: VerifiedSession, token: string, targetId: string) {
  const [from, to] = await Promise.all([store.getOrganizationProfile(current.record.organizationId), store.getOrganizationProfile(targetId)]);
  const name = (org: typeof from, id: string) => `<strong>${escapeHtml(org?.name || id)}</strong>`;
  const csrf = (await sessions.signer()).csrfToken(current.token);
  const body = `<p>You are signed in to ${name(from, current.record.organizationId)}. This link signs you in to ${name(to, targetId)} instead, and signs you out of ${name(from, current.record.organizationId)}.</p>
<p>Only continue if you meant to open the dashboard of ${name(to, targetId)}.</p>
<form method="post" action="/portal">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<input type="hidden" name="confirm" value="${escapeHtml(csrf)}">
<button type="submit">Switch to ${escapeHtml(to?.name || targetId)}</button>
<a href="/webhooks">Stay in ${escapeHtml(from?.name || current.record.organizationId)}</a>
</form>`;
  return html(reply, 200, 'Switch organization?', 'Confirm the switch', body, "form-action 'self'");
}

function refused(reply: FastifyReply, status: number, title: string, text: string) {
  return page(reply, status, 'Sign-in link refused', title, text);
}

function page(reply: FastifyReply, status: number, label: string, title: string, text: string) {
  return html(reply, status, title, label, `<p>${escapeHtml(text)}</p>\n<p>Have an API key? <a href="/sign-in">Sign in with it</a>.</p>`, "form-action 'none'");
}

function html(reply: FastifyReply, status: number, title: string, label: string, body: string, formAction: string) {
  const document = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Herald</title>
<style>
body{margin:0;min-height:100vh;display:grid;place-items:center;background:#f5f6f8;color:#171a1f;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}
main{max-width:460px;margin:24px;padding:32px;background:#fff;border:1px solid #dfe3e8;border-radius:12px;box-shadow:0 1px 3px rgb(16 24 40/8%)}
h1{font-size:1.375rem;margin:0 0 12px}p{margin:0 0 16px;color:#3d4654}a{color:#4338ca;font-weight:600}
.status{font-size:.8125rem;font-weight:650;color:#b42318}
form{display:flex;gap:16px;align-items:center;flex-wrap:wrap}
button{font:inherit;font-weight:600;color:#fff;background:#4338ca;border:0;border-radius:8px;padding:10px 16px;cursor:pointer}
</style>
</head>
<body>
<main>
<p class="status">${escapeHtml(label)}</p>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`;
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('content-security-policy', `default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; ${formAction}`)
    .send(document);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
