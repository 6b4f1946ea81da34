// /networking/v2.0 networks, subnets and routers (reads and writes) and the router interface
// actions, with Neutron's list filters and `fields`.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../context.js';
import { callerOf } from '../../http/request.js';
import { RouteTable } from '../../http/route-table.js';
import type { Query } from '../../http/query.js';
import { listNetworks, listSubnets, showNetwork, showSubnet, type NetworkRow, type SubnetRow } from './networks.js';
import { NETWORK_CREATE, NETWORK_UPDATE, createNetwork, deleteNetwork, updateNetwork } from './networks-admin.js';
import { SUBNET_CREATE, SUBNET_UPDATE_BODY, createSubnet, deleteSubnet, updateSubnet } from './subnets.js';
import {
  ROUTER_CREATE,
  ROUTER_UPDATE,
  addRouterInterface,
  createRouter,
  deleteRouter,
  listRouters,
  removeRouterInterface,
  showRouter,
  updateRouter,
  type Router,
} from './routers.js';
import { resourceOf } from './attributes.js';
import { applyListQuery } from './security-groups.routes.js';

const neutronTime = (s: string) => s.replace(/\.\d{3}Z$/, 'Z');

export function renderNetwork(n: NetworkRow, subnets: string[]) {
  return {
    id: n.id,
    name: n.name,
    tenant_id: n.project_id,
    project_id: n.project_id,
    shared: n.shared === 1,
    'router:external': n.external === 1,
    status: n.status,
    admin_state_up: (n.admin_state_up ?? 1) === 1,
    subnets,
    mtu: n.mtu,
    description: n.description ?? '',
    'provider:network_type': 'flat',
    availability_zone_hints: [],
    availability_zones: ['nova'],
    ipv4_address_scope: null,
    ipv6_address_scope: null,
    port_security_enabled: (n.port_security_enabled ?? 1) === 1,
    tags: [],
    created_at: neutronTime(n.created_at),
    updated_at: neutronTime(n.updated_at),
    revision_number: n.revision_number ?? 1,
  };
}

export function renderSubnet(s: SubnetRow) {
  return {
    id: s.id,
    name: s.name,
    network_id: s.network_id,
    tenant_id: s.project_id,
    project_id: s.project_id,
    cidr: s.cidr,
    gateway_ip: s.gateway_ip,
    ip_version: s.ip_version,
    enable_dhcp: (s.enable_dhcp ?? 1) === 1,
    dns_nameservers: JSON.parse(s.dns_nameservers ?? '[]'),
    host_routes: JSON.parse(s.host_routes ?? '[]'),
    allocation_pools: JSON.parse(s.allocation_pools ?? '[]'),
    ipv6_ra_mode: null,
    ipv6_address_mode: null,
    subnetpool_id: null,
    segment_id: null,
    service_types: [],
    description: s.description ?? '',
    tags: [],
    created_at: neutronTime(s.created_at),
    updated_at: neutronTime(s.updated_at),
    revision_number: s.revision_number ?? 0,
  };
}

export function renderRouter({ router: r, gatewayPort }: Router) {
  return {
    id: r.id,
    name: r.name,
    tenant_id: r.project_id,
    project_id: r.project_id,
    admin_state_up: r.admin_state_up === 1,
    status: r.status,
    external_gateway_info:
      r.gw_network_id === null
        ? null
        : {
            network_id: r.gw_network_id,
            enable_snat: r.enable_snat === 1,
            external_fixed_ips: gatewayPort ? JSON.parse(gatewayPort.fixed_ips) : [],
          },
    description: r.description,
    routes: [],
    distributed: false,
    ha: false,
    availability_zone_hints: [],
    availability_zones: ['nova'],
    flavor_id: null,
    tags: [],
    created_at: neutronTime(r.created_at),
    updated_at: neutronTime(r.updated_at),
    revision_number: r.revision_number,
  };
}

/** The `networks`, `subnets` and `routers` resources and the L3 extensions they come with. */
export const L3_EXTENSIONS = [
  [
    'router',
    'Neutron L3 Router',
    'Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway.',
  ],
  ['external-net', 'Neutron external network', 'Adds external network attribute to network resource.'],
  [
    'ext-gw-mode',
    'Neutron L3 Configurable external gateway mode',
    'Extension of the router abstraction for specifying whether SNAT should occur on the external gateway',
  ],
  ['quotas', 'Quota management support', 'Expose functions for quotas management per project'],
  ['quota_details', 'Quota details management support', 'Expose functions for quotas usage statistics per project'],
  ['net-mtu', 'Network MTU', 'Provides MTU attribute for a network resource.'],
  ['net-mtu-writable', 'Network MTU (writable)', 'Provides a writable MTU attribute for a network resource.'],
].map(([alias, name, description]) => ({ alias, name, description, updated: '2013-01-01T10:00:00-00:00', links: [] }));

export function registerL3Routes(app: FastifyInstance, deps: Deps): void {
  const r = new RouteTable(app);
  const base = '/networking/v2.0';
  const q = (request: FastifyRequest) => request.query as Query;
  const id = (request: FastifyRequest) => (request.params as { id: string }).id;
  // Neutron: every filter is a list of accepted values (`?id=a&id=b` is either).
  const filters = { listQuery: 'all' } as const;
  const created = <T>(reply: { code(n: number): unknown }, body: T) => {
    reply.code(201);
    return body;
  };
  const noContent = (reply: { code(n: number): unknown }) => {
    reply.code(204);
    return null;
  };

  r.add(
    'GET',
    `${base}/networks`,
    async (request) => {
      const nets = await listNetworks(deps, callerOf(request), {});
      return {
        networks: applyListQuery(
          nets.map((n) => renderNetwork(n.network, n.subnetIds)),
          q(request),
        ),
      };
    },
    filters,
  );
  r.add('POST', `${base}/networks`, async (request, reply) => {
    const n = await createNetwork(deps, callerOf(request), resourceOf(request.body, 'network', NETWORK_CREATE));
    return created(reply, { network: renderNetwork(n.network, n.subnetIds) });
  });
  r.add('GET', `${base}/networks/:id`, async (request) => {
    const n = await showNetwork(deps, callerOf(request), id(request));
    return { network: renderNetwork(n.network, n.subnetIds) };
  });
  r.add('PUT', `${base}/networks/:id`, async (request) => {
    const body = resourceOf(request.body, 'network', NETWORK_UPDATE);
    const n = await updateNetwork(deps, callerOf(request), id(request), body);
    return { network: renderNetwork(n.network, n.subnetIds) };
  });
  r.add('DELETE', `${base}/networks/:id`, async (request, reply) => {
    await deleteNetwork(deps, callerOf(request), id(request));
    return noContent(reply);
  });

  r.add(
    'GET',
    `${base}/subnets`,
    async (request) => ({
      subnets: applyListQuery((await listSubnets(deps, callerOf(request), {})).map(renderSubnet), q(request)),
    }),
    filters,
  );
  r.add('POST', `${base}/subnets`, async (request, reply) => {
    const s = await createSubnet(deps, callerOf(request), resourceOf(request.body, 'subnet', SUBNET_CREATE));
    return created(reply, { subnet: renderSubnet(s) });
  });
  r.add('GET', `${base}/subnets/:id`, async (request) => ({
    subnet: renderSubnet(await showSubnet(deps, callerOf(request), id(request))),
  }));
  r.add('PUT', `${base}/subnets/:id`, async (request) => {
    const body = resourceOf(request.body, 'subnet', SUBNET_UPDATE_BODY);
    return { subnet: renderSubnet(await updateSubnet(deps, callerOf(request), id(request), body)) };
  });
  r.add('DELETE', `${base}/subnets/:id`, async (request, reply) => {
    await deleteSubnet(deps, callerOf(request), id(request));
    return noContent(reply);
  });

  r.add(
    'GET',
    `${base}/routers`,
    async (request) => ({
      routers: applyListQuery((await listRouters(deps, callerOf(request))).map(renderRouter), q(request)),
    }),
    filters,
  );
  r.add('POST', `${base}/routers`, async (request, reply) => {
    const router = await createRouter(deps, callerOf(request), resourceOf(request.body, 'router', ROUTER_CREATE));
    return created(reply, { router: renderRouter(router) });
  });
  r.add('GET', `${base}/routers/:id`, async (request) => ({
    router: renderRouter(await showRouter(deps, callerOf(request), id(request))),
  }));
  r.add('PUT', `${base}/routers/:id`, async (request) => {
    const body = resourceOf(request.body, 'router', ROUTER_UPDATE);
    return { router: renderRouter(await updateRouter(deps, callerOf(request), id(request), body)) };
  });
  r.add('DELETE', `${base}/routers/:id`, async (request, reply) => {
    await deleteRouter(deps, callerOf(request), id(request));
    return noContent(reply);
  });
  r.add('PUT', `${base}/routers/:id/add_router_interface`, async (request) =>
    addRouterInterface(deps, callerOf(request), id(request), request.body),
  );
  r.add('PUT', `${base}/routers/:id/remove_router_interface`, async (request) =>
    removeRouterInterface(deps, callerOf(request), id(request), request.body),
  );
  r.finish();
}
