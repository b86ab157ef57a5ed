/**
 * SDK row of `npm run bench`: `verifyWebhook` on a 1 KiB delivery, against the floor any verifier
 * pays — one raw `crypto.createHmac` over the same bytes — measured in the same run, interleaved in
 * short rounds so both see the same machine load.
 */
import { createHmac } from 'node:crypto';
import { envelopeJson, signatureHeader, verifySignature, verifyWebhook } from '../src/index.js';

export interface VerifyBenchResult {
  /** `verifyWebhook` (signature check + `JSON.parse` of the envelope) per second. */
  verifyPerSec: number;
  /** Raw `createHmac('sha256', secret).update(…).digest('hex')` per second: the floor. */
  hmacPerSec: number;
  /** verifyPerSec / hmacPerSec; the target is ≥ 0.8. */
  ratio: number;
  /** `verifySignature` (everything but the parse) per second. */
  signatureOnlyPerSec: number;
  signatureOnlyRatio: number;
  /** Raw createHmac followed by JSON.parse, what a hand-written receiver does, per second. */
  hmacAndParsePerSec: number;
  /** verifyPerSec / hmacAndParsePerSec: the SDK's overhead over the hand-written equivalent. */
  ratioToHmacAndParse: number;
}

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYo=';

/** A 1 KiB (1 024 bytes) `user.create_event` delivery with typical fields, padded by its description. */
export function oneKibBody(): string {
  const id = '0190f5a2-7c1e-7d3a-9f10-5b2c8e4a1d71';
  const payload = {
    organization_id: '0190f5a2-7c1e-7d3a-9f10-5b2c8e4a1d6f',
    user_id: '0190f5a2-7c1e-7d3a-9f10-5b2c8e4a1d70',
    event_id: 'evt_01HZX3J8Q4N5V6W7X8Y9Z0A1B2',
    event_type: 'meeting',
    title: 'Quarterly planning with the platform team',
    description: '',
    location: 'Room 4.02, 221B Baker Street, London',
    start_time: '2025-03-14T09:30:00.000Z',
    end_time: '2025-03-14T11:00:00.000Z',
    is_public: false,
    metadata: { source: 'calendar-sync', calendar_id: 'cal_7781', attendees: 12, recurring: false, tags: ['planning', 'q2', 'platform'] },
  };
  const words = 'Agenda: review last quarter, agree on goals, staff the on-call rotation and plan the migration. ';
  const room = 1024 - Buffer.byteLength(envelopeJson(id, 'user.create_event', JSON.stringify(payload)));
  payload.description = words.repeat(Math.ceil(room / words.length)).slice(0, room);
  return envelopeJson(id, 'user.create_event', JSON.stringify(payload));
}

/**
 * @example
 * const { verifyPerSec, hmacPerSec, ratio } = await benchVerify({ seconds: 2 });
 */
export async function benchVerify({ seconds }: { seconds: number }): Promise<VerifyBenchResult> {
  if (!(seconds > 0)) throw new TypeError('seconds must be a positive number');
  const body = Buffer.from(oneKibBody(), 'utf8');
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = { 'content-type': 'application/json', 'x-webhook-signature': signatureHeader([SECRET], timestamp, body) };
  const prefix = `${timestamp}.`;
  let sink = 0;

  const verify = (): void => {
    sink += verifyWebhook(body, headers, SECRET).id.length;
  };
  const signatureOnly = (): void => {
    verifySignature(body, headers, SECRET);
    sink++;
  };
  const hmac = (): void => {
    sink += createHmac('sha256', SECRET).update(prefix).update(body).digest('hex').length;
  };
  const hmacAndParse = (): void => {
    sink += createHmac('sha256', SECRET).update(prefix).update(body).digest('hex').length;
    sink += (JSON.parse(body.toString('utf8')) as { id: string }).id.length;
  };

  const contenders = [verify, hmac, signatureOnly, hmacAndParse];
  const seconds_ = contenders.map(() => 0);
  const batch = 2_000;
  const time = (fn: () => void): number => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) fn();
    return Number(process.hrtime.bigint() - start) / 1e9;
  };
  for (let i = 0; i < 3; i++) for (const fn of contenders) time(fn);

  let rounds = 0;
  const deadline = performance.now() + seconds * 1000;
  while (performance.now() < deadline) {
    contenders.forEach((fn, i) => (seconds_[i]! += time(fn)));
    rounds++;
    // Let the event loop breathe between rounds (the bench runs beside a live server).
    if (rounds % 5 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  if (sink === 0) throw new Error('unreachable: keeps the work observable');
  const [verifyPerSec, hmacPerSec, signatureOnlyPerSec, hmacAndParsePerSec] = seconds_.map((s) => (rounds * batch) / s) as [number, number, number, number];
  return {
    verifyPerSec,
    hmacPerSec,
    ratio: verifyPerSec / hmacPerSec,
    signatureOnlyPerSec,
    signatureOnlyRatio: signatureOnlyPerSec / hmacPerSec,
    hmacAndParsePerSec,
    ratioToHmacAndParse: verifyPerSec / hmacAndParsePerSec,
  };
}
