import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * Serves the dashboard's static build (packages/dashboard/dist) at `/`. Small enough that a
 * dependency would cost more than it saves: the build is a handful of files, so they are read once
 * at start-up and each becomes its own route. Nothing else on disk is reachable (no path is ever
 * joined from a request), and API paths (`/v1`, `/healthz`, `/metrics`, `/openapi.json`, `/portal`)
 * are untouched because only the files and the client routes below are registered.
 */

export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../../dashboard/dist/', import.meta.url));

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

// The pages load only their own scripts and styles and talk only to this origin.
const PAGE_CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'";

export function dashboardRoutes(app: FastifyInstance, dir: string | null): void {
  const index = dir === null ? undefined : readIfExists(join(dir, 'index.html'));
  if (dir === null || index === undefined) {
    for (const path of CLIENT_ROUTES) {
      app.get(path, { schema: { hide: true } }, async (_request, reply) => notBuilt(reply, dir));
    }
    return;
  }

  for (const file of listFiles(dir)) {
    const path = `/${relative(dir, file).split(sep).join('/')}`;
    if (path === '/index.html') continue;
    const body = readFileSync(file);
    // Vite puts a content hash in every file name under assets/, so those never change.
    const cacheControl = path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
    app.get(path, { schema: { hide: true } }, async (_request, reply) =>
      reply.type(type).header('cache-control', cacheControl).header('x-content-type-options', 'nosniff').send(body),
    );
  }
  for (const path of CLIENT_ROUTES) {
    app.get(path, { schema: { hide: true } }, async (_request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .header('content-security-policy', PAGE_CSP)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'same-origin')
        .send(index),
    );
  }
}

function readIfExists(file: string): Buffer | undefined {
  return existsSync(file) ? readFileSync(file) : undefined;
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
