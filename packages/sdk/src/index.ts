export { computeSignature, signatureHeader, signaturesEqual, type RawBody } from './signature.js';
export { envelopeJson, HEADERS } from './envelope.js';
export { deliveryHeaders, type DeliveryHeadersInput } from './delivery-headers.js';
export { standardWebhooksSignature } from './standard-webhooks.js';

// Receiving
export { verifySignature, verifyWebhook } from './verify.js';
export { DEFAULT_FUTURE_TOLERANCE_SECONDS, DEFAULT_TOLERANCE_SECONDS, type VerifyOptions } from './verify-options.js';
export { STANDARD_WEBHOOKS_HEADERS } from './standard-webhooks-verify.js';
export { WebhookVerificationError, HeraldApiError, type VerificationFailureReason } from './errors.js';
export type { HeadersLike, HeaderValue, WebhookHeaders } from './headers.js';
export { isCatalogEvent, isEventType, type HeraldEvent, type UnknownEvent } from './events.js';
export * from './catalog-events.generated.js';
export { dedupe, MemoryDedupeStore, type DedupeOutcome, type DedupeReservation, type DedupeStore, type MemoryDedupeStoreOptions } from './dedupe.js';
export type { WebhookHandlerOptions } from './frameworks/handle-delivery.js';
export { expressWebhook, type ExpressRequestLike, type ExpressWebhookHandler } from './frameworks/express.js';
export { fastifyWebhook, type FastifyInstanceLike, type FastifyReplyLike, type FastifyRequestLike, type FastifyWebhookOptions } from './frameworks/fastify.js';
export { nodeWebhookHandler, type NodeWebhookHandler, type NodeWebhookOptions } from './frameworks/node-http.js';
export { fetchWebhookHandler, verifyRequest, type FetchRequestLike } from './frameworks/fetch.js';
export { ContactsManagerClient, type ContactsManagerConfig } from './contacts-manager.js';
export { createSignedRequest, signPayload, type SignedRequest, type SignedRequestOptions } from './testing.js';

// Publishing
export { HeraldClient, ApiKeysApi, DeliveriesApi, EndpointsApi, EventsApi, EventTypesApi, OrganizationsApi, type HeraldClientOptions } from './client/herald-client.js';
export type * from './client/types.js';
