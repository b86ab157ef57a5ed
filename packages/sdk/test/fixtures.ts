import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { envelopeJson, signatureHeader } from '../src/index.js';

/** The wire spec §3 test vector. */
export const VECTOR = {
  secret: 'whsec_test_secret',
  timestamp: 1672531200,
  body: '{"id":"123e4567-e89b-12d3-a456-426614174000","event":"user.new","payload":{"organization_id":"uuid","user_id":"uuid","email":"user@example.com","phone":"+14155552671","full_name":"John Doe"}}',
  v1: '3337234afccbe4af5a215ad21fd39ca4a8960cd8b979c5877f30bdc00677dfaf',
} as const;

/** A secret shaped like Herald's: `whsec_` + base64 of 32 random bytes (usable for Standard Webhooks too). */
export function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYo=';
export const OTHER_SECRET = 'whsec_3tUbmsx9ka6YoCHzV/XzMuSR9lSSQB/9xOYO61hkmZI=';

/** Fixed "now" for verification tests: the test vector's timestamp, in ms. */
export const NOW_MS = VECTOR.timestamp * 1000;
export const at = (ms: number) => () => ms;

export interface EnvelopeParts {
  id?: string;
  event?: string;
  payload?: Record<string, unknown>;
}

/** A delivery body, valid by default (`user.new` with the catalog example). */
export function envelope(parts: EnvelopeParts = {}): string {
  const {
    id = '123e4567-e89b-12d3-a456-426614174000',
    event = 'user.new',
    payload = { organization_id: 'uuid', user_id: 'uuid', email: 'user@example.com', phone: '+14155552671', full_name: 'John Doe' },
  } = parts;
  return envelopeJson(id, event, JSON.stringify(payload));
}

/** Headers as Herald sends them for `body`, signed at `timestamp` (default the vector's) with `secrets`. */
export function signedHeaders(
  body: string | Uint8Array,
  secrets: readonly string[] = [SECRET],
  timestamp: number = VECTOR.timestamp,
): Record<string, string> {
  const signature = signatureHeader(secrets, timestamp, body);
  return { 'content-type': 'application/json', 'x-webhook-signature': signature, 'x-contactsmanager-signature': signature };
}

export interface Listening {
  url: string;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 running `handler`. */
export async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Listening> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** POSTs `body` with `headers` and returns status and text. */
export async function post(url: string, body: string | Uint8Array, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: 'POST', body: typeof body === 'string' ? body : Buffer.from(body), headers });
  return { status: response.status, text: await response.text() };
}
