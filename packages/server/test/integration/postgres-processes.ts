import { spawn, type ChildProcess } from 'node:child_process';
import { HERALD_BIN } from '../../../../test-support/herald-process.js';
import { POSTGRES_URL, type TestSchema } from '../store/postgres-support.js';

/** `--db` for a test's own schema: Herald reads `schema` from the URL. */
export function schemaUrl(schema: TestSchema): string {
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('schema', schema.schema);
  return url.toString();
}

export interface DispatchProcess {
  child: ChildProcess;
  /** The name it writes on its leases, from its banner. */
  leaseOwner: string;
  output(): string;
  exited: Promise<number | NodeJS.Signals | null>;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Runs `herald dispatch` as a real child process and waits until it says it is running. */
export async function startDispatchProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<DispatchProcess> {
  const child = spawn(process.execPath, [HERALD_BIN, 'dispatch', '--log-level', 'error', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`herald dispatch did not start within 20 s:\n${output}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (/dispatcher is running/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`herald dispatch exited (${String(code)}) before starting:\n${output}`));
    });
  });
  return {
    child,
    leaseOwner: /lease owner (\S+?)\)/.exec(output)![1]!,
    output: () => output,
    exited,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
