import type { FastifyInstance, FastifyReply } from 'fastify';
import type { RouteDeps } from '../app.js';
import { startSession } from './session.js';

/**
 * `GET /portal?token=…`, where a portal link lands: a valid token becomes a dashboard session and a
 * redirect to the webhooks page; anything else gets a plain page that says what went wrong and what
 * to do, never an error trace.
 */
export function portalRoutes(app: FastifyInstance, { sessions, clock }: RouteDeps): void {
  // No querystring schema on purpose: a mangled link must get the page below, not a JSON 400.
  app.get('/portal', {
    schema: { tags: ['dashboard'], summary: 'Opens a portal link: signs the browser in and redirects to the dashboard.', security: [] },
  }, async (request, reply) => {
    // The link is a credential: keep it out of caches and out of the Referer of the next page.
    reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
    const raw = (request.query as Record<string, unknown>).token;
    const token = typeof raw === 'string' ? raw : undefined;
    if (token === undefined || token === '') {
      return page(reply, 400, 'This link is incomplete', 'The address has no sign-in token. It may have been cut off when it was copied.');
    }
    const now = clock.now();
    const check = (await sessions.signer()).verify('portal', token, now);
    if (!check.ok) {
      return check.reason === 'expired'
        ? page(reply, 410, 'This link has expired', 'Dashboard links work for a limited time. Go back to the application that sent you here and open the dashboard again to get a fresh link.')
        : page(reply, 400, 'This link is not valid', 'It may have been changed or cut off when it was copied. Go back to the application that sent you here and open the dashboard again.');
    }
    const session = await sessions.issue(check.claims.organizationId, 'portal_link');
    await startSession(request, reply, sessions, session.token, session.claims, now);
    return reply.code(303).header('location', '/webhooks').send();
  });
}

function page(reply: FastifyReply, status: number, title: string, text: string) {
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Herald</title>
<style>
body{margin:0;min-height:100vh;display:grid;place-items:center;background:#f5f6f8;color:#171a1f;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}
main{max-width:460px;margin:24px;padding:32px;background:#fff;border:1px solid #dfe3e8;border-radius:12px;box-shadow:0 1px 3px rgb(16 24 40/8%)}
h1{font-size:1.375rem;margin:0 0 12px}p{margin:0 0 16px;color:#3d4654}a{color:#4338ca;font-weight:600}
.status{font-size:.8125rem;font-weight:650;color:#b42318}
</style>
</head>
<body>
<main>
<p class="status">Sign-in link refused</p>
<h1>${title}</h1>
<p>${text}</p>
<p>Have an API key? <a href="/sign-in">Sign in with it</a>.</p>
</main>
</body>
</html>
`;
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'")
    .send(html);
}
