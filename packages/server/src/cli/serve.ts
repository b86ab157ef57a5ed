import type { Command } from 'commander';
import { bootstrapFirstOrganization, bootstrapOperatorKey, type CreatedOrganization } from '../bootstrap.js';
import { systemClock } from '../clock.js';
import type { HeraldConfig } from '../config.js';
import type { OrganizationProfile } from '../store/store.js';
import { startHerald, type RunningHerald } from '../server.js';
import { operationalWebhookLines } from './operational-webhook-banner.js';
import { shortRetentionWarning } from '../retention/retention-warning.js';
import { VERSION } from '../version.js';
import { describeDatabase } from './database-name.js';
import { addSettings, configFrom } from './options.js';
import { stopOnSignals, warnIfPrivateNetworksAllowed } from './process-lifecycle.js';

const SERVE_SETTINGS: Array<keyof HeraldConfig> = [
  'db', 'host', 'port', 'allowPrivateNetworks', 'dispatch', 'concurrency', 'endpointConcurrency',
  'retrySchedule', 'attemptTimeoutMs', 'maxAttempts', 'maxAttemptTimeoutMs', 'maxRetryAfterMs', 'warnAfterMs', 'disableAfterMs', 'operationalWebhookUrl', 'leaseMs', 'shutdownTimeoutMs', 'bodyLimit', 'publishFairShare', 'catalogFile', 'apiKey', 'operatorKey', 'portalFrameAncestors', 'retentionMs', 'logLevel',
];

export function serveCommand(program: Command): void {
  addSettings(program.command('serve').description('run the API, the dispatcher and the dashboard'), SERVE_SETTINGS).action(
    async (_options: unknown, command: Command) => {
      const config = configFrom(command);
      warnIfPrivateNetworksAllowed(config);
      const shortRetention = shortRetentionWarning(config.retentionMs);
      if (shortRetention !== null) process.stderr.write(shortRetention);
      let organizations: BannerOrganizations | undefined;
      const herald = await startHerald(config, {
        warn: (message) => process.stderr.write(message),
        beforeListen: async (store) => {
          // Before the first organization, which would make the database no longer empty.
          if (config.operatorKey !== undefined) await bootstrapOperatorKey(store, systemClock, config.operatorKey);
          const created = await bootstrapFirstOrganization(store, systemClock, config.apiKey);
          organizations = created ?? {
            first: (await store.listOrganizationProfiles({ limit: 1 })).items[0],
            count: await store.countOrganizations(),
          };
        },
      });
      stopOnSignals(herald.logger, () => herald.stop());
      printBanner(herald.url, config, organizations!, herald.operationalWebhook);
    },
  );
}

/** The organization this start created, or the ones it found (a restart asks for an id, so it shows one). */
type BannerOrganizations = CreatedOrganization | { first: OrganizationProfile | undefined; count: number };

function printBanner(url: string, config: HeraldConfig, organizations: BannerOrganizations, operational: RunningHerald['operationalWebhook']): void {
  const lines = [
    '',
    `Herald ${VERSION} is running (${config.dispatch ? 'API + dispatcher' : 'API only'}, database ${describeDatabase(config.db)})`,
    `  Dashboard:  ${url}/`,
    `  API:        ${url}/v1`,
  ];
  if ('apiKey' in organizations) {
    lines.push(
      `  Organization: ${organizations.organizationId}`,
      `  API key:    ${organizations.apiKey}`,
      '              Shown once — store it now. It signs you in to the dashboard and authorizes the API.',
    );
  } else if (organizations.count === 1 && organizations.first) {
    const { id, name } = organizations.first;
    lines.push(
      `  Organization: ${id} (${name})`,
      `  API key:    shown only when it was made; make another with \`herald keys create --org ${id}\``,
    );
  } else {
    if (organizations.first) {
      const { id, name } = organizations.first;
      lines.push(`  Organizations: ${organizations.count}, the first ${id} (${name}); \`herald orgs list\` shows them all`);
    }
    lines.push('  API key:    shown only when it was made; make another with `herald keys create --org <id>`');
  }
  if (operational !== null) lines.push(...operationalWebhookLines(operational));
  lines.push('');
  process.stdout.write(`${lines.join('\n')}\n`);
}
