import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { api, startHeraldProcess } from '../../../../test-support/herald-process.js';
import { makeTempDir } from '../../../../test-support/temp-dir.js';
import { closedPortUrl } from '../dispatch/closed-port.js';

const SCRIPT = fileURLToPath(new URL('../../../../scripts/example-receiver.mjs', import.meta.url));

/** `node scripts/example-receiver.mjs <port>`, started; its URL and everything it printed so far. */
async function startExampleReceiver(port: number, secret: string): Promise<{ url: string; output(): string; child: ChildProcess }> {
  const child = spawn(process.execPath, [SCRIPT, String(port)], { env: { ...process.env, HERALD_WEBHOOK_SECRET: secret }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const listening = /receiving on (http:\/\/\S+)/.exec(output);
      if (listening) resolve(listening[1]!);
    });
    child.once('exit', (code) => reject(new Error(`example receiver exited (${code}):\n${output}`)));
  });
  return { url, output: () => output, child };
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the README walkthrough with scripts/example-receiver.mjs', () => {
  const dir = makeTempDir('herald-walkthrough-');
  after(() => dir.remove());

  it('delivers the published event to the example receiver, which verifies and prints it, and refuses a forged one with the reason', async (t) => {
    const herald = await startHeraldProcess(['--db', join(dir.path, 'herald.db'), '--allow-private-networks']);
    t.after(() => herald.stop());
    const key = herald.apiKey!;
    // As in the walkthrough, the endpoint comes first: the receiver needs its secret.
    const port = Number(new URL(await closedPortUrl()).port);
    const made = await api<{ id: string; secret: string }>(herald.url, key, 'POST', '/v1/endpoints', {
      url: `http://127.0.0.1:${port}/webhooks`,
      events: ['user.new'],
    });
    assert.equal(made.status, 201);
    const receiver = await startExampleReceiver(port, made.body.secret);
    t.after(() => void receiver.child.kill());

    const published = await api<{ id: string }>(herald.url, key, 'POST', '/v1/events', {
      event: 'user.new',
      payload: { organization_id: 'org_1', user_id: 'u_42', email: 'ada@example.com', phone: '+14155552671', full_name: 'Ada Lovelace' },
    });
    assert.equal(published.status, 202);
    const delivered = await eventually('the delivery to succeed', async () => {
      const list = await api<{ data: Array<{ status: string }> }>(herald.url, key, 'GET', `/v1/deliveries?event_id=${published.body.id}`);
      return list.body.data[0]?.status === 'succeeded' ? list.body.data[0] : undefined;
    });
    assert.equal(delivered.status, 'succeeded');
    assert.match(receiver.output(), new RegExp(`user\\.new ${published.body.id} \\(attempt 1\\): \\{"organization_id":"org_1"`));

    const forged = await fetch(receiver.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-webhook-signature': `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}` },
      body: '{"id":"0190b6a4-7c9e-7b3f-8a1d-2e4f6a8b0c1d","event":"user.new","payload":{}}',
    });
    assert.deepEqual([forged.status, await forged.text()], [400, 'webhook refused: no_matching_signature']);
    await eventually('the refusal to be printed', async () => (/refused a delivery: no_matching_signature/.test(receiver.output()) ? true : undefined));
  });
});
