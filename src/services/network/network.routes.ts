import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../compute/context.js';
import { authorize, canonicalUuid } from '../compute/access.js';
import * as net from '../../db/repositories/network.repository.js';
import { createPort } from './ports.js';
import { DomainError } from '../../domain/errors.js';
import { iso } from '../../domain/clock.js';
import { baseUrl, callerOf } from '../../http/app.js';
import { RouteTable } from '../../http/route-table.js';
import { list, type Query } from '../../http/query.js';

const neutronTime = (s: string) => s.replace(/\.\d{3}Z$/, 'Z');

function renderNetwork(n: Awaited<ReturnType<typeof net.getNetwork>> & object, subnets: string[]) {
  return {
    id: n.id, name: n.name, tenant_id: n.project_id, project_id: n.project_id, shared: n.shared === 1, 'router:external': n.external === 1,
    status: n.status, admin_state_up: true, subnets, mtu: n.mtu, description: '', 'provider:network_type': 'flat',
    availability_zones: ['nova'], ipv4_address_scope: null, ipv6_address_scope: null, port_security_enabled: true, tags: [],
    created_at: neutronTime(n.created_at), updated_at: neutronTime(n.updated_at), revision_number: 1,
  };
}

function renderSubnet(s: Awaited<ReturnType<typeof net.getSubnet>> & object) {
  const [base, bits] = s.cidr.split('/');
  const prefix = base.split('.').slice(0, 3).join('.');
  return {
    id: s.id, name: s.name, network_id: s.network_id, tenant_id: s.project_id, project_id: s.project_id, cidr: s.cidr,
    gateway_ip: s.gateway_ip, ip_version: s.ip_version, enable_dhcp: true, dns_nameservers: [], host_routes: [],
    allocation_pools: bits === '24' ? [{ start: `${prefix}.2`, end: `${prefix}.254` }] : [], description: '', tags: [],
    created_at: neutronTime(s.created_at), updated_at: neutronTime(s.updated_at), revision_number: 0,
  };
}

export function renderPort(p: net.PortRow) {
  return {
    id: p.id, name: p.name, network_id: p.network_id, tenant_id: p.project_id, project_id: p.project_id, mac_address: p.mac_address,
    fixed_ips: JSON.parse(p.fixed_ips), device_id: p.device_id, device_owner: p.device_owner, status: p.status,
    admin_state_up: p.admin_state_up === 1, 'binding:host_id': p.binding_host_id, 'binding:vif_type': p.binding_host_id ? 'ovs' : 'unbound',
    'binding:vnic_type': 'normal', 'binding:profile': {}, 'binding:vif_details': {}, security_groups: [], allowed_address_pairs: [],
    extra_dhcp_opts: [], description: '', tags: [], port_security_enabled: true,
    created_at: neutronTime(p.created_at), updated_at: neutronTime(p.updated_at), revision_number: 1,
  };
}

const notFound = (kind: string, id: string) => new DomainError('not-found', `${kind}NotFound`, `${kind} ${id} could not be found.`);
const portFields = { name: { type: 'string', maxLength: 255 }, device_id: { type: 'string', maxLength: 255 }, device_owner: { type: 'string', maxLength: 255 }, admin_state_up: { type: 'boolean' }, description: { type: 'string' }, 'binding:host_id': { type: 'string' } };

export function registerNetworkRoutes(app: FastifyInstance, deps: Deps): void {
  const r = new RouteTable(app);
  r.add('GET', '/networking', async (request) => ({ versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ href: `${baseUrl(request)}/networking/v2.0/`, rel: 'self' }] }] }), { public: true });
  r.add('GET', '/networking/v2.0', async (request) => ({ resources: ['networks', 'subnets', 'ports'].map((n) => ({ name: n.slice(0, -1), collection: n, links: [{ href: `${baseUrl(request)}/networking/v2.0/${n}`, rel: 'self' }] })) }), { public: true });
  r.add('GET', '/networking/v2.0/extensions', async () => ({ extensions: [] }));

  const visible = (request: FastifyRequest) => { const c = callerOf(request); return c.isAdmin ? undefined : c.projectId; };
  // Neutron: every filter is a list of accepted values (`?id=a&id=b` is either), so these
  // routes read their query with `listQuery: 'all'`.
  const q = (request: FastifyRequest) => request.query as Query;
  const matches = (values: string[] | undefined, actual: string) => values === undefined || values.includes(actual);
  const filters = { listQuery: 'all' } as const;

  r.add('GET', '/networking/v2.0/networks', async (request) => {
    const nets = await net.listNetworks(deps.db, visible(request));
    const subnets = await net.listSubnets(deps.db, nets.map((n) => n.id));
    const f = q(request);
    return {
      networks: nets.filter((n) => matches(list(f, 'name'), n.name) && matches(list(f, 'id'), n.id))
        .map((n) => renderNetwork(n, subnets.filter((s) => s.network_id === n.id).map((s) => s.id))),
    };
  }, filters);
  r.add('GET', '/networking/v2.0/networks/:id', async (request) => {
    const { id } = request.params as { id: string };
    const p = visible(request);
    const n = await net.getNetwork(deps.db, id);
    if (!n || (p !== undefined && n.project_id !== p && !n.shared && !n.external)) throw notFound('Network', id);
    const subnets = await net.listSubnets(deps.db, [n.id]);
    return { network: renderNetwork(n, subnets.map((s) => s.id)) };
  });
  r.add('GET', '/networking/v2.0/subnets', async (request) => {
    const nets = await net.listNetworks(deps.db, visible(request));
    const f = q(request);
    const subnets = await net.listSubnets(deps.db, nets.map((n) => n.id));
    return { subnets: subnets.filter((s) => matches(list(f, 'name'), s.name) && matches(list(f, 'network_id'), s.network_id)).map(renderSubnet) };
  }, filters);
  r.add('GET', '/networking/v2.0/subnets/:id', async (request) => {
    const { id } = request.params as { id: string };
    const s = await net.getSubnet(deps.db, id);
    const nets = await net.listNetworks(deps.db, visible(request));
    if (!s || !nets.some((n) => n.id === s.network_id)) throw notFound('Subnet', id);
    return { subnet: renderSubnet(s) };
  });

  r.add('GET', '/networking/v2.0/ports', async (request) => {
    const f = q(request);
    const ports = await net.listPorts(deps.db, {
      projectId: visible(request), deviceId: list(f, 'device_id'), deviceOwner: list(f, 'device_owner'), networkId: list(f, 'network_id'),
      id: list(f, 'id'), name: list(f, 'name'), macAddress: list(f, 'mac_address'),
    });
    return { ports: ports.map(renderPort) };
  }, filters);
  const getPort = async (request: FastifyRequest) => {
    const { id } = request.params as { id: string };
    const p = await net.getPort(deps.db, id);
    const scope = visible(request);
    if (!p || (scope !== undefined && p.project_id !== scope)) throw notFound('Port', id);
    return p;
  };
  r.add('GET', '/networking/v2.0/ports/:id', async (request) => ({ port: renderPort(await getPort(request)) }));
  r.add('POST', '/networking/v2.0/ports', async (request, reply) => {
    const caller = callerOf(request);
    const body = (request.body as { port: { network_id: string; name?: string; device_id?: string; device_owner?: string; project_id?: string } }).port;
    const projectId = caller.isAdmin && body.project_id ? body.project_id : caller.projectId;
    authorize(deps, caller, 'stratus:network:port:create', { project_id: projectId });
    const nid = canonicalUuid(body.network_id);
    const n = nid ? await net.getNetwork(deps.db, nid) : undefined;
    if (!n || (!caller.isAdmin && n.project_id !== caller.projectId && !n.shared)) throw notFound('Network', body.network_id);
    const port = await createPort(deps, deps.db, { networkId: n.id, projectId, name: body.name, deviceId: body.device_id, deviceOwner: body.device_owner, createdForServer: false });
    reply.code(201);
    return { port: renderPort(port) };
  }, { schema: { body: { type: 'object', required: ['port'], additionalProperties: false, properties: { port: { type: 'object', required: ['network_id'], additionalProperties: false, properties: { network_id: { type: 'string', maxLength: 64 }, project_id: { type: 'string' }, tenant_id: { type: 'string' }, fixed_ips: { type: 'array' }, security_groups: { type: 'array' }, ...portFields } } } } } });
  r.add('PUT', '/networking/v2.0/ports/:id', async (request) => {
    const caller = callerOf(request);
    const p = await getPort(request);
    authorize(deps, caller, 'stratus:network:port:update', { project_id: p.project_id });
    const body = (request.body as { port: Record<string, unknown> }).port;
    const set: Record<string, unknown> = { updated_at: iso(deps.clock.now()) };
    if (typeof body.name === 'string') set.name = body.name;
    if (typeof body.device_id === 'string') set.device_id = body.device_id;
    if (typeof body.device_owner === 'string') set.device_owner = body.device_owner;
    if (typeof body.admin_state_up === 'boolean') set.admin_state_up = body.admin_state_up ? 1 : 0;
    if (typeof body['binding:host_id'] === 'string') set.binding_host_id = body['binding:host_id'];
    await net.updatePort(deps.db, p.id, set);
    return { port: renderPort((await net.getPort(deps.db, p.id))!) };
  }, { schema: { body: { type: 'object', required: ['port'], additionalProperties: false, properties: { port: { type: 'object', additionalProperties: false, properties: portFields } } } } });
  r.add('DELETE', '/networking/v2.0/ports/:id', async (request, reply) => {
    const caller = callerOf(request);
    const p = await getPort(request);
    authorize(deps, caller, 'stratus:network:port:delete', { project_id: p.project_id });
    await net.deletePort(deps.db, p.id);
    reply.code(204);
    return null;
  });
  r.finish();
}
