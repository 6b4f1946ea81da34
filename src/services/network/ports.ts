import type { Caller, Deps } from '../context.js';
import { authorize, canonicalUuid } from '../access.js';
import { visibleProject } from './networks.js';
import type { Executor } from '../../db/executor.js';
import * as net from '../../db/repositories/network.repository.js';
import * as fips from '../../db/repositories/floating-ips.repository.js';
import { l3PortInUse } from '../../domain/floating-ip-errors.js';
import { conflict, invalid, ipAddressesExhausted, neutronNotFound } from '../../domain/errors.js';
import { iso, type Clock } from '../../domain/clock.js';
import { ensureDefaultGroup, portGroupIds, setPortGroups } from './security-groups.js';

export type PortRow = net.PortRow;

function ipToInt(ip: string): number {
  return ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}
function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** A locally administered, unicast MAC in OpenStack's usual fa:16:3e prefix. */
export function macFor(uuid: string): string {
  const h = uuid.replace(/-/g, '');
  return `fa:16:3e:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}`;
}

/**
 * Takes the next free address of the network's first IPv4 subnet (skipping network, gateway and
 * broadcast) for `portId`. The claim is a row in ip_allocations, so two concurrent boots never
 * get the same address, whatever the isolation level.
 */
async function allocateFixedIp(
  ex: Executor,
  networkId: string,
  portId: string,
): Promise<Array<{ subnet_id: string; ip_address: string }>> {
  const subnets = await net.listSubnets(ex, [networkId]);
  const subnet = subnets[0];
  if (!subnet) return [];
  const [base, bits] = subnet.cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  const start = ipToInt(base);
  const used = new Set(await net.usedAddresses(ex, networkId));
  if (subnet.gateway_ip) used.add(subnet.gateway_ip);
  for (let i = 2; i < size - 1; i++) {
    const ip = intToIp(start + i);
    if (used.has(ip)) continue;
    if (await net.claimAddress(ex, networkId, ip, portId)) return [{ subnet_id: subnet.id, ip_address: ip }];
  }
  throw ipAddressesExhausted(networkId);
}

/**
 * Claims a requested address of the network's first IPv4 subnet. Nova parity (neutron.py
 * _create_port_minimal): an address outside the subnet is InvalidInput (400), a taken one
 * FixedIpAlreadyInUse (409).
 */
async function allocateRequestedIp(
  ex: Executor,
  networkId: string,
  portId: string,
  ip: string,
): Promise<Array<{ subnet_id: string; ip_address: string }>> {
  const subnet = (await net.listSubnets(ex, [networkId]))[0];
  const notValid = () =>
    invalid(`Invalid input received: Fixed IP ${ip} is not a valid ip address for network ${networkId}.`);
  if (!subnet || !/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) throw notValid();
  const [base, bits] = subnet.cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  const offset = ipToInt(ip) - ipToInt(base);
  if (offset <= 0 || offset >= size - 1) throw notValid();
  if (ip === subnet.gateway_ip || !(await net.claimAddress(ex, networkId, ip, portId)))
    throw conflict(`Fixed IP ${ip} is already in use.`, 'FixedIpAlreadyInUse');
  return [{ subnet_id: subnet.id, ip_address: ip }];
}

export interface NewPort {
  networkId: string;
  projectId: string;
  name?: string;
  deviceId?: string;
  deviceOwner?: string;
  createdForServer: boolean;
  host?: string;
  /** The groups the port carries; undefined: its project's default group (as Neutron). */
  securityGroupIds?: string[];
  /** A requested address (os-interface `fixed_ips`); without it, the next free one. */
  fixedIp?: string;
}

export async function createPort(deps: Deps, ex: Executor, p: NewPort): Promise<PortRow> {
  const id = deps.ids.uuid();
  const now = iso(deps.clock.now());
  const row = {
    id,
    network_id: p.networkId,
    project_id: p.projectId,
    name: p.name ?? '',
    mac_address: macFor(id),
    fixed_ips: JSON.stringify(
      p.fixedIp !== undefined
        ? await allocateRequestedIp(ex, p.networkId, id, p.fixedIp)
        : await allocateFixedIp(ex, p.networkId, id),
    ),
    device_id: p.deviceId ?? '',
    device_owner: p.deviceOwner ?? '',
    binding_host_id: p.host ?? '',
    status: p.deviceId ? 'ACTIVE' : 'DOWN',
    admin_state_up: 1,
    created_for_server: p.createdForServer ? 1 : 0,
    created_at: now,
    updated_at: now,
  };
  await net.insertPort(ex, row);
  await setPortGroups(ex, id, p.securityGroupIds ?? [await ensureDefaultGroup(deps, ex, p.projectId)]);
  return row;
}

/**
 * Nova's deallocate_for_instance: ports Stratus created for the server are deleted, ports the
 * user passed in are unbound (device_id, device_owner and binding cleared) and kept. Neutron's
 * port delete disassociates the floating IPs of the deleted ports (kept, free to associate at
 * once), in the same transaction; an unbound user port keeps its floating IP, as in Neutron.
 */
export async function releaseServerPorts(
  deps: { clock: Clock },
  ex: Executor,
  serverId: string,
): Promise<{ deleted: number; unbound: number }> {
  const now = iso(deps.clock.now());
  await fips.disassociateCreatedPortsOfServer(ex, serverId, now);
  return net.releasePortsOfServer(ex, serverId, now);
}

/** Binds every port of a server to the host it runs on. */
export async function bindServerPorts(
  deps: { clock: Clock },
  ex: Executor,
  serverId: string,
  host: string,
): Promise<void> {
  await net.setServerPortsHost(ex, serverId, host, iso(deps.clock.now()));
}

// --- the Neutron API's port requests ---------------------------------------------------------

/** Ports the caller sees (their project's; every project's for an admin), filtered as Neutron does. */
export async function listPorts(
  deps: Deps,
  caller: Caller,
  filter: Omit<net.PortFilter, 'projectId'>,
): Promise<PortRow[]> {
  return net.listPorts(deps.db, { projectId: visibleProject(caller), ...filter });
}

/** A port outside the caller's project is "not found", as in Neutron. */
export async function showPort(deps: Deps, caller: Caller, id: string): Promise<PortRow> {
  const p = await net.getPort(deps.db, id);
  const scope = visibleProject(caller);
  if (!p || (scope !== undefined && p.project_id !== scope)) throw neutronNotFound('Port', id);
  return p;
}

export interface PortRequest {
  network_id: string;
  name?: string;
  device_id?: string;
  device_owner?: string;
  project_id?: string;
  security_groups?: unknown;
}

/** POST /ports: an admin may create a port for another project; the network must be the caller's or shared. */
export async function requestPort(deps: Deps, caller: Caller, body: PortRequest): Promise<PortRow> {
  const projectId = caller.isAdmin && body.project_id ? body.project_id : caller.projectId;
  authorize(deps, caller, 'stratus:network:port:create', { project_id: projectId });
  const nid = canonicalUuid(body.network_id);
  const n = nid ? await net.getNetwork(deps.db, nid) : undefined;
  if (!n || (!caller.isAdmin && n.project_id !== caller.projectId && !n.shared))
    throw neutronNotFound('Network', body.network_id);
  const securityGroupIds = await portGroupIds(deps, deps.db, caller, projectId, body.security_groups);
  return createPort(deps, deps.db, {
    securityGroupIds,
    networkId: n.id,
    projectId,
    name: body.name,
    deviceId: body.device_id,
    deviceOwner: body.device_owner,
    createdForServer: false,
  });
}

export interface PortChanges {
  name?: unknown;
  device_id?: unknown;
  device_owner?: unknown;
  admin_state_up?: unknown;
  'binding:host_id'?: unknown;
  security_groups?: unknown;
}

export async function updatePort(deps: Deps, caller: Caller, id: string, changes: PortChanges): Promise<PortRow> {
  const p = await showPort(deps, caller, id);
  authorize(deps, caller, 'stratus:network:port:update', { project_id: p.project_id });
  const set: Record<string, unknown> = { updated_at: iso(deps.clock.now()) };
  if (typeof changes.name === 'string') set.name = changes.name;
  if (typeof changes.device_id === 'string') set.device_id = changes.device_id;
  if (typeof changes.device_owner === 'string') set.device_owner = changes.device_owner;
  if (typeof changes.admin_state_up === 'boolean') set.admin_state_up = changes.admin_state_up ? 1 : 0;
  if (typeof changes['binding:host_id'] === 'string') set.binding_host_id = changes['binding:host_id'];
  await net.updatePort(deps.db, p.id, set);
  if (changes.security_groups !== undefined)
    await setPortGroups(
      deps.db,
      p.id,
      await portGroupIds(deps, deps.db, caller, p.project_id, changes.security_groups ?? null),
    );
  return (await net.getPort(deps.db, p.id))!;
}

export async function deletePort(deps: Deps, caller: Caller, id: string): Promise<void> {
  const p = await showPort(deps, caller, id);
  authorize(deps, caller, 'stratus:network:port:delete', { project_id: p.project_id });
  // Neutron's prevent_l3_port_deletion: a floating IP's port goes with the floating IP only.
  if (p.device_owner === 'network:floatingip') throw l3PortInUse(p.id, p.device_owner);
  // Neutron's disassociate_floatingips: a deleted port's floating IPs stay, unassociated.
  await deps.transact(async (tx) => {
    await fips.disassociatePorts(tx, [p.id], iso(deps.clock.now()));
    await net.deletePort(tx, p.id);
  });
}
