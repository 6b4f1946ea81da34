import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../context.js';
import { listUsages, showUsage, type UsageQuery } from './usage.js';
import { nextLinks, noOtherParams, nonNegativeInteger, stringParam } from './admin-reads.schemas.js';
import { callerOf } from '../../http/request.js';
import { atLeast } from '../../http/microversion.js';
import { RouteTable } from '../../http/route-table.js';
import type { Query } from '../../http/query.js';

/** Nova's CONF.api.max_limit: the page size even before 2.40 made paging explicit. */
const MAX_LIMIT = 1000;

/** The raw query string's first value of `key` (Nova reads start/end/detailed with urlparse.parse_qs, which drops blank values). */
function firstOf(request: FastifyRequest, key: string): string | undefined {
  const qs = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
  for (const v of new URLSearchParams(qs).getAll(key)) if (v !== '') return v;
  return undefined;
}

function parseUsageQuery(request: FastifyRequest, allowed: string[]): UsageQuery {
  const q = request.query as Query;
  const mv = request.mv;
  if (atLeast(mv, 75)) noOtherParams(q, allowed);
  let limit = MAX_LIMIT;
  let marker: string | undefined;
  if (atLeast(mv, 40)) {
    limit = Math.min(nonNegativeInteger(q, 'limit') ?? MAX_LIMIT, MAX_LIMIT);
    marker = stringParam(q, 'marker');
  }
  return {
    start: firstOf(request, 'start'),
    end: firstOf(request, 'end'),
    detailed: firstOf(request, 'detailed') === '1',
    limit,
    marker,
  };
}

/** os-simple-tenant-usage (nova/api/openstack/compute/simple_tenant_usage.py). */
export function registerUsageRoutes(app: FastifyInstance, deps: Deps): void {
  const r = new RouteTable(app, ['/v2.1', '/v2.1/:project_id']);

  r.add('GET', '/os-simple-tenant-usage', async (request) => {
    const parsed = parseUsageQuery(request, ['start', 'end', 'detailed', 'limit', 'marker']);
    const { usages, serverUsages } = await listUsages(deps, callerOf(request), parsed);
    const body: Record<string, unknown> = { tenant_usages: usages };
    if (atLeast(request.mv, 40)) {
      const links = nextLinks(
        request,
        'os-simple-tenant-usage',
        request.query as Query,
        serverUsages.length,
        serverUsages.at(-1)?.instance_id,
        MAX_LIMIT,
      );
      if (links) body.tenant_usages_links = links;
    }
    return body;
  });

  r.add('GET', '/os-simple-tenant-usage/:tenant_id', async (request) => {
    const tenantId = (request.params as { tenant_id: string }).tenant_id;
    const parsed = parseUsageQuery(request, ['start', 'end', 'limit', 'marker']);
    const { usage, serverUsages } = await showUsage(deps, callerOf(request), tenantId, parsed);
    const body: Record<string, unknown> = { tenant_usage: usage ?? {} };
    if (atLeast(request.mv, 40)) {
      const links = nextLinks(
        request,
        `os-simple-tenant-usage/${tenantId}`,
        request.query as Query,
        serverUsages.length,
        serverUsages.at(-1)?.instance_id,
        MAX_LIMIT,
      );
      if (links) body.tenant_usage_links = links;
    }
    return body;
  });

  r.finish();
}
