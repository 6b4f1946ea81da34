// The 2.1 network proxies (Nova's tenant_networks.py, floating_ips.py, floating_ip_pools.py)
// and /servers/{id}/ips (ips.py); os-security-groups is server-security-groups.ts, os-floating-ips
// floating-ip-proxies.ts. Compute answers them by calling the network service's use cases, as
// Nova calls Neutron.
import type { Caller, Deps } from '../context.js';
import { authorize } from '../access.js';
import { findServer } from './access.js';
import { serverDetails } from './server-details.js';
import { listNetworks, showNetwork } from '../network/networks.js';
import { DomainError, notMemberOfNetwork, tenantNetworkNotFound } from '../../domain/errors.js';

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
    for (const ip of JSON.parse(p.fixed_ips) as Array<{ ip_address: string }>) {
      out[label].push({ version: ip.ip_address.includes(':') ? 6 : 4, addr: ip.ip_address });
      for (const f of details.floatingIpsOf(p.id, ip.ip_address)) out[label].push({ version: 4, addr: f });
    }
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
