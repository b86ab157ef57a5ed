import type { Command } from 'commander';
import { flagName, resolveConfig, SETTINGS, type HeraldConfig } from '../config.js';

/** Adds the named settings' flags to a command, with their `HERALD_*` variables in the help. */
export function addSettings(command: Command, keys: ReadonlyArray<keyof HeraldConfig>): Command {
  for (const s of SETTINGS) {
    if (keys.includes(s.key)) command.option(s.flag, `${s.description} [${s.env}]`);
  }
  return command;
}

/** The config from a command's parsed flags plus the environment. */
export function configFrom(command: Command): HeraldConfig {
  const parsed = command.opts<Record<string, string | boolean | undefined>>();
  const flags: Partial<Record<keyof HeraldConfig, string | boolean | undefined>> = {};
  for (const s of SETTINGS) flags[s.key] = parsed[commanderAttribute(flagName(s))];
  return resolveConfig(flags);
}

/** The key commander stores a flag's value under: `--attempt-timeout` → `attemptTimeout`, `--no-dispatch` → `dispatch`. */
function commanderAttribute(flag: string): string {
  return flag.replace(/^--(no-)?/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
