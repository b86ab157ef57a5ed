import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { addSettings, configFrom } from '../../src/cli/options.js';
import type { HeraldConfig } from '../../src/config.js';

/** A command taking `keys`, parsed from `args` as a user would type them. */
function parsed(keys: Array<keyof HeraldConfig>, args: string[] = []): Command {
  const command = addSettings(new Command('test').exitOverride().action(() => undefined), keys);
  command.parse(args, { from: 'user' });
  return command;
}

describe('command settings from flags and HERALD_* variables', () => {
  it('ignores the variables of settings the command does not take, even bad ones', () => {
    const config = configFrom(parsed(['db']), {
      HERALD_DATABASE_URL: 'postgres://db.internal/herald',
      HERALD_PORT: 'eighty',
      HERALD_LEASE: '1s',
    });
    assert.equal(config.db, 'postgres://db.internal/herald');
    assert.equal(config.port, 8080);
    assert.equal(config.leaseMs, 60_000);
  });

  it('refuses a bad variable of a setting the command takes, naming it', () => {
    assert.throws(() => configFrom(parsed(['db', 'port']), { HERALD_PORT: 'eighty' }), /HERALD_PORT must be a whole number/);
  });

  it('lets a flag win over its variable', () => {
    assert.equal(configFrom(parsed(['port'], ['--port', '9000']), { HERALD_PORT: '9001' }).port, 9000);
    assert.equal(configFrom(parsed(['dispatch'], ['--no-dispatch']), { HERALD_DISPATCH: 'true' }).dispatch, false);
  });
});
