// The 2.1 network proxies (Nova's tenant_networks.py, floating_ips.py, floating_ip_pools.py)
// and /servers/{id}/ips (ips.py); os-security-groups is server-security-groups.ts. Compute answers
// them by calling the network service's use cases, as Nova calls Neutron. Stratus has no floating
// IPs yet: what is served is what is true of it (no floating IP).
import type { Caller, Deps } from '../context.js';
import { authorize, canonicalUuid } from '../access.js';
import { findServer } from './access.js';
import { serverDetails } from './server-details.js';
import { listNetworks, showNetwork } from '../network/networks.js';
import {
  DomainError,
  floatingIpNotFound,
  floatingIpPoolNotFound,
  noMoreFloatingIps,
  notMemberOfNetwork,
  tenantNetworkNotFound,
} from '../../domain/errors.js';

// --- /servers/{id}/ips --------------------------------------------------------------------

export interface Address {
  version: 4 | 6;
  addr: string;
}

/** The server's fixed addresses by network label, in port order (Nova's get_networks_for_instance). */
export async function serverAddresses(deps: Deps, caller: Caller, id: string, policy: 'index' | 'show') {
  const row = await findServer(deps.db, caller, id);
  authorize(deps, caller, `os_compute_api:ips:${policy}`, { project_id: row.project_id });
  const details = await serverDetails(deps, caller, [row], { ports: true, hostStatus: false });
  const out: Record<string, Address[]> = {};
  for (const p of details.portsOf(row)) {
    const label = details.networkNames.get(p.network_id) ?? p.network_id;
    out[label] ??= [];
    for (const ip of JSON.parse(p.fixed_ips) as Array<{ ip_address: string }>)
      out[label].push({ version: ip.ip_address.includes(':') ? 6 : 4, addr: ip.ip_address });
  }
  return out;
}

export async function serverAddressesOn(deps: Deps, caller: Caller, id: string, label: string) {
  const all = await serverAddresses(deps, caller, id, 'show');
  if (!Object.hasOwn(all, label)) throw notMemberOfNetwork(label);
  return { [label]: all[label] };
}

// --- os-tenant-networks -------------------------------------------------------------------

export interface TenantNetwork {
  id: string;
  label: string;
}

/** The networks Neutron lists for the caller (its project's, shared and external ones). */
export async function listTenantNetworks(deps: Deps, caller: Caller): Promise<TenantNetwork[]> {
  authorize(deps, caller, 'os_compute_api:os-tenant-networks:list', { project_id: caller.projectId });
  return (await listNetworks(deps, caller, {})).map(({ network: n }) => ({ id: n.id, label: n.name }));
}

export async function showTenantNetwork(deps: Deps, caller: Caller, id: string): Promise<TenantNetwork> {
  authorize(deps, caller, 'os_compute_api:os-tenant-networks:show', { project_id: caller.projectId });
  try {
    const { network: n } = await showNetwork(deps, caller, id);
    return { id: n.id, label: n.name };
  } catch (e) {
    if (e instanceof DomainError && e.kind === 'not-found') throw tenantNetworkNotFound(id);
    throw e;
  }
}

// --- os-networks (networks.py: index and show; the writes are gone, removed.routes.ts) -----

/** networks.py network_dict: the nova-network fields, of which Neutron fills only id and label. */
const NETWORK_FIELDS = [
  'cidr',
  'netmask',
  'gateway',
  'broadcast',
  'dns1',
  'dns2',
  'cidr_v6',
  'gateway_v6',
  'netmask_v6',
];
/** Shown to admins too (all null with Neutron). */
const NETWORK_ADMIN_FIELDS = [
  'created_at',
  'updated_at',
  'deleted_at',
  'deleted',
  'injected',
  'bridge',
  'vlan',
  'vpn_public_address',
  'vpn_public_port',
  'vpn_private_address',
  'dhcp_start',
  'project_id',
  'host',
  'bridge_interface',
  'multi_host',
  'priority',
  'rxtx_base',
  'mtu',
  'dhcp_server',
  'enable_dhcp',
  'share_address',
];

function novaNetwork(caller: Caller, n: TenantNetwork): Record<string, unknown> {
  const out: Record<string, unknown> = { id: n.id, label: n.label };
  for (const f of [...NETWORK_FIELDS, ...(caller.isAdmin ? NETWORK_ADMIN_FIELDS : [])]) out[f] = null;
  return out;
}

export async function listNovaNetworks(deps: Deps, caller: Caller): Promise<Record<string, unknown>[]> {
  authorize(deps, caller, 'os_compute_api:os-networks:list', { project_id: caller.projectId });
  return (await listNetworks(deps, caller, {})).map(({ network: n }) =>
    novaNetwork(caller, { id: n.id, label: n.name }),
  );
}

export async function showNovaNetwork(deps: Deps, caller: Caller, id: string): Promise<Record<string, unknown>> {
  authorize(deps, caller, 'os_compute_api:os-networks:view', { project_id: caller.projectId });
  try {
    const { network: n } = await showNetwork(deps, caller, id);
    return novaNetwork(caller, { id: n.id, label: n.name });
  } catch (e) {
    if (e instanceof DomainError && e.kind === 'not-found') throw tenantNetworkNotFound(id);
    throw e;
  }
}

// --- os-floating-ips, os-floating-ip-pools ------------------------------------------------

/** Nova's [neutron] default_floating_pool, used when a create names no pool. */
const DEFAULT_FLOATING_POOL = 'nova';

/** Floating IP pools are Neutron's external networks; a pool is named by its name (or id). */
export async function listFloatingIpPools(deps: Deps, caller: Caller): Promise<string[]> {
  authorize(deps, caller, 'os_compute_api:os-floating-ip-pools', { project_id: caller.projectId });
  return (await listNetworks(deps, caller, {}))
    .filter((n) => n.network.external)
    .map((n) => n.network.name || n.network.id);
}

/** Stratus allocates no floating IPs: the list is empty. */
export async function listFloatingIps(deps: Deps, caller: Caller): Promise<never[]> {
  authorize(deps, caller, 'os_compute_api:os-floating-ips:list', { project_id: caller.projectId });
  return [];
}

export async function showFloatingIp(deps: Deps, caller: Caller, id: string): Promise<never> {
  authorize(deps, caller, 'os_compute_api:os-floating-ips:show', { project_id: caller.projectId });
  throw floatingIpNotFound(id);
}

export async function deleteFloatingIp(deps: Deps, caller: Caller, id: string): Promise<never> {
  authorize(deps, caller, 'os_compute_api:os-floating-ips:delete', { project_id: caller.projectId });
  throw floatingIpNotFound(id);
}

/**
 * Nova's create: the pool (by id when uuid-like, else by name) must be exactly one external
 * network (FloatingIpPoolNotFound); Stratus' network service then has no address to give, which
 * Nova reports as NoMoreFloatingIps.
 */
export async function allocateFloatingIp(deps: Deps, caller: Caller, pool: string | undefined): Promise<never> {
  authorize(deps, caller, 'os_compute_api:os-floating-ips:create', { project_id: caller.projectId });
  const name = pool ?? DEFAULT_FLOATING_POOL;
  const uuid = canonicalUuid(name);
  const external = (await listNetworks(deps, caller, {})).filter((n) => n.network.external);
  const matches = external.filter((n) => (uuid ? n.network.id === uuid : n.network.name === name));
  if (matches.length !== 1) throw floatingIpPoolNotFound();
  // Nova words the message with the pool as the client gave it (none: "available").
  throw noMoreFloatingIps(pool ?? DEFAULT_FLOATING_POOL);
}
