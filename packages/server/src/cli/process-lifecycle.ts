import type { Logger } from 'pino';
import type { HeraldConfig } from '../config.js';

/**
 * Two-stage shutdown for a long-running command: the first SIGINT/SIGTERM runs `stop` (drain, then
 * exit 0, or 1 if stopping failed); a second signal exits at once. Installed before the command says
 * it is running, so a signal can never find the default handler.
 */
export function stopOnSignals(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down: draining attempts in flight');
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

export function warnIfPrivateNetworksAllowed(config: HeraldConfig): void {
  if (config.allowPrivateNetworks) {
    process.stderr.write(
      'WARNING: --allow-private-networks is on: Herald will deliver to loopback and private addresses. Use it for development only.\n',
    );
  }
}
