import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../context.js';
import { unauthorized } from '../../domain/errors.js';
import type { PasswordAuth, TokenInfo, TokenService } from './tokens.js';
import { callerProjects } from './projects.js';
import { inspectToken, revokeSubjectToken } from './subject-tokens.js';
import { baseUrl } from '../../http/request.js';
import { RouteTable } from '../../http/route-table.js';
import { registerIdentityAdminRoutes } from './admin.routes.js';
import { projectView } from './identity.view.js';

const keystoneTime = (s: string) => s.replace(/\.(\d{3})Z$/, '.$1000Z');

function versionDoc(request: FastifyRequest) {
  return {
    id: 'v3.14',
    status: 'stable',
    updated: '2020-04-07T00:00:00Z',
    links: [{ rel: 'self', href: `${baseUrl(request)}/identity/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  };
}

/** The service catalog: every service on this one port, three interfaces, RegionOne. */
export function catalog(base: string, projectId?: string) {
  const services: Array<[string, string, string]> = [
    ['compute', 'nova', `${base}/v2.1`],
    ['identity', 'keystone', `${base}/identity`],
    ['image', 'glance', `${base}/image`],
    ['network', 'neutron', `${base}/networking`],
  ];
  // Cinder, as devstack registers it (`/volume/v3/$(project_id)s`), with Keystone's substitution
  // of the token's project done here; a token without a project has no project-scoped endpoints.
  if (projectId) {
    services.push(['volumev3', 'cinderv3', `${base}/volume/v3/${projectId}`]);
    services.push(['block-storage', 'cinder', `${base}/volume/v3/${projectId}`]);
  }
  return services.map(([type, name, url], i) => ({
    id: `${(i + 1).toString(16).padStart(32, '0')}`,
    type,
    name,
    endpoints: ['public', 'internal', 'admin'].map((iface, j) => ({
      id: `${(i * 3 + j + 1).toString(16).padStart(32, 'e')}`,
      interface: iface,
      region_id: 'RegionOne',
      region: 'RegionOne',
      url,
    })),
  }));
}

async function tokenBody(tokens: TokenService, info: TokenInfo, base: string, withCatalog: boolean) {
  const token: Record<string, unknown> = {
    methods: ['password'],
    user: {
      domain: { id: info.domainId, name: info.domainName },
      id: info.userId,
      name: info.userName,
      password_expires_at: null,
    },
    audit_ids: [info.auditId],
    expires_at: keystoneTime(info.expiresAt),
    issued_at: keystoneTime(info.issuedAt),
  };
  if (info.projectId) {
    token.project = { domain: { id: 'default', name: 'Default' }, id: info.projectId, name: info.projectName };
    token.is_domain = false;
    token.roles = await tokens.roleRefs(info.roles);
    if (withCatalog) token.catalog = catalog(base, info.projectId);
  }
  return { token };
}

const str = { type: 'string', maxLength: 255 };
const ref = { type: 'object', properties: { id: str, name: str }, additionalProperties: true };
const authSchema = {
  type: 'object',
  required: ['auth'],
  properties: {
    auth: {
      type: 'object',
      required: ['identity'],
      properties: {
        identity: {
          type: 'object',
          required: ['methods'],
          properties: {
            methods: { type: 'array', items: { type: 'string' } },
            password: {
              type: 'object',
              required: ['user'],
              properties: {
                user: {
                  type: 'object',
                  required: ['password'],
                  properties: { id: str, name: str, password: { type: 'string', maxLength: 4096 }, domain: ref },
                },
              },
            },
          },
        },
        scope: {
          anyOf: [
            { type: 'string' },
            {
              type: 'object',
              properties: { project: { type: 'object', properties: { id: str, name: str, domain: ref } } },
            },
          ],
        },
      },
    },
  },
};

export function registerIdentityRoutes(app: FastifyInstance, deps: Deps, tokens: TokenService): void {
  const r = new RouteTable(app);
  r.add('GET', '/identity', async (request) => ({ versions: { values: [versionDoc(request)] } }), { public: true });
  r.add('GET', '/identity/v3', async (request) => ({ version: versionDoc(request) }), { public: true });

  r.add(
    'POST',
    '/identity/v3/auth/tokens',
    async (request, reply) => {
      const body = request.body as {
        auth: {
          identity: { methods: string[]; password?: { user: PasswordAuth['user'] } };
          scope?: { project?: PasswordAuth['project'] } | string;
        };
      };
      const ident = body.auth.identity;
      if (!ident.methods.includes('password'))
        throw unauthorized('Attempted to authenticate with an unsupported method.');
      if (!ident.password) throw unauthorized();
      const scope = typeof body.auth.scope === 'object' ? body.auth.scope.project : undefined;
      const { token, info } = await tokens.issue({ user: ident.password.user, project: scope }, request.ip);
      const noCatalog = (request.query as Record<string, string>).nocatalog !== undefined;
      reply.code(201).header('x-subject-token', token);
      return tokenBody(tokens, info, baseUrl(request), !noCatalog);
    },
    { public: true, schema: { body: authSchema } },
  );

  const subject = (request: FastifyRequest) => {
    const s = request.headers['x-subject-token'];
    return typeof s === 'string' && s ? s : undefined;
  };
  r.add(
    'GET',
    '/identity/v3/auth/tokens',
    async (request, reply) => {
      const info = await inspectToken(deps, tokens, request.caller!, subject(request), 'validate_token');
      reply.header('x-subject-token', subject(request));
      return tokenBody(
        tokens,
        info,
        baseUrl(request),
        (request.query as Record<string, string>).nocatalog === undefined,
      );
    },
    { exposeHeadRoute: false },
  );
  // HEAD is its own route, not Fastify's copy of GET: Keystone checks another rule for it.
  r.add('HEAD', '/identity/v3/auth/tokens', async (request, reply) => {
    await inspectToken(deps, tokens, request.caller!, subject(request), 'check_token');
    return reply.code(200).header('x-subject-token', subject(request)).send();
  });
  r.add('DELETE', '/identity/v3/auth/tokens', async (request, reply) => {
    await revokeSubjectToken(deps, tokens, request.caller!, subject(request));
    reply.code(204);
    return null;
  });
  r.add('GET', '/identity/v3/auth/projects', async (request) => {
    const projects = await callerProjects(deps, request.caller!);
    const v3 = `${baseUrl(request)}/identity/v3`;
    return {
      projects: projects.map((p) => projectView(p, v3)),
      links: { self: `${v3}/auth/projects`, previous: null, next: null },
    };
  });
  r.finish();
  registerIdentityAdminRoutes(app, deps, tokens);
}
