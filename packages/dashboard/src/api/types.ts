/**
 * The JSON resources of Herald's REST API, as the dashboard reads them. The API's resources are the
 * SDK's own types, imported as types only so that nothing of the SDK's runtime reaches the browser
 * bundle; what only the dashboard reads (its session, endpoint statistics) is declared here.
 */

export type {
  Attempt,
  Delivery,
  DeliveryStatus,
  DeliveryWithAttempts,
  Endpoint,
  EndpointSecrets,
  EventRecord,
  EventType,
  Page,
  PublishResult,
  Recovery,
  RecoveryCount,
} from '@herald/sdk';

export interface EndpointStats {
  endpoint_id: string;
  attempts: number;
  succeeded: number;
  /** `succeeded / attempts`, or null without attempts. */
  success_rate: number | null;
  /** Latest attempt within the window. */
  last_attempt_at: string | null;
  /** Newest delivery ever created for the endpoint. */
  last_delivery_at: string | null;
}

export interface EndpointStatsList {
  since: string;
  data: EndpointStats[];
}

export interface Session {
  organization_id: string;
  organization_name: string;
  /** The platform's own id for the organization, when it has one. */
  organization_uid: string | null;
  /** What the session may do: a portal link's is `portal`. */
  scope: 'admin' | 'publish' | 'read' | 'portal';
  /** Sent back as `X-Herald-CSRF` on every request that changes something. */
  csrf_token: string;
  expires_at: string;
  signed_in_with: 'api_key' | 'portal_link';
}
