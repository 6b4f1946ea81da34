import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../context.js';
import {
  createFloatingIp,
  deleteFloatingIp,
  listFloatingIps,
  showFloatingIp,
  updateFloatingIp,
  type FloatingIp,
} from './floating-ips.js';
import { applyListQuery } from './security-groups.routes.js';
import { callerOf } from '../../http/request.js';
import { RouteTable } from '../../http/route-table.js';
import { list, type Query } from '../../http/query.js';
import { sgInvalid } from '../../domain/security-group-errors.js';

const neutronTime = (s: string) => s.replace(/\.\d{3}Z$/, 'Z');

/** Neutron's floatingip, with the fip-port-details extension's port_details. */
export function renderFloatingIp({ fip, port }: FloatingIp) {
  return {
    id: fip.id,
    tenant_id: fip.project_id,
    project_id: fip.project_id,
    floating_network_id: fip.floating_network_id,
    floating_ip_address: fip.floating_ip_address,
    router_id: fip.router_id,
    port_id: fip.port_id,
    fixed_ip_address: fip.fixed_ip_address,
    status: fip.status,
    description: fip.description,
    port_details: port
      ? {
          name: port.name,
          network_id: port.network_id,
          mac_address: port.mac_address,
          admin_state_up: port.admin_state_up === 1,
          status: port.status,
          device_id: port.device_id,
          device_owner: port.device_owner,
        }
      : null,
    port_forwardings: [],
    tags: [],
    created_at: neutronTime(fip.created_at),
    updated_at: neutronTime(fip.updated_at),
    revision_number: fip.revision_number,
  };
}

type Item = Record<string, unknown>;

const CREATE = [
  'floating_network_id',
  'floating_ip_address',
  'subnet_id',
  'port_id',
  'fixed_ip_address',
  'description',
  'project_id',
  'tenant_id',
];
const UPDATE = ['port_id', 'fixed_ip_address', 'description'];

/** Neutron's body checks: the resource key, an object, only known attributes, none read-only on update. */
function floatingIpBody(request: FastifyRequest, allowed: string[]): Item {
  const body = request.body as Item | null | undefined;
  const res = body && typeof body === 'object' && !Array.isArray(body) ? body.floatingip : undefined;
  if (res === undefined) throw sgInvalid('HTTPBadRequest', "Unable to find 'floatingip' in request body");
  if (!res || typeof res !== 'object' || Array.isArray(res))
    throw sgInvalid('HTTPBadRequest', `Invalid input for operation: '${JSON.stringify(res)}' is not a dictionary.`);
  const keys = Object.keys(res);
  const readOnly = keys.filter((k) => !allowed.includes(k) && CREATE.includes(k));
  if (readOnly.length) throw sgInvalid('HTTPBadRequest', `Cannot update read-only attribute ${readOnly[0]}`);
  const unknown = keys.filter((k) => !allowed.includes(k));
  if (unknown.length) throw sgInvalid('HTTPBadRequest', `Unrecognized attribute(s) '${unknown.join(', ')}'`);
  return res as Item;
}

/** /networking/v2.0/floatingips (Neutron's router extension, the floating IP half). */
export function registerFloatingIpRoutes(app: FastifyInstance, deps: Deps): void {
  const r = new RouteTable(app);
  const base = '/networking/v2.0/floatingips';
  const q = (request: FastifyRequest) => request.query as Query;
  const id = (request: FastifyRequest) => (request.params as { id: string }).id;
  const filters = { listQuery: 'all' } as const;

  r.add(
    'GET',
    base,
    async (request) => {
      const f = q(request);
      // The indexed filters narrow the query; applyListQuery does the rest (and `fields`).
      const fips = await listFloatingIps(deps, callerOf(request), {
        ids: list(f, 'id'),
        addresses: list(f, 'floating_ip_address'),
        networkIds: list(f, 'floating_network_id'),
        projectIds: list(f, 'project_id') ?? list(f, 'tenant_id'),
      });
      return { floatingips: applyListQuery(fips.map(renderFloatingIp), f) };
    },
    filters,
  );
  r.add(
    'GET',
    `${base}/:id`,
    async (request) => ({
      floatingip: applyListQuery([renderFloatingIp(await showFloatingIp(deps, callerOf(request), id(request)))], {
        fields: q(request).fields,
      } as Query)[0],
    }),
    filters,
  );
  r.add('POST', base, async (request, reply) => {
    const fip = await createFloatingIp(deps, callerOf(request), floatingIpBody(request, CREATE));
    reply.code(201);
    return { floatingip: renderFloatingIp(fip) };
  });
  r.add('PUT', `${base}/:id`, async (request) => ({
    floatingip: renderFloatingIp(
      await updateFloatingIp(deps, callerOf(request), id(request), floatingIpBody(request, UPDATE)),
    ),
  }));
  r.add('DELETE', `${base}/:id`, async (request, reply) => {
    await deleteFloatingIp(deps, callerOf(request), id(request));
    reply.code(204);
    return null;
  });
  r.finish();
}

/** The extension that adds port_details to a floating IP (GET /v2.0/extensions lists it). */
export const FIP_PORT_DETAILS_EXTENSION = {
  alias: 'fip-port-details',
  name: 'Floating IP Port Details Extension',
  description: 'Add port_details attribute to Floating IP resource',
  updated: '2018-04-09T10:00:00-00:00',
  links: [],
};
