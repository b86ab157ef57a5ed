/**
 * The end-to-end run's receiver, as issue 13 defines it: a loopback nginx answering 200 to every
 * request. Native code, one process, so that the receiver takes as little as possible of the two
 * cores the measured pipeline runs on. Every request is a line of its access log holding its arrival
 * time (`$msec`), which is how the run counts deliveries and finds the last one.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { sleep } from './support.js';

export interface NginxReceiver {
  url: string;
  /** Requests since the last reset, and the arrival (ms since the epoch) of the last. */
  count(): { requests: number; lastAt: number };
  reset(): void;
  stop(): Promise<void>;
}

/** Null when wrk and nginx both run here (the rows that load with wrk need both); otherwise what to install. */
export function missingLoadTools(): string | null {
  const packages = { wrk: 'wrk', nginx: 'nginx-light' };
  const runs = (command: 'wrk' | 'nginx') => spawnSync(command, [command === 'nginx' ? '-v' : '--version'], { stdio: 'ignore' }).error === undefined;
  const missing = (['wrk', 'nginx'] as const).filter((command) => !runs(command));
  if (missing.length === 0) return null;
  return `${missing.join(' and ')} not installed (apt-get install -y ${missing.map((command) => packages[command]).join(' ')})`;
}

export async function startNginxReceiver(dir: string): Promise<NginxReceiver> {
  const port = await freePort();
  const log = join(dir, 'access.log');
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
master_process off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 4096; }
http {
  log_format arrival '$msec';
  access_log ${log} arrival;
  client_body_temp_path ${dir};
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:${port};
    location / { return 200 'ok'; }
  }
}
`,
  );
  writeFileSync(log, '');
  const child: ChildProcess = spawn('nginx', ['-p', dir, '-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  await untilListening(port, child);
  return {
    url: `http://127.0.0.1:${port}`,
    count() {
      const lines = readFileSync(log, 'latin1').split('\n');
      lines.pop();
      return { requests: lines.length, lastAt: lines.length === 0 ? Number.NaN : Number(lines[lines.length - 1]) * 1000 };
    },
    reset: () => truncateSync(log),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGQUIT');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function untilListening(port: number, child: ChildProcess): Promise<void> {
  for (let tries = 0; tries < 100; tries++) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}`);
    const res = await fetch(`http://127.0.0.1:${port}/`).catch(() => null);
    if (res?.status === 200) return;
    await sleep(50);
  }
  throw new Error('nginx did not answer within 5 s');
}
