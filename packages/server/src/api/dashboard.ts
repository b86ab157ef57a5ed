import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Serves the dashboard's static build (packages/dashboard/dist) at `/`. Small enough that a
 * dependency would cost more than it saves: the build is a handful of files, so they are read once
 * at start-up and each becomes its own route. Nothing else on disk is reachable (no path is ever
 * joined from a request), and API paths (`/v1`, `/healthz`, `/metrics`, `/openapi.json`, `/portal`)
 * are untouched because only the files and the client routes below are registered. A browser that
 * opens any other path gets the pages too, with a 404, through the not-found handler
 * (`answerUnknownPage`): a catch-all route would also swallow the router's own 400 for an overlong id.
 *
 * The build step writes a Brotli (`.br`) and a gzip (`.gz`) copy next to each larger file, at the
 * highest levels, so compression costs nothing per request here; the copy the browser accepts is
 * sent with `Content-Encoding`, and `Vary: Accept-Encoding` keeps caches from mixing them up.
 */

export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../../dashboard/dist/', import.meta.url));

export interface Dashboard {
  /** Registers the build's files and the client routes on `app`. */
  routes(app: FastifyInstance): void;
  /**
   * For a browser's navigation (GET, `Accept: text/html`) outside `/v1` to a path that nothing
   * serves: answers index.html with a 404, so the pages show their own not-found page. Returns
   * false, answering nothing, for any other request.
   */
  answerUnknownPage(request: FastifyRequest, reply: FastifyReply): boolean;
}

/** The dashboard's client-side routes: each answers index.html and the page's script takes over. */
const CLIENT_ROUTES = ['/', '/sign-in', '/webhooks', '/webhooks/*', '/deliveries', '/deliveries/*', '/event-types'];

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** Content codings the build writes, in the order preferred when the browser accepts both equally. */
const ENCODINGS = [
  { name: 'br', suffix: '.br' },
  { name: 'gzip', suffix: '.gz' },
] as const;
type EncodingName = (typeof ENCODINGS)[number]['name'];

/** A file as sent: its bytes, and the compressed copies the build made of it. */
interface StaticFile {
  body: Buffer;
  encoded: Map<EncodingName, Buffer>;
}

// The pages load only their own scripts and styles and talk only to this origin.
const PAGE_CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'";

export function loadDashboard(dir: string | null): Dashboard {
  const index = dir === null || !existsSync(join(dir, 'index.html')) ? undefined : readStaticFile(join(dir, 'index.html'));
  if (dir === null || index === undefined) {
    return {
      routes(app) {
        for (const path of CLIENT_ROUTES) {
          app.get(path, { schema: { hide: true } }, async (_request, reply) => notBuilt(reply, dir));
        }
      },
      answerUnknownPage: () => false,
    };
  }

  const sendPage = (request: FastifyRequest, reply: FastifyReply) =>
    send(
      request,
      reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .header('content-security-policy', PAGE_CSP)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'same-origin'),
      index,
    );

  return {
    routes(app) {
      for (const file of listFiles(dir)) {
        const path = `/${relative(dir, file).split(sep).join('/')}`;
        if (path === '/index.html' || ENCODINGS.some((e) => path.endsWith(e.suffix))) continue;
        const content = readStaticFile(file);
        // Vite puts a content hash in every file name under assets/, so those never change.
        const cacheControl = path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
        const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
        app.get(path, { schema: { hide: true } }, async (request, reply) =>
          send(request, reply.type(type).header('cache-control', cacheControl).header('x-content-type-options', 'nosniff'), content),
        );
      }
      for (const path of CLIENT_ROUTES) {
        app.get(path, { schema: { hide: true } }, async (request, reply) => sendPage(request, reply));
      }
    },
    answerUnknownPage(request, reply) {
      if (!isPageNavigation(request)) return false;
      sendPage(request, reply.code(404));
      return true;
    },
  };
}

function isPageNavigation(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  const path = request.url.split('?')[0]!;
  if (path === '/v1' || path.startsWith('/v1/')) return false;
  return /(^|[\s,])text\/html\b/i.test(request.headers.accept ?? '');
}

function send(request: FastifyRequest, reply: FastifyReply, file: StaticFile): FastifyReply {
  if (file.encoded.size === 0) return reply.send(file.body);
  reply.header('vary', 'accept-encoding');
  const encoding = preferredEncoding(request.headers['accept-encoding'], [...file.encoded.keys()]);
  if (encoding === null) return reply.send(file.body);
  return reply.header('content-encoding', encoding).send(file.encoded.get(encoding));
}

/**
 * The coding of `available` that `Accept-Encoding` ranks highest (`q`, then our order), or null for
 * the file as it is. A coding is acceptable when named, or covered by `*`, with a `q` above 0.
 */
function preferredEncoding(header: string | undefined, available: readonly EncodingName[]): EncodingName | null {
  if (header === undefined || header.trim() === '') return null;
  const weights = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    weights.set(name, q === undefined ? 1 : Number(q.slice(2)) || 0);
  }
  let best: EncodingName | null = null;
  let bestWeight = 0;
  for (const { name } of ENCODINGS) {
    if (!available.includes(name)) continue;
    const weight = weights.get(name) ?? weights.get('*') ?? 0;
    if (weight > bestWeight) [best, bestWeight] = [name, weight];
  }
  return best;
}

function readStaticFile(file: string): StaticFile {
  const encoded = new Map<EncodingName, Buffer>();
  for (const { name, suffix } of ENCODINGS) {
    if (existsSync(file + suffix)) encoded.set(name, readFileSync(file + suffix));
  }
  return { body: readFileSync(file), encoded };
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

function notBuilt(reply: FastifyReply, dir: string | null) {
  const text =
    dir === null
      ? 'This Herald serves its API only; the dashboard is turned off.'
      : 'The dashboard has not been built. Run <code>npm run build</code> in the Herald checkout, then restart <code>herald serve</code>. The API under <code>/v1</code> works meanwhile.';
  return reply
    .code(503)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Herald</title></head><body style="font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem"><h1>Herald dashboard unavailable</h1><p>${text}</p></body></html>\n`);
}
