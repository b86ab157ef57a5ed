#!/usr/bin/env node
// A webhook receiver for trying Herald out (README, "Publish an event"): verifies each delivery with
// @herald/sdk and prints it. A bad signature is answered 400 with the reason, and printed too.
//
//   HERALD_WEBHOOK_SECRET=whsec_… node scripts/example-receiver.mjs [port]   default 3000, path /webhooks
import { createServer } from 'node:http';
import { nodeWebhookHandler } from '@herald/sdk';

const secret = process.env.HERALD_WEBHOOK_SECRET;
if (!secret) {
  console.error('example-receiver: set HERALD_WEBHOOK_SECRET to the endpoint\'s "secret" (the answer to POST /v1/endpoints)');
  process.exit(2);
}
const port = Number(process.argv[2] ?? 3000);

const handle = nodeWebhookHandler(
  { secret, onRejected: (error) => console.log(`refused a delivery: ${error.reason} (${error.message})`) },
  (event, req) => console.log(`${event.event} ${event.id} (attempt ${req.headers['x-webhook-attempt']}): ${JSON.stringify(event.payload)}`),
);

const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url?.split('?')[0] === '/webhooks') return void handle(req, res);
  res.writeHead(404, { 'content-type': 'text/plain' }).end('POST /webhooks only\n');
});
server.listen(port, '127.0.0.1', () => console.log(`receiving on http://127.0.0.1:${server.address().port}/webhooks (Ctrl-C to stop)`));
