import type { FastifyInstance } from 'fastify';
import type { RouteDeps } from '../app.js';
import { errorResponses } from '../schemas.js';
import { originOf } from '../sessions.js';
import { absentBodyAsEmpty } from '../validation.js';
import { requireApiKey } from './session.js';
import { uuidv7 } from '../../ids.js';

const PORTAL_LINK_DEFAULT_SECONDS = 3600;
const PORTAL_LINK_MIN_SECONDS = 60;
const PORTAL_LINK_MAX_SECONDS = 24 * 3600;

/**
 * Portal links let a platform hand one of its customers the dashboard of that customer's
 * organization without an API key: a URL with a signed, short-lived token carrying its own id.
 * Opening it (once, before it expires) starts a dashboard session with the `portal` scope that ends
 * when the link would have expired, or after 12 hours if sooner.
 */
export function portalLinkRoutes(app: FastifyInstance, { sessions, clock }: RouteDeps): void {
  app.post<{ Body: { expires_in_seconds?: number } }>('/portal-links', {
    schema: {
      tags: ['dashboard'],
      summary: "A single-use link that signs its holder in to your organization's dashboard (portal scope) until it expires. Needs an API key with the admin scope.",
      body: {
        type: 'object',
        additionalProperties: false,
        properties: {
          expires_in_seconds: {
            type: 'integer',
            minimum: PORTAL_LINK_MIN_SECONDS,
            maximum: PORTAL_LINK_MAX_SECONDS,
            description: `How long the link can be opened. Default ${PORTAL_LINK_DEFAULT_SECONDS}.`,
          },
        },
      },
      response: {
        201: {
          type: 'object',
          required: ['url', 'expires_at'],
          properties: { url: { type: 'string' }, expires_at: { type: 'string', format: 'date-time' } },
        },
        ...errorResponses,
      },
    },
    preValidation: absentBodyAsEmpty,
  }, async (request, reply) => {
    requireApiKey(request, 'portal links are created with an API key ("Authorization: Bearer <key>"), not from a dashboard session');
    const seconds = request.body.expires_in_seconds ?? PORTAL_LINK_DEFAULT_SECONDS;
    const expiresAt = Math.floor(clock.now() / 1000) * 1000 + seconds * 1000;
    const token = (await sessions.signer()).sign('portal', {
      id: uuidv7(clock.now()),
      organizationId: request.organizationId,
      expiresAt,
      signedInWith: 'portal_link',
    });
    return reply.code(201).send({
      url: `${originOf(request)}/portal?token=${token}`,
      expires_at: new Date(expiresAt).toISOString(),
    });
  });
}
