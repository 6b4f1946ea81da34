import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../context.js';
import { deletePort, listPorts, requestPort, showPort, updatePort, type PortRequest, type PortRow } from './ports.js';
import { L3_EXTENSIONS, registerL3Routes } from './l3.routes.js';
import { baseUrl, callerOf } from '../../http/request.js';
import { RouteTable } from '../../http/route-table.js';
import { AVAILABILITY_ZONE_EXTENSION, registerNetworkZoneRoutes } from './availability-zones.routes.js';
import { list, type Query } from '../../http/query.js';
import { registerNetworkQuotaRoutes } from './quotas.routes.js';
import { SECURITY_GROUP_EXTENSION, registerSecurityGroupRoutes } from './security-groups.routes.js';
import { groupsOfPorts } from './security-groups.js';
import { FIP_PORT_DETAILS_EXTENSION, registerFloatingIpRoutes } from './floating-ips.routes.js';

const neutronTime = (s: string) => s.replace(/\.\d{3}Z$/, 'Z');

function renderPort(p: PortRow, groups: Map<string, string[]>) {
  return {
    id: p.id,
    name: p.name,
    network_id: p.network_id,
    tenant_id: p.project_id,
    project_id: p.project_id,
    mac_address: p.mac_address,
    fixed_ips: JSON.parse(p.fixed_ips),
    device_id: p.device_id,
    device_owner: p.device_owner,
    status: p.status,
    admin_state_up: p.admin_state_up === 1,
    'binding:host_id': p.binding_host_id,
    'binding:vif_type': p.binding_host_id ? 'ovs' : 'unbound',
    'binding:vnic_type': 'normal',
    'binding:profile': {},
    'binding:vif_details': {},
    security_groups: groups.get(p.id) ?? [],
    allowed_address_pairs: [],
    extra_dhcp_opts: [],
    description: '',
    tags: [],
    port_security_enabled: true,
    created_at: neutronTime(p.created_at),
    updated_at: neutronTime(p.updated_at),
    revision_number: 1,
  };
}

const portFields = {
  name: { type: 'string', maxLength: 255 },
  device_id: { type: 'string', maxLength: 255 },
  device_owner: { type: 'string', maxLength: 255 },
  admin_state_up: { type: 'boolean' },
  description: { type: 'string' },
  'binding:host_id': { type: 'string' },
};

export function registerNetworkRoutes(app: FastifyInstance, deps: Deps): void {
  const r = new RouteTable(app);
  r.add(
    'GET',
    '/networking',
    async (request) => ({
      versions: [
        { id: 'v2.0', status: 'CURRENT', links: [{ href: `${baseUrl(request)}/networking/v2.0/`, rel: 'self' }] },
      ],
    }),
    { public: true },
  );
  r.add(
    'GET',
    '/networking/v2.0',
    async (request) => ({
      resources: [
        'networks',
        'subnets',
        'ports',
        'routers',
        'security-groups',
        'security-group-rules',
        'floatingips',
      ].map((n) => ({
        name: n.slice(0, -1).replace(/-/g, '_'),
        collection: n,
        links: [{ href: `${baseUrl(request)}/networking/v2.0/${n}`, rel: 'self' }],
      })),
    }),
    { public: true },
  );
  r.add('GET', '/networking/v2.0/extensions', async () => ({
    extensions: [AVAILABILITY_ZONE_EXTENSION, SECURITY_GROUP_EXTENSION, ...L3_EXTENSIONS, FIP_PORT_DETAILS_EXTENSION],
  }));

  // Neutron: every filter is a list of accepted values (`?id=a&id=b` is either), so these
  // routes read their query with `listQuery: 'all'`.
  const q = (request: FastifyRequest) => request.query as Query;
  const filters = { listQuery: 'all' } as const;

  r.add(
    'GET',
    '/networking/v2.0/ports',
    async (request) => {
      const f = q(request);
      const ports = await listPorts(deps, callerOf(request), {
        deviceId: list(f, 'device_id'),
        deviceOwner: list(f, 'device_owner'),
        networkId: list(f, 'network_id'),
        id: list(f, 'id'),
        name: list(f, 'name'),
        macAddress: list(f, 'mac_address'),
      });
      const groups = await groupsOfPorts(
        deps,
        ports.map((p) => p.id),
      );
      return { ports: ports.map((p) => renderPort(p, groups)) };
    },
    filters,
  );
  const portId = (request: FastifyRequest) => (request.params as { id: string }).id;
  const withGroups = async (p: PortRow) => renderPort(p, await groupsOfPorts(deps, [p.id]));
  r.add('GET', '/networking/v2.0/ports/:id', async (request) => ({
    port: await withGroups(await showPort(deps, callerOf(request), portId(request))),
  }));
  r.add(
    'POST',
    '/networking/v2.0/ports',
    async (request, reply) => {
      const port = await requestPort(deps, callerOf(request), (request.body as { port: PortRequest }).port);
      reply.code(201);
      return { port: await withGroups(port) };
    },
    {
      schema: {
        body: {
          type: 'object',
          required: ['port'],
          additionalProperties: false,
          properties: {
            port: {
              type: 'object',
              required: ['network_id'],
              additionalProperties: false,
              properties: {
                network_id: { type: 'string', maxLength: 64 },
                project_id: { type: 'string' },
                tenant_id: { type: 'string' },
                fixed_ips: { type: 'array' },
                security_groups: { type: 'array' },
                ...portFields,
              },
            },
          },
        },
      },
    },
  );
  r.add(
    'PUT',
    '/networking/v2.0/ports/:id',
    async (request) => {
      const changes = (request.body as { port: Record<string, unknown> }).port;
      return { port: await withGroups(await updatePort(deps, callerOf(request), portId(request), changes)) };
    },
    {
      schema: {
        body: {
          type: 'object',
          required: ['port'],
          additionalProperties: false,
          properties: {
            port: {
              type: 'object',
              additionalProperties: false,
              properties: { ...portFields, security_groups: { type: ['array', 'null'] } },
            },
          },
        },
      },
    },
  );
  r.add('DELETE', '/networking/v2.0/ports/:id', async (request, reply) => {
    await deletePort(deps, callerOf(request), portId(request));
    reply.code(204);
    return null;
  });
  r.finish();
  registerNetworkZoneRoutes(app);
  registerNetworkQuotaRoutes(app, deps);
  registerSecurityGroupRoutes(app, deps);
  registerFloatingIpRoutes(app, deps);
  registerL3Routes(app, deps);
}
