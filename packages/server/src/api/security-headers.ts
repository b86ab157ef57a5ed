import type { FastifyInstance, FastifyRequest, FastifyReply } from 'fastify';

/**
 * Headers every answer gets:
 * - No framing: `X-Frame-Options: DENY` and CSP `frame-ancestors 'none'` (clickjacking). With
 *   `--portal-frame-ancestors`, the dashboard's HTML pages and `/portal` may be framed by exactly
 *   those origins instead (CSP only: X-Frame-Options cannot name origins), so a platform can embed
 *   the customer portal in its own app. The JSON API stays unframeable either way.
 * - `Cache-Control: no-store` on every `/v1` answer that does not set its own, because many of them
 *   carry a secret, a key, a portal link or a CSRF token, and none is worth a proxy keeping.
 */
export function installSecurityHeaders(app: FastifyInstance, portalFrameAncestors: readonly string[]): void {
  const embeddable = portalFrameAncestors.length > 0 ? portalFrameAncestors.join(' ') : null;
  app.addHook('onSend', async (request, reply, payload) => {
    const framable = embeddable !== null && isPage(request, reply);
    if (!framable) reply.header('x-frame-options', 'DENY');
    const ancestors = `frame-ancestors ${framable ? embeddable : "'none'"}`;
    const csp = reply.getHeader('content-security-policy');
    reply.header('content-security-policy', typeof csp === 'string' && csp !== '' ? `${csp}; ${ancestors}` : ancestors);
    if (request.url.startsWith('/v1') && !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });
}

function isPage(request: FastifyRequest, reply: FastifyReply): boolean {
  const type = reply.getHeader('content-type');
  return !request.url.startsWith('/v1') && typeof type === 'string' && type.startsWith('text/html');
}
