import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../context.js';
import {
  CONSOLE_PATH,
  getRemoteConsole,
  openConsole,
  showConsoleToken,
  type OpenedConsole,
} from './remote-consoles.js';
import { LEGACY_CONSOLE_ACTIONS, parseCreateRemoteConsole, parseLegacyConsole } from './remote-consoles.schemas.js';
import { HttpFault } from '../../http/fault-mapper.js';
import { atLeast } from '../../http/microversion.js';
import { scalar, type Query } from '../../http/query.js';
import { baseUrl, callerOf } from '../../http/request.js';
import { RouteTable } from '../../http/route-table.js';

/** Nova's answer to a method outside its microversions (VersionNotFoundForAPIMethod): a bare 404. */
const versionNotFound = () => new HttpFault(404, 'itemNotFound', 'The resource could not be found.');
/** webob's HTTPBadRequest() without an explanation, as Nova raises for what it removed. */
const bareBadRequest = () =>
  new HttpFault(
    400,
    'badRequest',
    'The server could not comply with the request since it is either malformed or otherwise incorrect.',
  );

export const isLegacyConsoleAction = (key: string): boolean => key in LEGACY_CONSOLE_ACTIONS;

/** os-getVNCConsole, os-getSPICEConsole, os-getSerialConsole, os-getRDPConsole (2.1–2.5). */
export async function legacyConsoleAction(
  deps: Deps,
  request: FastifyRequest,
  id: string,
  key: string,
  value: unknown,
): Promise<{ console: { type: string; url: string } }> {
  if (atLeast(request.mv, 6)) throw versionNotFound();
  const { protocol, type } = parseLegacyConsole(key, value);
  // Nova 29.0.0: os-getRDPConsole is @wsgi.removed and raises a bare HTTPBadRequest.
  if (protocol === 'rdp') throw bareBadRequest();
  const url = await getRemoteConsole(deps, callerOf(request), id, protocol, type, baseUrl(request));
  return { console: { type, url } };
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** The console page: the guest's console log as escaped text; no scripts, nothing loaded from elsewhere. */
function consolePage(c: OpenedConsole): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Console of ${escapeHtml(c.serverName)}</title>
<style>body{margin:0;background:#111;color:#ddd;font-family:sans-serif}header{padding:.5em 1em;background:#222}pre{margin:0;padding:1em;font-family:monospace;white-space:pre-wrap;word-break:break-all}</style>
</head>
<body>
<header>Console (${escapeHtml(c.consoleType)}) of server <strong>${escapeHtml(c.serverName)}</strong> (${escapeHtml(c.serverId)}); this URL is valid until ${escapeHtml(c.expiresAt)}. Reload to see new output.</header>
<pre id="console-log">${escapeHtml(c.log)}</pre>
</body>
</html>
`;
}

export function registerRemoteConsoleRoutes(app: FastifyInstance, deps: Deps): void {
  const r = new RouteTable(app, ['/v2.1', '/v2.1/:project_id']);
  r.add('POST', '/servers/:id/remote-consoles', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!atLeast(request.mv, 6)) throw versionNotFound();
    const { protocol, type } = parseCreateRemoteConsole(request.body, request.mv.minor);
    const id = (request.params as { id: string }).id;
    const url = await getRemoteConsole(deps, callerOf(request), id, protocol, type, baseUrl(request));
    reply.code(200);
    return { remote_console: { protocol, type, url } };
  });
  r.add('GET', '/os-console-auth-tokens/:token', async (request: FastifyRequest) => {
    // Nova: before 2.31 the API served only rdp-html5 consoles, removed with Hyper-V: a bare 400.
    if (!atLeast(request.mv, 31)) throw bareBadRequest();
    const token = (request.params as { token: string }).token;
    return { console: await showConsoleToken(deps, callerOf(request), token) };
  });
  r.finish();

  // The console itself: the token in the URL is the credential, as with Nova's console proxies.
  const page = new RouteTable(app);
  page.add(
    'GET',
    CONSOLE_PATH,
    async (request: FastifyRequest, reply: FastifyReply) => {
      const opened = await openConsole(deps, scalar(request.query as Query, 'token'));
      reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
      return consolePage(opened);
    },
    { public: true },
  );
  page.finish();
}
