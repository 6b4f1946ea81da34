import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Caller, Deps } from '../services/context.js';
import { projectIdMismatch, unauthorized, type DomainError } from '../domain/errors.js';
import type { TokenService, TokenInfo } from '../services/identity/tokens.js';
import { HttpFault, firstSegment, rawFault, sendFault } from './fault-mapper.js';
import type { Socket } from 'node:net';
import { MAX_BODY_DEPTH, NUL_MESSAGE, containsNul, nestsDeeperThan } from './json-body.js';
import { normalizeQuery, type ListQuery } from './query.js';
import { negotiate, negotiateVolume, MIN_VERSION, type Microversion } from './microversion.js';
import { registerVolumeRoutes } from '../services/volume/volume.routes.js';
import { registerIdentityRoutes } from '../services/identity/identity.routes.js';
import { registerComputeRoutes } from '../services/compute/compute.routes.js';
import { registerNetworkRoutes } from '../services/network/network.routes.js';
import { registerImageRoutes } from '../services/image/image.routes.js';
import { registerStratusRoutes } from '../services/stratus/stratus.routes.js';
import { registerDashboardRoutes } from '../services/dashboard/dashboard.routes.js';
import type { ServerEvents } from '../services/stratus/server-events.js';
import type { Metrics } from '../metrics/metrics.js';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
    token: TokenInfo | null;
    mv: Microversion;
  }
  interface FastifyContextConfig {
    public?: boolean;
    listQuery?: ListQuery;
  }
  interface FastifyInstance {
    /** The base URL clients reach the API at (Config.publicUrl, or the address bound). */
    publicUrl: string;
    /** Behind a declared proxy (--trust-proxy) with no --public-url: links follow X-Forwarded-Host/-Proto. */
    followsForwardedHost: boolean;
  }
}

export interface AppOptions {
  deps: Deps;
  tokens: TokenService;
  metrics: Metrics;
  loggerInstance: import('pino').Logger;
  /** Storage errors as domain errors (an outage is `unavailable`…), so the fault mapper knows no SQL. */
  storageErrors: (err: unknown) => DomainError | undefined;
  /** Under `serve --workers N`: this worker's id, sent as `X-Stratus-Worker` on every response. */
  workerId?: number;
  /** The watch API's hub (GET /stratus/v1/events). */
  events: ServerEvents;
}

const PROJECT_ID_RE = /^[0-9a-f-]+$/;

function formatSchemaErrors(
  errors: Array<{ instancePath: string; message?: string; keyword: string; params: Record<string, unknown> }>,
  dataVar: string,
): Error {
  const e = errors[0];
  const field = e.instancePath.split('/').filter(Boolean).pop() ?? dataVar;
  let msg: string;
  if (e.keyword === 'additionalProperties')
    msg = `Additional properties are not allowed ('${String(e.params.additionalProperty)}' was unexpected)`;
  else if (e.keyword === 'required') msg = `'${String(e.params.missingProperty)}' is a required property`;
  else msg = `Invalid input for field/attribute ${field}. ${e.message ?? ''}`.trim();
  const err = new HttpFault(400, 'badRequest', msg);
  return err;
}

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const { deps, tokens, metrics } = opts;
  const app = Fastify({
    loggerInstance: opts.loggerInstance,
    genReqId: () => `req-${randomUUID()}`,
    logController: new LogController({ requestIdLogLabel: 'request_id', disableRequestLogging: true }),
    bodyLimit: deps.config.maxBodySize,
    // Long ids must reach the handlers (Nova: 404 "Instance … could not be found."), not the router's 414.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 16384 },
    // Router-level failures (a badly percent-encoded URL…) go through the one fault mapper too.
    frameworkErrors: (
      err: Error & { code?: string },
      request: FastifyRequest,
      reply: import('fastify').FastifyReply,
    ) => {
      setRequestIdHeaders(request, reply); // before onRequest, which a router failure never reaches
      const fault = err.code === 'FST_ERR_BAD_URL' ? new HttpFault(400, 'badRequest', 'Malformed request URL') : err;
      return sendFault(request, reply, fault);
    },
    ajv: {
      customOptions: {
        removeAdditional: false,
        coerceTypes: false,
        useDefaults: false,
        allErrors: false,
        allowUnionTypes: true,
      },
    },
    schemaErrorFormatter: formatSchemaErrors as never,
    // While closing, requests already on open connections are served (the database closes after
    // the HTTP server), rather than answered by Fastify's own non-Nova 503 body.
    return503OnClosing: false,
    // X-Forwarded-For/-Host/-Proto are believed only behind a proxy the operator declared, and
    // then only as that one proxy (the peer) wrote them: an X-Forwarded-For entry the client sent
    // itself stands to the left of the proxy's and is not taken as the client's address.
    trustProxy: deps.config.trustProxy === 1 ? (_address: string, hop: number) => hop === 0 : false,
    // Requests the HTTP parser refuses (a raw non-ASCII byte in the path, headers too large)
    // still get the fault body of the service they were addressed to.
    // Node would answer a missing Host with an empty 400 of its own; the auth hook answers it instead.
    http: { requireHostHeader: false },
    clientErrorHandler: (err: Error & { code?: string; rawPacket?: Buffer }, socket: Socket) => rawFault(err, socket),
  } as never) as unknown as FastifyInstance;

  app.decorate('publicUrl', (deps.config.publicUrl ?? '').replace(/\/+$/, ''));
  app.decorate('followsForwardedHost', deps.config.trustProxy === 1 && !deps.config.publicUrl);

  app.decorateRequest('caller', null);
  app.decorateRequest('token', null);
  app.decorateRequest('mv', null as unknown as Microversion);

  // Bodies: JSON only. DELETE/GET bodies are ignored, as Nova does (wsgi._METHODS_WITH_BODY).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => {
    if (req.method !== 'POST' && req.method !== 'PUT' && req.method !== 'PATCH') return done(null, undefined);
    const ct = String(req.headers['content-type'] ?? '');
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    if (ct && !/json/i.test(ct) && !ct.startsWith('text/plain'))
      return done(new HttpFault(415, 'badMediaType', 'Unsupported Content-Type'), undefined);
    if (nestsDeeperThan(text, MAX_BODY_DEPTH)) {
      return done(
        new HttpFault(400, 'badRequest', `Malformed request body: nested more than ${MAX_BODY_DEPTH} levels deep`),
        undefined,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return done(new HttpFault(400, 'badRequest', 'Malformed request body'), undefined);
    }
    // JSON can carry a NUL only as the escape \u0000: look deeper only when the text has one.
    if (/\\u0000/.test(text) && containsNul(parsed))
      return done(new HttpFault(400, 'badRequest', NUL_MESSAGE), undefined);
    done(null, parsed);
  });

  // Image data (Glance's PUT /v2/images/{id}/file) is the one body that is not JSON: handed on
  // as the raw stream, unbuffered, so the body size limit does not bound an image.
  app.addContentTypeParser('application/octet-stream', (req, payload, done) => {
    if (req.method === 'PUT' && /^\/image\/v2\/images\/[^/]+\/file$/.test(req.url.split('?')[0]))
      return done(null, payload);
    done(new HttpFault(415, 'badMediaType', 'Unsupported Content-Type'), undefined);
  });

  app.addHook('onRequest', async (request, reply) => {
    setRequestIdHeaders(request, reply);
    request.mv = MIN_VERSION;
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      throw new HttpFault(400, 'badRequest', 'Malformed request: an HTTP/1.1 request needs a Host header');
    }
    const config = request.routeOptions.config;
    const url = request.url;
    if (url.includes('?')) request.query = normalizeQuery(request.query, config?.listQuery);
    for (const v of Object.values(request.params ?? {})) {
      if (typeof v === 'string' && v.includes('\0')) throw new HttpFault(400, 'badRequest', NUL_MESSAGE);
    }
    const compute = firstSegment(url) === 'v2.1';
    if (!config?.public) {
      const token = request.headers['x-auth-token'];
      if (typeof token !== 'string' || token === '') throw unauthorized();
      const info = await tokens.validate(token);
      request.token = info;
      request.caller = {
        userId: info.userId,
        projectId: info.projectId,
        roles: info.roles,
        requestId: request.id,
        isAdmin: deps.policy.allows(
          'context_is_admin',
          {},
          { user_id: info.userId, project_id: info.projectId, roles: info.roles, is_admin: false },
        ),
      };
    }
    if (firstSegment(url) === 'volume') {
      // Cinder: every v3 response names the version it was served at (wsgi.Resource); the
      // unversioned document (/volume/) is not microversioned.
      request.mv = negotiateVolume(request.headers);
      if (/^\/volume\/v3(\/|$|\?)/.test(url)) {
        reply.header('openstack-api-version', `volume ${request.mv.major}.${request.mv.minor}`);
        reply.header('vary', 'OpenStack-API-Version');
      }
    }
    if (compute) {
      let echo = '2.1';
      try {
        const n = negotiate(request.headers);
        request.mv = n.version;
        echo = n.echo;
      } catch (e) {
        // Nova parity (wsgi.Resource.__call__): an unparsable version string leaves the request
        // without a version, so its 400 carries no version headers; an out-of-range one (406) does.
        if (e instanceof HttpFault && e.headers.__echo) {
          echo = e.headers.__echo;
          delete e.headers.__echo;
          setVersionHeaders(reply, echo);
        }
        throw e;
      }
      setVersionHeaders(reply, echo);
      // Nova's router has no route for a path with a trailing slash (`/images/`: an empty id), so
      // any method on one is 404 (Tempest's blank-id tests); the version document `/v2.1/` stays.
      const path = url.split('?')[0];
      if (path.endsWith('/') && path !== '/v2.1/')
        throw new HttpFault(404, 'itemNotFound', 'The resource could not be found.');
      const params = request.params as { project_id?: string };
      if (params && params.project_id !== undefined) {
        if (!PROJECT_ID_RE.test(params.project_id))
          throw new HttpFault(404, 'itemNotFound', 'The resource could not be found.');
        if (request.caller && params.project_id !== request.caller.projectId) {
          throw projectIdMismatch(params.project_id, request.caller.projectId);
        }
      }
    }
  });

  const worker = opts.workerId === undefined ? undefined : String(opts.workerId);
  app.addHook('onSend', async (request, reply, payload) => {
    if (worker) reply.header('x-stratus-worker', worker);
    const type = reply.getHeader('content-type');
    const segment = firstSegment(request.url);
    // Nova, Keystone, Neutron and Glance send JSON bodies as plain `application/json` (Nova's
    // faults alone add `; charset=UTF-8`, set by the fault mapper); Fastify's default adds a charset.
    if (type === 'application/json; charset=utf-8') reply.header('content-type', 'application/json');
    // Nova's empty 202s (actions) still name their type: `Content-Type: application/json`.
    else if (type === undefined && segment === 'v2.1' && reply.statusCode === 202) reply.type('application/json');
    // Keystone's after_request hook adds `Vary: X-Auth-Token` to every response.
    if (segment === 'identity') reply.header('vary', 'X-Auth-Token');
    return payload;
  });

  const observe = deps.config.metrics !== 0;
  app.addHook('onResponse', async (request, reply) => {
    if (observe)
      metrics.observeRequest(
        request.routeOptions.url ?? 'unmatched',
        request.method,
        reply.statusCode,
        reply.elapsedTime,
      );
    request.log.info(
      {
        method: request.method,
        url: request.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request',
    );
  });

  app.setErrorHandler((err, request, reply) => sendFault(request, reply, opts.storageErrors(err) ?? err));
  app.setNotFoundHandler((request, reply) => {
    if (firstSegment(request.url) === 'v2.1') {
      try {
        setVersionHeaders(
          reply,
          negotiate(request.headers).version.minor ? `2.${negotiate(request.headers).version.minor}` : '2.1',
        );
      } catch {
        /* bad header: plain 404 still */
      }
    }
    return sendFault(request, reply, new HttpFault(404, 'itemNotFound', 'The resource could not be found.'));
  });

  registerIdentityRoutes(app, deps, tokens);
  registerComputeRoutes(app, deps);
  registerNetworkRoutes(app, deps);
  registerImageRoutes(app, deps);
  registerVolumeRoutes(app, deps);
  registerStratusRoutes(app, deps, metrics, opts.events);
  registerDashboardRoutes(app);
  return app;
}

function setVersionHeaders(reply: import('fastify').FastifyReply, v: string): void {
  reply.header('openstack-api-version', `compute ${v}`);
  reply.header('x-openstack-nova-api-version', v);
  reply.header('vary', 'OpenStack-API-Version, X-OpenStack-Nova-API-Version');
}

/** Every response names its request, under Nova's two header names. */
function setRequestIdHeaders(request: FastifyRequest, reply: import('fastify').FastifyReply): void {
  reply.header('x-openstack-request-id', request.id);
  reply.header('x-compute-request-id', request.id);
}
