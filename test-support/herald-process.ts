import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const HERALD_BIN = fileURLToPath(new URL('../packages/server/bin/herald.js', import.meta.url));

/** A long-running `herald` child process, started and ready. */
export interface HeraldChild {
  child: ChildProcess;
  /** Everything it wrote so far, stdout and stderr. */
  output(): string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<number | NodeJS.Signals | null>;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface HeraldProcess extends HeraldChild {
  url: string;
  /** The API key printed on first start, or null when the database already had an organization. */
  apiKey: string | null;
}

export interface DispatchProcess extends HeraldChild {
  /** The name it writes on its leases, from its banner. */
  leaseOwner: string;
}

/** Runs `herald serve` as a real child process on a free port and waits for its banner. */
export async function startHeraldProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<HeraldProcess> {
  const herald = await spawnHerald(
    ['serve', '--port', '0', '--log-level', 'warn', ...args],
    env,
    (output) => /API:\s+\S+/.test(output) && /API key:.*\n/.test(output),
  );
  const banner = herald.output();
  const url = /Dashboard:\s+(http:\/\/\S+?)\/?\s*$/m.exec(banner)![1]!;
  const apiKey = /API key:\s+(hk_\S+|\S{24,})\s*$/m.exec(banner)?.[1] ?? null;
  return { ...herald, url, apiKey };
}

/** Runs `herald dispatch` as a real child process and waits until it says it is running. */
export async function startDispatchProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<DispatchProcess> {
  const herald = await spawnHerald(['dispatch', '--log-level', 'error', ...args], env, (output) =>
    /dispatcher is running.*\n/.test(output),
  );
  return { ...herald, leaseOwner: /lease owner (\S+?)\)/.exec(herald.output())![1]! };
}

/** Spawns `herald <args>` and resolves once `started(output)` holds; rejects if it exits first or takes over 20 s. */
async function spawnHerald(args: string[], env: NodeJS.ProcessEnv, started: (output: string) => boolean): Promise<HeraldChild> {
  const child = spawn(process.execPath, [HERALD_BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`herald ${args[0]} did not start within 20 s:\n${output}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (started(output)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`herald ${args[0]} exited (${String(code)}) before starting:\n${output}`));
    });
  });
  return {
    child,
    output: () => output,
    exited,
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs a one-shot `herald` command and returns its exit code and output. */
export function runHerald(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [HERALD_BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A JSON request to a running Herald with an API key. */
export async function api<T = unknown>(
  base: string,
  apiKey: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}
