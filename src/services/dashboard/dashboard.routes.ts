import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { HttpFault } from '../../http/fault-mapper.js';
import { RouteTable } from '../../http/route-table.js';

/**
 * The dashboard (README "Dashboard"): static files of the package's own `dashboard/` folder and
 * the three vendored ES modules, served at /dashboard/. It has no API of its own: the page calls
 * the public APIs with the user's token, so every answer it shows went through the same policy.
 */
export function registerDashboardRoutes(app: FastifyInstance): void {
  const root = dashboardDir();
  const files = new Set(readdirSync(root).filter((f) => /^[a-z0-9-]+\.(html|js|css)$/.test(f)));
  const vendor = vendorFiles();
  const headers = securityHeaders(readFileSync(join(root, 'index.html'), 'utf8'));

  // Only reply.sendFile: the routes below decide which files exist, nothing is served by path.
  void app.register(fastifyStatic, { root, serve: false });

  const send = (reply: FastifyReply, file: string, dir: string) => {
    // no-cache: revalidate (ETag) each load, so an upgrade is seen at once.
    reply.headers(headers).header('cache-control', 'no-cache');
    return reply.sendFile(file, dir, { cacheControl: false, lastModified: true, etag: true });
  };
  const notFound = () => new HttpFault(404, 'itemNotFound', 'The resource could not be found.');

  const r = new RouteTable(app);
  r.add(
    'GET',
    '/dashboard/',
    async (request, reply) => {
      // The router ignores trailing slashes; relative module URLs need the folder form.
      if (!request.url.split('?')[0].endsWith('/')) return reply.redirect('/dashboard/', 302);
      return send(reply, 'index.html', root);
    },
    { public: true },
  );
  r.add(
    'GET',
    '/dashboard/:file',
    async (request, reply) => {
      const { file } = request.params as { file: string };
      if (!files.has(file)) throw notFound();
      return send(reply, file, root);
    },
    { public: true },
  );
  r.add(
    'GET',
    '/dashboard/vendor/:file',
    async (request, reply) => {
      const path = vendor.get((request.params as { file: string }).file);
      if (!path) throw notFound();
      return send(reply, path.file, path.dir);
    },
    { public: true },
  );
  r.finish();
}

/** The `dashboard/` folder at the package root (from src/… or dist/src/… alike). */
function dashboardDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'dashboard', 'index.html')) && existsSync(join(dir, 'package.json')))
      return join(dir, 'dashboard');
    dir = dirname(dir);
  }
  throw new Error(`dashboard/index.html not found above ${fileURLToPath(import.meta.url)}`);
}

/** The browser builds of preact, preact/hooks and htm, found where Node resolves the packages. */
function vendorFiles(): Map<string, { dir: string; file: string }> {
  const require = createRequire(import.meta.url);
  const at = (specifier: string, file: string) => ({ dir: dirname(require.resolve(specifier)), file });
  return new Map([
    ['preact.mjs', at('preact', 'preact.mjs')],
    ['hooks.mjs', at('preact/hooks', 'hooks.mjs')],
    ['htm.mjs', at('htm', 'htm.mjs')],
  ]);
}

/**
 * The page's one inline script is its import map (preact/hooks imports the bare `preact`): it is
 * allowed by its hash, so no 'unsafe-inline' is needed.
 */
export function securityHeaders(indexHtml: string): Record<string, string> {
  const maps = [...indexHtml.matchAll(/<script type="importmap">([\s\S]*?)<\/script>/g)].map(
    (m) => `'sha256-${createHash('sha256').update(m[1], 'utf8').digest('base64')}'`,
  );
  const csp = [
    "default-src 'self'",
    `script-src 'self' ${maps.join(' ')}`.trim(),
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}
