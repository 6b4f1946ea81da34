import type { FastifyInstance } from 'fastify';
import { HttpFault } from '../../http/fault-mapper.js';
import { RouteTable } from '../../http/route-table.js';

type M = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * The APIs Nova removed (nova-network, cells v1, XenAPI agents, cloudpipe, certificates…): its
 * *_removed handlers raise webob's HTTPGone, whose status Fault._fault_names does not name, so
 * the body is `computeFault` with webob's explanation (two spaces and all). The paths and
 * methods are those of nova/api/openstack/compute/routes.py; the 410s of os-networks and
 * os-tenant-networks, whose GETs still answer up to 2.35, sit with those GETs in
 * proxies.routes.ts (one route table per path).
 */
const REMOVED: Array<[string, M[]]> = [
  ['/os-agents', ['GET', 'POST']],
  ['/os-agents/:id', ['PUT', 'DELETE']],
  ['/os-cells', ['GET', 'POST']],
  ['/os-cells/capacities', ['GET']],
  ['/os-cells/detail', ['GET']],
  ['/os-cells/info', ['GET']],
  ['/os-cells/sync_instances', ['POST']],
  ['/os-cells/:id', ['GET', 'PUT', 'DELETE']],
  ['/os-cells/:id/capacities', ['GET']],
  ['/os-certificates', ['POST']],
  ['/os-certificates/:id', ['GET']],
  ['/os-cloudpipe', ['GET', 'POST']],
  ['/os-cloudpipe/:id', ['PUT']],
  ['/os-fixed-ips/:id', ['GET']],
  ['/os-fixed-ips/:id/action', ['POST']],
  ['/os-floating-ip-dns', ['GET']],
  ['/os-floating-ip-dns/:id', ['PUT', 'DELETE']],
  ['/os-floating-ip-dns/:id/entries/:entry', ['GET', 'PUT', 'DELETE']],
  ['/os-floating-ips-bulk', ['GET', 'POST']],
  ['/os-floating-ips-bulk/:id', ['GET', 'PUT']],
  ['/os-fping', ['GET']],
  ['/os-fping/:id', ['GET']],
  ['/os-security-group-default-rules', ['GET', 'POST']],
  ['/os-security-group-default-rules/:id', ['GET', 'DELETE']],
  ['/servers/:id/os-virtual-interfaces', ['GET']],
];

export const GONE_MESSAGE = 'This resource is no longer available.  No forwarding address is given.';

export function registerRemovedRoutes(app: FastifyInstance): void {
  const r = new RouteTable(app, ['/v2.1', '/v2.1/:project_id']);
  for (const [path, methods] of REMOVED)
    for (const m of methods)
      r.add(m, path, async () => {
        throw new HttpFault(410, 'computeFault', GONE_MESSAGE);
      });
  r.finish();
}
