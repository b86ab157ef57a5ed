import type { Command } from 'commander';
import { bootstrapFirstOrganization, type CreatedOrganization } from '../bootstrap.js';
import { systemClock } from '../clock.js';
import type { HeraldConfig } from '../config.js';
import { startHerald } from '../server.js';
import { VERSION } from '../version.js';
import { describeDatabase } from './database-name.js';
import { addSettings, configFrom } from './options.js';
import { stopOnSignals, warnIfPrivateNetworksAllowed } from './process-lifecycle.js';

const SERVE_SETTINGS: Array<keyof HeraldConfig> = [
  'db', 'host', 'port', 'allowPrivateNetworks', 'dispatch', 'concurrency', 'endpointConcurrency',
  'retrySchedule', 'attemptTimeoutMs', 'leaseMs', 'shutdownTimeoutMs', 'bodyLimit', 'catalogFile', 'apiKey', 'logLevel',
];

export function serveCommand(program: Command): void {
  addSettings(program.command('serve').description('run the API, the dispatcher and the dashboard'), SERVE_SETTINGS).action(
    async (_options: unknown, command: Command) => {
      const config = configFrom(command);
      warnIfPrivateNetworksAllowed(config);
      let created: CreatedOrganization | null = null;
      const herald = await startHerald(config, {
        beforeListen: async (store) => {
          created = await bootstrapFirstOrganization(store, systemClock, config.apiKey);
        },
      });
      stopOnSignals(herald.logger, () => herald.stop());
      printBanner(herald.url, config, created);
    },
  );
}

function printBanner(url: string, config: HeraldConfig, created: CreatedOrganization | null): void {
  const lines = [
    '',
    `Herald ${VERSION} is running (${config.dispatch ? 'API + dispatcher' : 'API only'}, database ${describeDatabase(config.db)})`,
    `  Dashboard:  ${url}/`,
    `  API:        ${url}/v1`,
  ];
  if (created) {
    lines.push(
      `  Organization: ${created.organizationId}`,
      `  API key:    ${created.apiKey}`,
      '              Shown once — store it now. It signs you in to the dashboard and authorizes the API.',
    );
  } else {
    lines.push('  API key:    created on first start; make another with `herald keys create --org <id>`');
  }
  lines.push('');
  process.stdout.write(`${lines.join('\n')}\n`);
}
