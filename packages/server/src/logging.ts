import { pino, type Logger } from 'pino';

/**
 * Herald's logger: pino, with credentials kept out. A portal link's `?token=` signs anyone in, and
 * an API key sent as `?api_key=` authorizes everything, so request URLs are logged with those query
 * parameters' values replaced; and whatever logs headers gets `Authorization` and `Cookie` redacted
 * by pino itself, so a future log line cannot leak them either.
 */

const SECRET_QUERY_PARAMETERS = new Set(['token', 'api_key', 'key', 'secret']);
const REDACTED = '[redacted]';

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'res.headers["set-cookie"]',
];

/** `/portal?token=abc&x=1` → `/portal?token=[redacted]&x=1`; names compared case-insensitively. */
export function redactUrl(url: string): string {
  const question = url.indexOf('?');
  if (question === -1) return url;
  const query = url
    .slice(question + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq === -1 ? pair : pair.slice(0, eq);
      return SECRET_QUERY_PARAMETERS.has(safeDecode(name).toLowerCase()) ? `${name}=${REDACTED}` : pair;
    })
    .join('&');
  return `${url.slice(0, question)}?${query}`;
}

interface LoggedRequest {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/** Fastify's request serializer, with the URL redacted. */
export function serializeRequest(request: LoggedRequest) {
  return {
    method: request.method,
    url: typeof request.url === 'string' ? redactUrl(request.url) : request.url,
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

export function createLogger(level: string, base: Record<string, string>, destination?: pino.DestinationStream): Logger {
  const options = { level, base, redact: { paths: REDACTED_PATHS, censor: REDACTED }, serializers: { req: serializeRequest } };
  return destination === undefined ? pino(options) : pino(options, destination);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}
