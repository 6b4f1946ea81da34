import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../context.js';
import {
  deleteNetworkQuota,
  listNetworkQuotas,
  showNetworkQuota,
  showNetworkQuotaDefault,
  showNetworkQuotaDetails,
  updateNetworkQuota,
} from './quotas.js';
import { callerOf } from '../../http/request.js';
import { RouteTable } from '../../http/route-table.js';

const projectOf = (request: FastifyRequest) => (request.params as { project_id: string }).project_id;

/** Neutron's quotas (quotasv2, quota_details): `openstack quota show/set` use them next to Nova's. */
export function registerNetworkQuotaRoutes(app: FastifyInstance, deps: Deps): void {
  const r = new RouteTable(app);
  const base = '/networking/v2.0/quotas';
  r.add('GET', base, async (request) => ({ quotas: await listNetworkQuotas(deps, callerOf(request)) }));
  r.add('GET', `${base}/:project_id`, async (request) => ({
    quota: await showNetworkQuota(deps, callerOf(request), projectOf(request)),
  }));
  r.add('PUT', `${base}/:project_id`, async (request) => ({
    quota: await updateNetworkQuota(deps, callerOf(request), projectOf(request), request.body),
  }));
  r.add('DELETE', `${base}/:project_id`, async (request, reply) => {
    await deleteNetworkQuota(deps, callerOf(request), projectOf(request));
    reply.code(204);
    return null;
  });
  r.add('GET', `${base}/:project_id/default`, async (request) => ({
    quota: await showNetworkQuotaDefault(deps, callerOf(request), projectOf(request)),
  }));
  // openstacksdk asks for /details, Neutron's own docs for /details.json: both are served.
  for (const path of [`${base}/:project_id/details`, `${base}/:project_id/details.json`])
    r.add('GET', path, async (request) => ({
      quota: await showNetworkQuotaDetails(deps, callerOf(request), projectOf(request)),
    }));
  r.finish();
}
