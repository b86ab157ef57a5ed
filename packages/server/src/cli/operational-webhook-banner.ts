import type { OperationalWebhook } from '../lifecycle/operational-webhook.js';

/** The start banner's lines for the operational webhook: its secret only on the start that created it. */
export function operationalWebhookLines({ endpoint, secret, secretCreated }: OperationalWebhook & { secretCreated: boolean }): string[] {
  return [
    `  Operational webhook: ${endpoint.url}${endpoint.enabled ? '' : ` (disabled: ${endpoint.health.disabledReason ?? 'manual'})`}`,
    secretCreated
      ? `  Its secret: ${secret}\n              Shown once — store it now; the operator API's GET /v1/operational-webhook reads it again.`
      : '  Its secret: GET /v1/operational-webhook (operator key)',
  ];
}
