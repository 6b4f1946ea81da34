import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../context.js';
import {
  hypervisorStatistics,
  hypervisorUptime,
  listHypervisors,
  searchHypervisors,
  showHypervisor,
} from './hypervisors.js';
import { renderHypervisor, type HypervisorViewOpts } from './hypervisors.view.js';
import {
  booleanParam,
  fqdnParam,
  nextLinks,
  noOtherParams,
  nonNegativeInteger,
  stringParam,
} from './admin-reads.schemas.js';
import { registerUsageRoutes } from './usage.routes.js';
import { callerOf } from '../../http/request.js';
import { atLeast } from '../../http/microversion.js';
import { HttpFault } from '../../http/fault-mapper.js';
import { RouteTable } from '../../http/route-table.js';
import type { Query } from '../../http/query.js';

/** Nova's CONF.api.max_limit. */
const MAX_LIMIT = 1000;

const notFound = () => new HttpFault(404, 'itemNotFound', 'The resource could not be found.');

/**
 * os-hypervisors, built from the compute services' rows (Stratus' compute nodes), then the
 * other admin read APIs (os-simple-tenant-usage).
 */
export function registerAdminReadRoutes(app: FastifyInstance, deps: Deps): void {
  const r = new RouteTable(app, ['/v2.1', '/v2.1/:project_id']);
  const hostIp = deps.config.host === '0.0.0.0' || deps.config.host === '::' ? '127.0.0.1' : deps.config.host;
  const base = { hypervisorType: deps.config.driver, hostIp };
  const idOf = (request: FastifyRequest) => (request.params as { id: string }).id;

  const list = (detail: boolean) => async (request: FastifyRequest) => {
    const q = request.query as Query;
    const mv = request.mv;
    let limit: number | undefined;
    let marker: string | undefined;
    let pattern: string | undefined;
    let withServers = false;
    // Nova checks the query schema (by microversion) before the policy.
    if (atLeast(mv, 53)) noOtherParams(q, ['limit', 'marker', 'hypervisor_hostname_pattern', 'with_servers']);
    if (atLeast(mv, 33)) {
      limit = Math.min(nonNegativeInteger(q, 'limit') ?? MAX_LIMIT, MAX_LIMIT);
      marker = stringParam(q, 'marker');
    }
    if (atLeast(mv, 53)) {
      pattern = fqdnParam(q, 'hypervisor_hostname_pattern');
      withServers = booleanParam(q, 'with_servers') ?? false;
    }
    const rows = await listHypervisors(deps, callerOf(request), {
      detail,
      uuids: atLeast(mv, 53),
      limit: pattern === undefined ? limit : undefined,
      limitGiven: q.limit !== undefined,
      marker,
      pattern,
      withServers,
    });
    const opts: HypervisorViewOpts = { ...base, detail, withServers };
    const hypervisors = rows.map((h) => renderHypervisor(mv, h, opts));
    const body: Record<string, unknown> = { hypervisors };
    if (atLeast(mv, 33) && pattern === undefined) {
      const links = nextLinks(
        request,
        `os-hypervisors${detail ? '/detail' : ''}`,
        q,
        hypervisors.length,
        hypervisors.length ? String(hypervisors[hypervisors.length - 1].id) : undefined,
        MAX_LIMIT,
      );
      if (links) body.hypervisors_links = links;
    }
    return body;
  };
  r.add('GET', '/os-hypervisors', list(false));
  r.add('GET', '/os-hypervisors/detail', list(true));

  r.add('GET', '/os-hypervisors/statistics', async (request) => {
    // 2.88 removed it (placement has the numbers): Nova's version check answers 404.
    if (atLeast(request.mv, 88)) throw notFound();
    return { hypervisor_statistics: await hypervisorStatistics(deps, callerOf(request)) };
  });

  r.add('GET', '/os-hypervisors/:id', async (request) => {
    const q = request.query as Query;
    const mv = request.mv;
    let withServers = false;
    if (atLeast(mv, 53)) {
      noOtherParams(q, ['with_servers']);
      withServers = booleanParam(q, 'with_servers') ?? false;
    }
    const h = await showHypervisor(deps, callerOf(request), idOf(request), { uuids: atLeast(mv, 53), withServers });
    // 2.88: the uptime is part of the view (the node's last report; null from a node that is down).
    const uptime = h.up ? (h.service.uptime ?? null) : null;
    return { hypervisor: renderHypervisor(mv, h, { ...base, detail: true, withServers, uptime }) };
  });

  r.add('GET', '/os-hypervisors/:id/uptime', async (request) => {
    if (atLeast(request.mv, 88)) throw notFound();
    const { hypervisor, uptime } = await hypervisorUptime(deps, callerOf(request), idOf(request), {
      uuids: atLeast(request.mv, 53),
    });
    // Nova: NotImplementedError from the driver becomes common.raise_feature_not_supported().
    if (uptime === null) throw new HttpFault(501, 'notImplemented', 'The requested functionality is not supported.');
    return { hypervisor: { ...renderHypervisor(request.mv, hypervisor, { ...base, detail: false }), uptime } };
  });

  // Before 2.53 only: replaced by the hypervisor_hostname_pattern and with_servers query parameters.
  const search = (withServers: boolean) => async (request: FastifyRequest) => {
    if (atLeast(request.mv, 53)) throw notFound();
    const rows = await searchHypervisors(deps, callerOf(request), idOf(request), withServers);
    return { hypervisors: rows.map((h) => renderHypervisor(request.mv, h, { ...base, detail: false })) };
  };
  r.add('GET', '/os-hypervisors/:id/search', search(false));
  r.add('GET', '/os-hypervisors/:id/servers', search(true));

  r.finish();
  registerUsageRoutes(app, deps);
}
