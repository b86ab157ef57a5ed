import { createHmac } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { computeSignature, envelopeJson, signatureHeader, standardWebhooksSignature, verifyWebhook, WebhookVerificationError } from '../../sdk/src/index.js';

/**
 * Cases that the Python SDK must decide exactly as the Node SDK does: each is run through the Node
 * SDK's `verifyWebhook` here, and its verdict (the event, the refusal reason, or a TypeError) is
 * what the Python tests compare against. Edge cases on purpose: whitespace that JavaScript trims and
 * Python's `strip()` does not (and back), repeats, odd digits, odd bytes, odd JSON.
 */

export type Verdict = { ok: true; event: unknown } | { ok: false; reason: string } | { ok: false; error: 'TypeError' };

export interface VerdictCase {
  name: string;
  body_base64: string;
  headers: Record<string, string | unknown[]>;
  secrets: string[];
  now_ms: number;
  tolerance?: number;
  future_tolerance?: number;
  verdict: Verdict;
}

/** A float written by `JSON.stringify`, and (for ints) the Python int text it came from. */
export interface NumberCase {
  json: string;
}

export interface BigIntCase {
  python_int: string;
  json: string;
}

const T = 1672531200;
const NOW_MS = T * 1000;
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYo=';
const OTHER = 'whsec_3tUbmsx9ka6YoCHzV/XzMuSR9lSSQB/9xOYO61hkmZI=';
const VECTOR_BODY =
  '{"id":"123e4567-e89b-12d3-a456-426614174000","event":"user.new","payload":{"organization_id":"uuid","user_id":"uuid","email":"user@example.com","phone":"+14155552671","full_name":"John Doe"}}';
const BODY = Buffer.from(VECTOR_BODY);

interface Input {
  body?: Buffer | string;
  headers: Record<string, string | unknown[]>;
  secrets?: string[];
  nowMs?: number;
  tolerance?: number;
  futureTolerance?: number;
}

function judge(name: string, input: Input): VerdictCase {
  const body = typeof input.body === 'string' ? Buffer.from(input.body, 'utf8') : (input.body ?? BODY);
  const secrets = input.secrets ?? [SECRET];
  const nowMs = input.nowMs ?? NOW_MS;
  let verdict: Verdict;
  try {
    const options = { now: () => nowMs, toleranceSeconds: input.tolerance, futureToleranceSeconds: input.futureTolerance };
    verdict = { ok: true, event: verifyWebhook(body, input.headers as Record<string, string | string[]>, secrets, options) };
  } catch (error) {
    if (error instanceof WebhookVerificationError) verdict = { ok: false, reason: error.reason };
    else if (error instanceof TypeError) verdict = { ok: false, error: 'TypeError' };
    else throw error;
  }
  return {
    name,
    body_base64: body.toString('base64'),
    headers: input.headers,
    secrets,
    now_ms: nowMs,
    ...(input.tolerance !== undefined ? { tolerance: input.tolerance } : {}),
    ...(input.futureTolerance !== undefined ? { future_tolerance: input.futureTolerance } : {}),
    verdict,
  };
}

const sig = (body: Buffer | string = BODY, secret = SECRET, t = T) => computeSignature(secret, t, body);
const header = (value: string) => ({ 'x-webhook-signature': value });
/** HMAC over exactly `<prefix>.<body>`, for timestamps written other than as plain digits. */
const signedAs = (prefix: string, body: Buffer = BODY, secret = SECRET) => createHmac('sha256', secret).update(`${prefix}.`).update(body).digest('hex');

function wireFormatCases(): VerdictCase[] {
  const v1 = sig();
  const valid = `t=${T},v1=${v1}`;
  const cases: Array<[string, Input]> = [
    ['the wire spec test vector', { secrets: ['whsec_test_secret'], headers: header(`t=${T},v1=3337234afccbe4af5a215ad21fd39ca4a8960cd8b979c5877f30bdc00677dfaf`) }],
    ['a header name in mixed case', { headers: { 'X-Webhook-Signature': valid } }],
    ['a header name in upper case', { headers: { 'X-WEBHOOK-SIGNATURE': valid } }],
    ['a header name with a Kelvin sign, which lower-cases to k', { headers: { 'X-Webhoo\u212a-Signature': valid } }],
    ['X-ContactsManager-Signature alone', { headers: { 'X-ContactsManager-Signature': valid } }],
    ['a garbage X-Webhook-Signature beside a valid X-ContactsManager-Signature', { headers: { 'x-webhook-signature': 'nope', 'x-contactsmanager-signature': valid } }],
    ['no signature header', { headers: { 'content-type': 'application/json' } }],
    ['an empty signature header', { headers: header('') }],
    ['the header as a one-element list', { headers: { 'x-webhook-signature': [valid] } }],
    ['the header sent twice, as a list', { headers: { 'x-webhook-signature': [valid, valid] } }],
    ['the header as an empty list', { headers: { 'x-webhook-signature': [] } }],
    ['the header as a list holding a number', { headers: { 'x-webhook-signature': [7] } }],
    ['the header sent twice, joined with ", "', { headers: header(`${valid}, ${valid}`) }],
    ['the header sent twice, joined with ","', { headers: header(`${valid},${valid}`) }],
    ['a second v1 that matches', { headers: header(`t=${T},v1=${'0'.repeat(64)},v1=${v1}`) }],
    ['unknown keys beside the v1', { headers: header(`t=${T},v0=abc,x=1,v1=${v1}`) }],
    ['the v1 in upper-case hex', { headers: header(`t=${T},v1=${v1.toUpperCase()}`) }],
    ['an empty v1', { headers: header(`t=${T},v1=`) }],
    ['a v1 with non-ASCII characters', { headers: header(`t=${T},v1=${'é'.repeat(64)}`) }],
    ['a v1 cut short', { headers: header(`t=${T},v1=${v1.slice(2)}`) }],
    ['a v1 without a t', { headers: header(`v1=${v1}`) }],
    ['a t without a v1', { headers: header(`t=${T}`) }],
    ['parts separated by a semicolon', { headers: header(`t=${T};v1=${v1}`) }],
    ['two t parts', { headers: header(`t=${T},t=${T},v1=${v1}`) }],
    ['a negative t', { headers: header(`t=-5,v1=${v1}`) }],
    ['a fractional t', { headers: header(`t=1.5,v1=${v1}`) }],
    ['a t with a plus sign', { headers: header(`t=+${T},v1=${signedAs(`+${T}`)}`) }],
    ['a t with leading zeros, signed as written', { headers: header(`t=0${T},v1=${signedAs(`0${T}`)}`) }],
    ['a t with leading zeros, signed without them', { headers: header(`t=0${T},v1=${v1}`) }],
    ['a t of 16 digits', { headers: header(`t=${'1'.repeat(16)},v1=${v1}`) }],
    ['a t of 15 digits, far in the future', { headers: header(`t=${'1'.repeat(15)},v1=${v1}`) }],
    ['a t in Arabic-Indic digits', { headers: header(`t=١٦٧٢٥٣١٢٠٠,v1=${v1}`) }],
    ['a t in superscript digits', { headers: header(`t=${T}²,v1=${v1}`) }],
    ['a trailing comma', { headers: header(`${valid},`) }],
    ['a leading comma', { headers: header(`,${valid}`) }],
    ['t==<digits>', { headers: header(`t==${T},v1=${v1}`) }],
    ['spaces around every part', { headers: header(` t = ${T} , v1 = ${v1} `) }],
    ['tabs and newlines around the parts', { headers: header(`\tt=${T}\n,\r\nv1=${v1}\t`) }],
    ['no-break spaces around the parts (JavaScript trims them)', { headers: header(`\u00a0t=${T}\u00a0,v1=${v1}\u3000`) }],
    ['a byte-order mark around the parts (JavaScript trims it, Python strip() does not)', { headers: header(`\ufefft=${T},v1=${v1}\ufeff`) }],
    ['U+001F around the t (Python strip() trims it, JavaScript does not)', { headers: header(`\u001ft=${T},v1=${v1}`) }],
    ['U+0085 around the v1 (Python strip() trims it, JavaScript does not)', { headers: header(`t=${T},v1=${v1}\u0085`) }],
    ['a timestamp exactly 900 s old', { headers: header(`t=${T - 900},v1=${sig(BODY, SECRET, T - 900)}`) }],
    ['a timestamp 901 s old', { headers: header(`t=${T - 901},v1=${sig(BODY, SECRET, T - 901)}`) }],
    ['a timestamp 300 s ahead', { headers: header(`t=${T + 300},v1=${sig(BODY, SECRET, T + 300)}`) }],
    ['a timestamp 301 s ahead', { headers: header(`t=${T + 301},v1=${sig(BODY, SECRET, T + 301)}`) }],
    ['a timestamp 60 s old with a 60 s tolerance', { tolerance: 60, headers: header(`t=${T - 60},v1=${sig(BODY, SECRET, T - 60)}`) }],
    ['a timestamp 61 s old with a 60 s tolerance', { tolerance: 60, headers: header(`t=${T - 61},v1=${sig(BODY, SECRET, T - 61)}`) }],
    ['a timestamp 1 s ahead with no future tolerance', { futureTolerance: 0, headers: header(`t=${T + 1},v1=${sig(BODY, SECRET, T + 1)}`) }],
    ['a clock 999 ms into the second', { nowMs: NOW_MS + 900_000 + 999, headers: header(valid) }],
    ['a stale timestamp with a wrong signature (the timestamp is checked first)', { headers: header(`t=${T - 5000},v1=${'0'.repeat(64)}`) }],
    ['the wrong secret', { secrets: [OTHER], headers: header(valid) }],
    ['several secrets, the second one right', { secrets: [OTHER, SECRET], headers: header(valid) }],
    ['a rotation: two v1, the receiver holding the older secret', { headers: header(signatureHeader([OTHER, SECRET], T, BODY)) }],
    ['a non-ASCII secret', { secrets: ['whsec_ünïcødé 🔑'], headers: header(`t=${T},v1=${sig(BODY, 'whsec_ünïcødé 🔑')}`) }],
    ['a secret holding a lone surrogate', { secrets: ['whsec_\ud800x'], headers: header(`t=${T},v1=${sig(BODY, 'whsec_\ud800x')}`) }],
    ['a changed body', { body: VECTOR_BODY.replace('John', 'Jane'), headers: header(valid) }],
    ['a changed timestamp', { headers: header(`t=${T + 1},v1=${v1}`) }],
  ];
  return cases.map(([name, input]) => judge(name, input));
}

function bodyCases(): VerdictCase[] {
  const bodies: Array<[string, Buffer | string]> = [
    ['not JSON', 'not json'],
    ['a JSON array', '[1,2]'],
    ['an envelope without payload', '{"id":"x","event":"user.new"}'],
    ['an envelope with a numeric id', '{"id":1,"event":"user.new","payload":{}}'],
    ['an envelope with a numeric event', '{"id":"x","event":1,"payload":{}}'],
    ['an envelope whose payload is an array', '{"id":"x","event":"user.new","payload":[]}'],
    ['an envelope whose payload is null', '{"id":"x","event":"user.new","payload":null}'],
    ['NaN in the payload (Python accepts it by default)', '{"id":"x","event":"e","payload":{"n":NaN}}'],
    ['Infinity in the payload', '{"id":"x","event":"e","payload":{"n":-Infinity}}'],
    ['a byte-order mark before the JSON', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), BODY])],
    ['JSON whitespace around the envelope', ` \t\r\n${VECTOR_BODY}\n `],
    ['a non-JSON space (U+00A0) before the envelope', `\u00a0${VECTOR_BODY}`],
    ['a trailing comma in the JSON', '{"id":"x","event":"e","payload":{},}'],
    ['a raw control character in a string', '{"id":"x\u0001","event":"e","payload":{}}'],
    ['keys given twice (the last wins)', '{"id":"a","id":"b","event":"e","payload":{"k":1,"k":2}}'],
    ['a lone surrogate escape in the payload', '{"id":"x","event":"e","payload":{"s":"\\ud800 \\udfff \\ud83d\\ude00"}}'],
    [
      'invalid UTF-8 inside a string',
      Buffer.concat([
        Buffer.from('{"id":"x","event":"e","payload":{"s":"'),
        Buffer.from([0xff, 0x41, 0xc0, 0xaf, 0xe2, 0x82, 0x41, 0xf0, 0x9f, 0x98, 0x41, 0xed, 0xa0, 0x80, 0x41, 0xf4, 0x90, 0x80, 0x80]),
        Buffer.from('"}}'),
      ]),
    ],
    ['non-ASCII text and emoji', envelopeJson('x', 'user.new', JSON.stringify({ organization_id: 'o', user_id: 'u', email: null, phone: null, full_name: 'Zoë 😀 日本' }))],
    ['an event type outside the catalog', envelopeJson('x', 'order.paid', '{"organization_id":"o","order_id":"x1","total":12.5}')],
    ['fields a producer added', envelopeJson('x', 'user.follow', '{"organization_id":"o","follower_id":"a","followed_id":"b","source":"app"}')],
    ['numbers of every kind', '{"id":"x","event":"e","payload":{"a":0.00001,"b":1e-7,"c":1e+21,"d":-0,"e":12345678901234567000,"f":1.5E3,"g":[0.1,-2]}}'],
    ['nesting 500 levels deep', `{"id":"x","event":"e","payload":{"deep":${'['.repeat(500)}${']'.repeat(500)}}}`],
  ];
  return bodies.map(([name, body]) => judge(`a signed body: ${name}`, { body, headers: header(`t=${T},v1=${sig(body)}`) }));
}

function standardWebhooksCases(): VerdictCase[] {
  const sw = (id: string, timestamp: string, signature: string) => ({ 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature });
  const library = new StandardWebhook(SECRET).sign('msg_1', new Date(T * 1000), VECTOR_BODY);
  const ours = standardWebhooksSignature([SECRET], 'msg_1', T, BODY);
  const [, mac] = ours.split(',');
  const cases: Array<[string, Input]> = [
    ['signed by the standardwebhooks library', { headers: sw('msg_1', String(T), library) }],
    ['header names in mixed case', { headers: { 'Webhook-Id': 'msg_1', 'WEBHOOK-TIMESTAMP': String(T), 'Webhook-Signature': ours } }],
    ['two entries from a rotation, the receiver holding the older secret', { headers: sw('msg_1', String(T), standardWebhooksSignature([OTHER, SECRET], 'msg_1', T, BODY)) }],
    ['several secrets, the second one right', { secrets: [OTHER, SECRET], headers: sw('msg_1', String(T), ours) }],
    ['a v1a entry beside the v1', { headers: sw('msg_1', String(T), `v1a,ignored ${ours}`) }],
    ['only a v1a entry', { headers: sw('msg_1', String(T), 'v1a,abc') }],
    ['entries separated by two spaces', { headers: sw('msg_1', String(T), `v1,AAAA  ${ours}`) }],
    ['an entry without a comma', { headers: sw('msg_1', String(T), 'garbage') }],
    ['an entry starting with a comma', { headers: sw('msg_1', String(T), ',abc') }],
    ['an entry with a character outside base64', { headers: sw('msg_1', String(T), `v1,!${mac}`) }],
    ['no webhook-id', { headers: { 'webhook-timestamp': String(T), 'webhook-signature': ours } }],
    ['no webhook-timestamp', { headers: { 'webhook-id': 'msg_1', 'webhook-signature': ours } }],
    ['an empty webhook-id', { headers: sw('', String(T), ours) }],
    ['a webhook-timestamp with spaces around it', { headers: sw('msg_1', ` ${T} `, ours) }],
    ['a webhook-timestamp with leading zeros (signed as the number)', { headers: sw('msg_1', `00${T}`, ours) }],
    ['a webhook-timestamp that is not digits', { headers: sw('msg_1', 'soon', ours) }],
    ['a webhook-timestamp 901 s old', { headers: sw('msg_1', String(T - 901), standardWebhooksSignature([SECRET], 'msg_1', T - 901, BODY)) }],
    ['a webhook-timestamp 301 s ahead', { headers: sw('msg_1', String(T + 301), standardWebhooksSignature([SECRET], 'msg_1', T + 301, BODY)) }],
    ['a changed webhook-id', { headers: sw('msg_2', String(T), ours) }],
    ['a non-ASCII webhook-id', { headers: sw('msg_ü', String(T), standardWebhooksSignature([SECRET], 'msg_ü', T, BODY)) }],
    ['the wrong secret', { secrets: [OTHER], headers: sw('msg_1', String(T), ours) }],
    ['a secret that is not base64 after whsec_', { secrets: ['whsec_test_secret'], headers: sw('msg_1', String(T), ours) }],
    [
      'a base64 secret without the whsec_ prefix',
      { secrets: [SECRET.slice('whsec_'.length)], headers: sw('msg_1', String(T), standardWebhooksSignature([SECRET.slice('whsec_'.length)], 'msg_1', T, BODY)) },
    ],
    ['X-Webhook-Signature preferred when both schemes are present', { headers: { ...sw('msg_1', String(T), 'v1,AAAA'), 'x-webhook-signature': `t=${T},v1=${sig()}` } }],
  ];
  return cases.map(([name, input]) => judge(`Standard Webhooks: ${name}`, input));
}

/** Every case, with the Node SDK's verdict. */
export function nodeVerdicts(): VerdictCase[] {
  return [...wireFormatCases(), ...bodyCases(), ...standardWebhooksCases()];
}

/**
 * Envelopes as `JSON.stringify` writes them, full of numbers and strings where Python's `json.dumps`
 * would write something else: `wire_body(json.loads(json))` must give back these exact bytes.
 */
export function stringifiedEnvelopes(): NumberCase[] {
  let seed = 42;
  // A small deterministic PRNG (mulberry32), so a failure can be reproduced.
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const fixed = [
    0.00001, 1e-7, 1.5e-7, 1e-6, 9.99e-7, 1e21, 9.99e20, 1e20, 123456789012345680000, 0.1, 0.3, 1 / 3, -0, 1, 5e-324, 2 ** 53, 2 ** 53 + 2,
    1.7976931348623157e308, -1e-7, 123.456, 100, 1e-300, 4.35, 0.000123,
  ];
  const numbers = [...fixed];
  for (let i = 0; i < 3000; i++) {
    const magnitude = 10 ** Math.floor(random() * 60 - 30);
    numbers.push((random() - 0.5) * magnitude);
  }
  const buffer = new DataView(new ArrayBuffer(8));
  for (let i = 0; i < 1000; i++) {
    buffer.setUint32(0, Math.floor(random() * 2 ** 32));
    buffer.setUint32(4, Math.floor(random() * 2 ** 32));
    const value = buffer.getFloat64(0);
    if (Number.isFinite(value)) numbers.push(value);
  }
  const cases: NumberCase[] = [];
  for (let i = 0; i < numbers.length; i += 50) {
    cases.push({ json: JSON.stringify({ id: `n${i}`, event: 'numbers', payload: { values: numbers.slice(i, i + 50), first: numbers[i] } }) });
  }
  const strings = ['\u0000\u0001\u001f\u007f', '\b\f\n\r\t"\\/', '\u2028\u2029', '\ud800', 'a\udfffb', '\ud83d\ude00', 'Zoë Ñúñez 😀 日本', '\ufeff'];
  cases.push({ json: JSON.stringify({ id: 's', event: 'strings', payload: Object.fromEntries(strings.map((s, i) => [`k${i}${s}`, s])) }) });
  return cases;
}

/** Python ints beyond 2**53 and what `JSON.stringify` writes for the number they become in JavaScript. */
export function bigIntCases(): BigIntCase[] {
  const texts = ['9007199254740993', '-9007199254740993', '12345678901234567890', '18446744073709551615', '99999999999999999999999', '1' + '0'.repeat(21), '1' + '0'.repeat(400)];
  return texts.map((text) => ({ python_int: text, json: JSON.stringify(Number(text)) }));
}
