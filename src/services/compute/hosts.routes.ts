import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../context.js';
import { hostPowerAction, listHosts, showHost, updateHost } from './hosts.js';
import { parseHostUpdate } from './hosts.schemas.js';
import { listExtensions, showExtension } from './extensions.js';
import { listAuditLogs, showAuditLog } from './instance-usage-audit-log.js';
import { createExternalEvents } from './server-external-events.js';
import { parseExternalEvents } from './server-external-events.schemas.js';
import { callerOf } from '../../http/request.js';
import { atLeast } from '../../http/microversion.js';
import { HttpFault } from '../../http/fault-mapper.js';
import { RouteTable } from '../../http/route-table.js';
import { scalar, type Query } from '../../http/query.js';

/** Nova's common.raise_feature_not_supported (a driver's NotImplementedError). */
const notSupported = () => new HttpFault(501, 'notImplemented', 'The requested functionality is not supported.');

/**
 * The remaining admin reads of Nova's API: os-hosts (up to 2.42), /extensions,
 * os-instance-usage-audit-log and os-server-external-events.
 */
export function registerHostRoutes(app: FastifyInstance, deps: Deps): void {
  const r = new RouteTable(app, ['/v2.1', '/v2.1/:project_id']);
  const idOf = (request: FastifyRequest) => (request.params as { id: string }).id;

  // --- os-hosts: removed at 2.43 (Nova's version routing answers a bare 404) -----------
  const upTo242 =
    <T>(handler: (request: FastifyRequest, reply: FastifyReply) => Promise<T>) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      if (atLeast(request.mv, 43)) throw new HttpFault(404, 'itemNotFound', 'The resource could not be found.');
      return handler(request, reply);
    };

  r.add(
    'GET',
    '/os-hosts',
    upTo242(async (request) => {
      // An empty zone is no filter (Nova: `if zone:`); other parameters are ignored.
      const zone = scalar(request.query as Query, 'zone');
      return { hosts: await listHosts(deps, callerOf(request), zone) };
    }),
    { listQuery: ['zone'] },
  );
  r.add(
    'GET',
    '/os-hosts/:id',
    upTo242(async (request) => ({
      host: (await showHost(deps, callerOf(request), idOf(request))).map((resource) => ({ resource })),
    })),
  );
  r.add(
    'PUT',
    '/os-hosts/:id',
    upTo242(async (request) => {
      // Nova validates the body before the policy check.
      const changes = parseHostUpdate(request.body);
      const { result, maintenanceSupported } = await updateHost(deps, callerOf(request), idOf(request), changes);
      if (!maintenanceSupported) throw notSupported();
      return result;
    }),
  );
  for (const action of ['reboot', 'shutdown', 'startup'] as const) {
    r.add(
      'GET',
      `/os-hosts/:id/${action}`,
      upTo242(async (request) => {
        const res = await hostPowerAction(deps, callerOf(request), idOf(request), action);
        if (res.powerAction === null) throw notSupported();
        return { host: res.host, power_action: res.powerAction };
      }),
    );
  }

  // --- /extensions ---------------------------------------------------------------------
  r.add('GET', '/extensions', async (request) => ({ extensions: listExtensions(deps, callerOf(request)) }));
  r.add('GET', '/extensions/:id', async (request) => ({
    extension: showExtension(deps, callerOf(request), idOf(request)),
  }));

  // --- os-instance_usage_audit_log (Nova's path has underscores; the policy names use dashes) ---
  r.add('GET', '/os-instance_usage_audit_log', async (request) => ({
    instance_usage_audit_logs: await listAuditLogs(deps, callerOf(request)),
  }));
  r.add('GET', '/os-instance_usage_audit_log/:id', async (request) => ({
    instance_usage_audit_log: await showAuditLog(deps, callerOf(request), idOf(request)),
  }));

  // --- os-server-external-events ---------------------------------------------------------
  r.add('POST', '/os-server-external-events', async (request, reply) => {
    const events = parseExternalEvents(request.body, request.mv.minor);
    const res = await createExternalEvents(deps, callerOf(request), events);
    reply.code(res.status);
    return { events: res.events };
  });

  r.finish();
}
