import { Command, CommanderError } from 'commander';
import { HeraldError } from '../errors.js';
import { VERSION } from '../version.js';
import { backupCommand } from './backup.js';
import { dispatchCommand } from './dispatch.js';
import { rotateEncryptionKeyCommand } from './encryption-key.js';
import { migrateCommand } from './migrate.js';
import { keysCommand } from './keys.js';
import { orgsCommand } from './orgs.js';
import { serveCommand } from './serve.js';

const program = new Command('herald').version(VERSION).description('Herald: signed webhook delivery').exitOverride();
serveCommand(program);
dispatchCommand(program);
migrateCommand(program);
orgsCommand(program);
keysCommand(program);
backupCommand(program);
rotateEncryptionKeyCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  if (error instanceof HeraldError) {
    process.stderr.write(`herald: ${error.message}\n`);
    process.exit(2);
  }
  // Infrastructure failures (database unreachable, port in use): the message, not a stack trace.
  process.stderr.write(`herald: could not run: ${error instanceof Error ? error.message : String(error)}\n`);
  if (process.env.HERALD_LOG_LEVEL === 'debug' && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  process.exit(1);
}
