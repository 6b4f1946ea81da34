import type { Caller, Deps } from '../context.js';
import { authorize, canonicalUuid } from '../access.js';
import { visibleProject } from './networks.js';
import type { Executor } from '../../db/executor.js';
import * as net from '../../db/repositories/network.repository.js';
import * as fips from '../../db/repositories/floating-ips.repository.js';
import { l3PortInUse } from '../../domain/floating-ip-errors.js';
import { DomainError, conflict, invalid, neutronNotFound } from '../../domain/errors.js';
import { ipToInt } from '../../domain/ipv4.js';
import { invalidIpForNetwork, servicePortInUse } from '../../domain/network-errors.js';
import { allocateAny, allocateRequested, fixedIpsAttr, type FixedIp, type FixedIpRequest } from './ipam.js';
import { checkNetworkQuota } from './quotas.js';

/** Ports only the router API deletes (Neutron's ROUTER_PORT_OWNERS). */
const ROUTER_OWNED = ['network:router_interface', 'network:router_gateway', 'network:ha_router_replicated_interface'];
import { iso, type Clock } from '../../domain/clock.js';
import { ensureDefaultGroup, portGroupIds, setPortGroups } from './security-groups.js';

export type PortRow = net.PortRow;

/** A locally administered, unicast MAC in OpenStack's usual fa:16:3e prefix. */
export function macFor(uuid: string): string {
  const h = uuid.replace(/-/g, '');
  return `fa:16:3e:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}`;
}

/**
 * Nova parity (neutron.py _create_port_minimal) for a requested address of os-interface: an
 * address on none of the network's subnets is InvalidInput (400), a taken one
 * FixedIpAlreadyInUse (409).
 */
async function allocateNovaRequestedIp(
  ex: Executor,
  networkId: string,
  portId: string,
  ip: string,
): Promise<FixedIp[]> {
  try {
    if (ipToInt(ip) === null) throw invalidIpForNetwork(ip);
    return await allocateRequested(ex, networkId, portId, [{ ip_address: ip }], 'compute:nova');
  } catch (e) {
    if (e instanceof DomainError && (e.code === 'InvalidIpForNetwork' || e.code === 'InvalidIpForSubnet'))
      throw invalid(`Invalid input received: Fixed IP ${ip} is not a valid ip address for network ${networkId}.`);
    if (e instanceof DomainError && e.code === 'IpAddressAlreadyAllocated')
      throw conflict(`Fixed IP ${ip} is already in use.`, 'FixedIpAlreadyInUse');
    throw e;
  }
}

/**
 * Nova's answer when Neutron refuses a server's port for its quota (nova/network/neutron.py
 * _create_port_minimal: OverQuota becomes PortLimitExceeded, which servers.create answers 403).
 */
export function portLimitExceeded(e: unknown): never {
  if (e instanceof DomainError && e.code === 'OverQuota')
    throw new DomainError('forbidden', 'PortLimitExceeded', 'Maximum number of ports exceeded');
  throw e;
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
  /** The Neutron API's `fixed_ips` (wins over fixedIp). */
  fixedIps?: FixedIpRequest[];
}

/**
 * Creates a port with its addresses, counted against the project's port quota (409 OverQuota;
 * a router's gateway port, of no project, is not counted, as in Neutron). Outside a transaction
 * (`ex` is deps.db) it opens one, so that the count and the insert are one unit.
 */
export async function createPort(deps: Deps, ex: Executor, p: NewPort): Promise<PortRow> {
  if (ex === deps.db) return deps.transact((tx) => createPortIn(deps, tx, p));
  return createPortIn(deps, ex, p);
}

async function createPortIn(deps: Deps, ex: Executor, p: NewPort): Promise<PortRow> {
  if (p.projectId) await checkNetworkQuota(deps, ex, p.projectId, 'port');
  const id = deps.ids.uuid();
  const now = iso(deps.clock.now());
  const row = {
    id,
    network_id: p.networkId,
    project_id: p.projectId,
    name: p.name ?? '',
    mac_address: macFor(id),
    fixed_ips: JSON.stringify(
      p.fixedIps !== undefined
        ? await allocateRequested(ex, p.networkId, id, p.fixedIps, p.deviceOwner ?? '')
        : p.fixedIp !== undefined
          ? await allocateNovaRequestedIp(ex, p.networkId, id, p.fixedIp)
          : await allocateAny(ex, p.networkId, id),
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
  const groups = p.securityGroupIds ?? [await ensureDefaultGroup(deps, ex, p.projectId)];
  if (groups.length) await setPortGroups(ex, id, groups);
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
  fixed_ips?: unknown;
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
  const fixedIps = body.fixed_ips === undefined ? undefined : fixedIpsAttr(body.fixed_ips);
  return createPort(deps, deps.db, {
    fixedIps,
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
  // Neutron's prevent_l3_port_deletion: a router's ports go through the router API, a floating
  // IP's port with the floating IP only.
  if (ROUTER_OWNED.includes(p.device_owner)) throw servicePortInUse(p.id, p.device_owner);
  if (p.device_owner === 'network:floatingip') throw l3PortInUse(p.id, p.device_owner);
  // Neutron's disassociate_floatingips: a deleted port's floating IPs stay, unassociated.
  await deps.transact(async (tx) => {
    await fips.disassociatePorts(tx, [p.id], iso(deps.clock.now()));
    await net.deletePort(tx, p.id);
  });
}
