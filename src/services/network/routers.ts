// Neutron's routers (neutron/db/l3_db.py, the l3 API definition, neutron/conf/policies/router.py):
// a router, its gateway on an external network (a port of no project, device_owner
// network:router_gateway) and its interfaces (ports of the router's project, device_owner
// network:router_interface, holding their subnet's gateway address).
import type { Caller, Deps } from '../context.js';
import { canonicalUuid } from '../access.js';
import type { Executor } from '../../db/executor.js';
import * as net from '../../db/repositories/network.repository.js';
import * as repo from '../../db/repositories/routers.repository.js';
import * as fips from '../../db/repositories/floating-ips.repository.js';
import { iso } from '../../domain/clock.js';
import { DomainError, neutronNotFound } from '../../domain/errors.js';
import { ipToInt, overlaps, parseCidr } from '../../domain/ipv4.js';
import {
  neutronBadRequest,
  routerGatewayInUseByFloatingIp,
  routerInUse,
  routerInterfaceInUseByFloatingIp,
  routerInterfaceNotFound,
  routerInterfaceNotFoundForSubnet,
  routerNotFound,
} from '../../domain/network-errors.js';
import { neutronInvalidAttr } from '../../domain/security-group-errors.js';
import { booleanAttr, enforce, enforceAttribute, type Item, projectOf, pyish, stringAttr } from './attributes.js';
import { fixedIpsAttr, type FixedIp, type FixedIpRequest } from './ipam.js';
import { visibleProject } from './networks.js';
import { createPort, showPort, type PortRow } from './ports.js';
import { checkNetworkQuota } from './quotas.js';
import { subnetById } from './subnets.js';

export type RouterRow = repo.RouterRow;
export const ROUTER_INTERFACE = 'network:router_interface';
export const ROUTER_GATEWAY = 'network:router_gateway';

export const ROUTER_CREATE = [
  'name',
  'admin_state_up',
  'description',
  'external_gateway_info',
  'project_id',
  'tenant_id',
  'availability_zone_hints',
];
export const ROUTER_UPDATE = ['name', 'admin_state_up', 'description', 'external_gateway_info'];

/** A router with its gateway port (null: no gateway). */
export interface Router {
  router: RouterRow;
  gatewayPort: PortRow | null;
}

const fixedIpsOf = (p: PortRow) => JSON.parse(p.fixed_ips) as FixedIp[];

async function withGateways(deps: Deps, routers: RouterRow[]): Promise<Router[]> {
  const ports = await repo.routerPorts(
    deps.db,
    routers.map((r) => r.id),
    ROUTER_GATEWAY,
  );
  return routers.map((router) => ({ router, gatewayPort: ports.find((p) => p.device_id === router.id) ?? null }));
}

/** A router the caller sees (its project's; any for an admin), else Neutron's 404. */
async function findRouter(deps: Deps, caller: Caller, id: string): Promise<RouterRow> {
  const rid = canonicalUuid(id);
  const r = rid ? await repo.getRouter(deps.db, rid) : undefined;
  const scope = visibleProject(caller);
  if (!r || (scope !== undefined && r.project_id !== scope)) throw routerNotFound(id);
  return r;
}

export async function listRouters(deps: Deps, caller: Caller): Promise<Router[]> {
  enforce(deps, caller, 'get_router', caller.projectId);
  return withGateways(deps, await repo.listRouters(deps.db, visibleProject(caller)));
}

export async function showRouter(deps: Deps, caller: Caller, id: string): Promise<Router> {
  const r = await findRouter(deps, caller, id);
  enforce(deps, caller, 'get_router', r.project_id);
  return (await withGateways(deps, [r]))[0];
}

interface GatewayRequest {
  networkId: string;
  enableSnat?: boolean;
  fixedIps?: FixedIpRequest[];
}

/** neutron-lib validate_external_gw_info; null or {} is "no gateway". */
function gatewayInfoAttr(v: unknown): GatewayRequest | null | undefined {
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v))
    throw neutronInvalidAttr('external_gateway_info', `'${pyish(v)}' is not a dictionary`);
  const g = v as Item;
  if (Object.keys(g).length === 0) return null;
  const extra = Object.keys(g).filter(
    (k) => !['network_id', 'enable_snat', 'external_fixed_ips', 'qos_policy_id'].includes(k),
  );
  if (extra.length || g.network_id === undefined)
    throw neutronInvalidAttr(
      'external_gateway_info',
      `Validation of dictionary's keys failed. Expected keys: {'network_id'} Optional keys: {'enable_snat', 'external_fixed_ips', 'qos_policy_id'} Provided keys: {${Object.keys(
        g,
      )
        .map((k) => `'${k}'`)
        .join(', ')}}`,
    );
  const networkId = typeof g.network_id === 'string' ? canonicalUuid(g.network_id) : null;
  if (!networkId) throw neutronInvalidAttr('external_gateway_info', `'${pyish(g.network_id)}' is not a valid UUID`);
  if (g.qos_policy_id !== undefined && g.qos_policy_id !== null)
    throw neutronBadRequest('router', 'qos_policy_id is not supported by Stratus');
  return {
    networkId,
    enableSnat: booleanAttr('enable_snat', g.enable_snat),
    fixedIps: g.external_fixed_ips === undefined ? undefined : fixedIpsAttr(g.external_fixed_ips),
  };
}

/** The admin-only parts of a gateway (enable_snat, external_fixed_ips), checked as Neutron's attribute rules. */
function enforceGateway(deps: Deps, caller: Caller, action: string, g: GatewayRequest, projectId: string): void {
  if (g.enableSnat !== undefined)
    enforceAttribute(deps, caller, action, 'external_gateway_info:enable_snat', projectId);
  if (g.fixedIps !== undefined)
    enforceAttribute(deps, caller, action, 'external_gateway_info:external_fixed_ips', projectId);
}

/** Sets a router's gateway (Neutron's _create_gw_port): the network must be external; its port takes an address there. */
async function setGateway(deps: Deps, tx: Executor, router: RouterRow, g: GatewayRequest): Promise<void> {
  const n = await net.getNetwork(tx, g.networkId);
  if (!n) throw neutronNotFound('Network', g.networkId);
  if (!n.external) throw neutronBadRequest('router', `Network ${n.id} is not an external network`);
  if (!(await net.listSubnets(tx, [n.id])).length)
    throw neutronBadRequest('router', `No IPs available for external network ${n.id}`);
  await createPort(deps, tx, {
    networkId: n.id,
    // Neutron's gateway port belongs to no project (and counts against no quota).
    projectId: '',
    deviceId: router.id,
    deviceOwner: ROUTER_GATEWAY,
    createdForServer: false,
    securityGroupIds: [],
    fixedIps: g.fixedIps,
  });
  await repo.updateRouter(tx, router.id, {
    gw_network_id: n.id,
    enable_snat: (g.enableSnat ?? true) ? 1 : 0,
  });
}

async function clearGateway(tx: Executor, router: RouterRow): Promise<void> {
  // Neutron's _check_router_gw_port_in_use: associated floating IPs leave through this gateway.
  const [gw] = await repo.routerPorts(tx, [router.id], ROUTER_GATEWAY);
  if (gw && (await fips.listFloatingIps(tx, { routerIds: [router.id], networkIds: [gw.network_id] })).length)
    throw routerGatewayInUseByFloatingIp(router.id, gw.network_id);
  for (const p of await repo.routerPorts(tx, [router.id], ROUTER_GATEWAY)) await net.deletePort(tx, p.id);
  await repo.updateRouter(tx, router.id, { gw_network_id: null, enable_snat: 1 });
}

export async function createRouter(deps: Deps, caller: Caller, body: Item): Promise<Router> {
  const projectId = projectOf(caller, body);
  enforce(deps, caller, 'create_router', projectId);
  const name = stringAttr('name', body.name) ?? '';
  const description = stringAttr('description', body.description) ?? '';
  const adminStateUp = booleanAttr('admin_state_up', body.admin_state_up) ?? true;
  if (
    body.availability_zone_hints !== undefined &&
    (!Array.isArray(body.availability_zone_hints) || body.availability_zone_hints.some((z) => z !== 'nova'))
  )
    throw neutronBadRequest('router', `Availability zone of ${pyish(body.availability_zone_hints)} could not be found`);
  const gateway = gatewayInfoAttr(body.external_gateway_info);
  if (gateway) enforceGateway(deps, caller, 'create_router', gateway, projectId);
  const now = iso(deps.clock.now());
  const row: RouterRow = {
    id: deps.ids.uuid(),
    project_id: projectId,
    name,
    description,
    admin_state_up: adminStateUp ? 1 : 0,
    status: 'ACTIVE',
    gw_network_id: null,
    enable_snat: 1,
    revision_number: 1,
    created_at: now,
    updated_at: now,
  };
  await deps.transact(async (tx) => {
    await checkNetworkQuota(deps, tx, projectId, 'router');
    await repo.insertRouter(tx, row);
    if (gateway) await setGateway(deps, tx, row, gateway);
  });
  return showRouter(deps, caller, row.id);
}

export async function updateRouter(deps: Deps, caller: Caller, id: string, body: Item): Promise<Router> {
  const r = await findRouter(deps, caller, id);
  enforce(deps, caller, 'update_router', r.project_id);
  const name = stringAttr('name', body.name);
  const description = stringAttr('description', body.description);
  const adminStateUp = booleanAttr('admin_state_up', body.admin_state_up);
  const gateway = gatewayInfoAttr(body.external_gateway_info);
  if (gateway) enforceGateway(deps, caller, 'update_router', gateway, r.project_id);
  await deps.transact(async (tx) => {
    const set: Record<string, unknown> = { updated_at: iso(deps.clock.now()), revision_number: r.revision_number + 1 };
    if (name !== undefined) set.name = name;
    if (description !== undefined) set.description = description;
    if (adminStateUp !== undefined) set.admin_state_up = adminStateUp ? 1 : 0;
    await repo.updateRouter(tx, r.id, set);
    if (gateway === null) await clearGateway(tx, r);
    else if (gateway) {
      const [port] = await repo.routerPorts(tx, [r.id], ROUTER_GATEWAY);
      // The same network with nothing else asked: only enable_snat changes (Neutron keeps the port).
      if (port && port.network_id === gateway.networkId && gateway.fixedIps === undefined)
        await repo.updateRouter(tx, r.id, { enable_snat: (gateway.enableSnat ?? true) ? 1 : 0 });
      else {
        if (port) await clearGateway(tx, r);
        await setGateway(deps, tx, r, gateway);
      }
    }
  });
  return showRouter(deps, caller, r.id);
}

/** Neutron's delete_router: refused while interfaces remain (RouterInUse); the gateway port goes with it. */
export async function deleteRouter(deps: Deps, caller: Caller, id: string): Promise<void> {
  const r = await findRouter(deps, caller, id);
  enforce(deps, caller, 'delete_router', r.project_id);
  await deps.transact(async (tx) => {
    if ((await repo.routerPorts(tx, [r.id], ROUTER_INTERFACE)).length) throw routerInUse(r.id);
    await clearGateway(tx, r);
    await repo.deleteRouter(tx, r.id);
  });
}

/** What add/remove_router_interface answer (Neutron's _make_router_interface_info). */
export interface RouterInterfaceInfo {
  id: string;
  tenant_id: string;
  project_id: string;
  port_id: string;
  network_id: string;
  subnet_id: string;
  subnet_ids: string[];
}

function interfaceInfo(r: RouterRow, p: PortRow): RouterInterfaceInfo {
  const subnets = fixedIpsOf(p).map((f) => f.subnet_id);
  return {
    id: r.id,
    tenant_id: r.project_id,
    project_id: r.project_id,
    port_id: p.id,
    network_id: p.network_id,
    subnet_id: subnets[0],
    subnet_ids: subnets,
  };
}

/** interface_info: exactly one of subnet_id and port_id (l3_db _validate_interface_info). */
function interfaceRequest(body: unknown): { subnetId?: string; portId?: string } {
  const b = body && typeof body === 'object' && !Array.isArray(body) ? (body as Item) : {};
  const subnetId = b.subnet_id;
  const portId = b.port_id;
  if (subnetId === undefined && portId === undefined)
    throw neutronBadRequest('router', 'Either subnet_id or port_id must be specified');
  for (const [attr, v] of [
    ['subnet_id', subnetId],
    ['port_id', portId],
  ] as const)
    if (v !== undefined && typeof v !== 'string') throw neutronInvalidAttr(attr, `'${pyish(v)}' is not a valid UUID`);
  return { subnetId: subnetId as string | undefined, portId: portId as string | undefined };
}

/** Neutron's _check_for_dup_router_subnets: one port per subnet, no overlapping cidrs on one router. */
async function checkRouterSubnets(tx: Executor, router: RouterRow, subnetIds: string[]): Promise<void> {
  const existing = (await repo.routerPorts(tx, [router.id], ROUTER_INTERFACE)).flatMap((p) =>
    fixedIpsOf(p).map((f) => f.subnet_id),
  );
  for (const sid of subnetIds) {
    if (existing.includes(sid)) throw neutronBadRequest('router', `Router already has a port on subnet ${sid}`);
    const s = (await net.getSubnet(tx, sid))!;
    const c = parseCidr(s.cidr)!;
    for (const other of existing) {
      const o = await net.getSubnet(tx, other);
      const oc = o ? parseCidr(o.cidr) : null;
      if (o && oc && overlaps(c, oc))
        throw neutronBadRequest(
          'router',
          `Cidr ${s.cidr} of subnet ${s.id} overlaps with cidr ${o.cidr} of subnet ${o.id}`,
        );
    }
  }
}

export async function addRouterInterface(
  deps: Deps,
  caller: Caller,
  id: string,
  body: unknown,
): Promise<RouterInterfaceInfo> {
  const r = await findRouter(deps, caller, id);
  enforce(deps, caller, 'add_router_interface', r.project_id);
  const req = interfaceRequest(body);
  if (req.subnetId !== undefined && req.portId !== undefined)
    throw neutronBadRequest('router', 'Cannot specify both subnet-id and port-id');
  if (req.portId !== undefined) {
    const port = await showPort(deps, caller, req.portId);
    if (port.device_id)
      throw new DomainError(
        'conflict',
        'PortInUse',
        `Unable to complete operation on port ${port.id} for network ${port.network_id}. Port already has an attached device ${port.device_id}.`,
      );
    const subnets = fixedIpsOf(port).map((f) => f.subnet_id);
    if (!subnets.length) throw neutronBadRequest('router', 'Router port must have at least one fixed IP');
    await deps.transact(async (tx) => {
      await checkRouterSubnets(tx, r, subnets);
      await net.updatePort(tx, port.id, {
        device_id: r.id,
        device_owner: ROUTER_INTERFACE,
        status: 'ACTIVE',
        updated_at: iso(deps.clock.now()),
      });
    });
    return interfaceInfo(r, (await net.getPort(deps.db, port.id))!);
  }
  const sid = canonicalUuid(req.subnetId!);
  const subnet = sid ? await net.getSubnet(deps.db, sid) : undefined;
  const network = subnet ? await net.getNetwork(deps.db, subnet.network_id) : undefined;
  const scope = visibleProject(caller);
  if (!subnet || !network || (scope !== undefined && subnet.project_id !== scope && !network.shared))
    throw neutronNotFound('Subnet', req.subnetId!);
  if (!subnet.gateway_ip) throw neutronBadRequest('router', 'Subnet for router interface must have a gateway IP');
  const port = await deps.transact(async (tx) => {
    await checkRouterSubnets(tx, r, [subnet.id]);
    return createPort(deps, tx, {
      networkId: subnet.network_id,
      projectId: r.project_id,
      deviceId: r.id,
      deviceOwner: ROUTER_INTERFACE,
      createdForServer: false,
      securityGroupIds: [],
      fixedIps: [{ subnet_id: subnet.id, ip_address: subnet.gateway_ip! }],
    });
  });
  return interfaceInfo(r, (await net.getPort(deps.db, port.id))!);
}

export async function removeRouterInterface(
  deps: Deps,
  caller: Caller,
  id: string,
  body: unknown,
): Promise<RouterInterfaceInfo> {
  const r = await findRouter(deps, caller, id);
  enforce(deps, caller, 'remove_router_interface', r.project_id);
  const req = interfaceRequest(body);
  const interfaces = await repo.routerPorts(deps.db, [r.id], ROUTER_INTERFACE);
  let port: PortRow | undefined;
  if (req.portId !== undefined) {
    port = interfaces.find((p) => p.id === canonicalUuid(req.portId!));
    if (!port) throw routerInterfaceNotFound(r.id, req.portId);
    if (req.subnetId !== undefined && !fixedIpsOf(port).some((f) => f.subnet_id === req.subnetId))
      throw new DomainError(
        'conflict',
        'SubnetMismatchForPort',
        `Subnet on port ${port.id} does not match the requested subnet ${req.subnetId}.`,
      );
  } else {
    await subnetById(deps, canonicalUuid(req.subnetId!) ?? req.subnetId!);
    port = interfaces.find((p) => fixedIpsOf(p).some((f) => f.subnet_id === canonicalUuid(req.subnetId!)));
    if (!port) throw routerInterfaceNotFoundForSubnet(r.id, req.subnetId!);
  }
  const info = interfaceInfo(r, port);
  const portId = port.id;
  await deps.transact(async (tx) => {
    await confirmInterfaceNotUsedByFloatingIps(tx, r.id, info.subnet_ids);
    await net.deletePort(tx, portId);
  });
  return info;
}

/** Neutron's _confirm_router_interface_not_in_use: no floating IP of the router maps to an address of these subnets. */
async function confirmInterfaceNotUsedByFloatingIps(
  ex: Executor,
  routerId: string,
  subnetIds: string[],
): Promise<void> {
  const associated = (await fips.listFloatingIps(ex, { routerIds: [routerId] })).filter((f) => f.fixed_ip_address);
  for (const subnetId of subnetIds) {
    const cidr = parseCidr((await net.getSubnet(ex, subnetId))?.cidr ?? '');
    const inside = (ip: string | null) => {
      const n = ip ? ipToInt(ip) : null;
      return cidr !== null && n !== null && n >= cidr.first && n <= cidr.last;
    };
    if (associated.some((f) => inside(f.fixed_ip_address))) throw routerInterfaceInUseByFloatingIp(routerId, subnetId);
  }
}

/**
 * The router through which a subnet reaches an external network (a router with its gateway on
 * `externalNetworkId` and an interface on `subnetId`), or null. Floating IPs need one: Neutron
 * refuses an association without it (ExternalGatewayForFloatingIPNotFound).
 */
export async function externalGatewayReachable(
  ex: Executor,
  externalNetworkId: string,
  subnetId: string,
): Promise<string | null> {
  const routers = await repo.routersWithGateway(ex, externalNetworkId);
  const ports = await repo.routerPorts(
    ex,
    routers.map((r) => r.id),
    ROUTER_INTERFACE,
  );
  const p = ports.find((x) => fixedIpsOf(x).some((f) => f.subnet_id === subnetId));
  return p ? p.device_id : null;
}
