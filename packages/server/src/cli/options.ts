import type { Command } from 'commander';
import { flagName, resolveConfig, SETTINGS, type HeraldConfig } from '../config.js';

/** Adds the named settings' flags to a command, with their `HERALD_*` variables in the help. */
export function addSettings(command: Command, keys: ReadonlyArray<keyof HeraldConfig>): Command {
  for (const s of SETTINGS) {
    if (keys.includes(s.key)) command.option(s.flag, `${s.description} [${s.env}]`);
  }
  return command;
}

/**
 * The config from a command's parsed flags plus the environment. Only the settings the command takes
 * are read; the others keep their defaults. Deployments share one environment between `serve`,
 * `dispatch` and `migrate`, so a variable meant for another command must neither apply nor fail here
 * (`herald migrate` refusing to run over `HERALD_PORT`, say).
 */
export function configFrom(command: Command, env: NodeJS.ProcessEnv = process.env): HeraldConfig {
  const parsed = command.opts<Record<string, string | boolean | undefined>>();
  const flags: Partial<Record<keyof HeraldConfig, string | boolean | undefined>> = {};
  const ownEnv: NodeJS.ProcessEnv = {};
  for (const s of SETTINGS) {
    const flag = flagName(s);
    if (!command.options.some((option) => option.long === flag)) continue;
    flags[s.key] = parsed[commanderAttribute(flag)];
    ownEnv[s.env] = env[s.env];
  }
  return resolveConfig(flags, ownEnv);
}

/** The key commander stores a flag's value under: `--attempt-timeout` → `attemptTimeout`, `--no-dispatch` → `dispatch`. */
function commanderAttribute(flag: string): string {
  return flag.replace(/^--(no-)?/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
