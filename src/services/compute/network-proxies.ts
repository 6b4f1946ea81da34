// The 2.1 network proxies (Nova's tenant_networks.py, floating_ips.py, floating_ip_pools.py,
// security_groups.py) and /servers/{id}/ips (ips.py). Compute answers them by calling the network
// service's use cases, as Nova calls Neutron. Stratus has neither floating IPs nor security
// groups yet: what is served is what is true of it (no floating IP, every project's one
// `default` group without rules).
import { createHash } from 'node:crypto';
import type { Caller, Deps } from '../context.js';
import { authorize, canonicalUuid } from '../access.js';
import { findServer } from './access.js';
import { serverDetails } from './server-details.js';
import { listNetworks, showNetwork } from '../network/networks.js';
import {
  DomainError,
  defaultSecurityGroupUndeletable,
  floatingIpNotFound,
  floatingIpPoolNotFound,
  noMoreFloatingIps,
  notMemberOfNetwork,
  securityGroupIdNotUuid,
  securityGroupNotFound,
  securityGroupRuleNotFound,
  securityGroupRulesUnsupported,
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

// --- os-security-groups -------------------------------------------------------------------

export interface SecurityGroup {
  id: string;
  name: string;
  description: string;
  tenant_id: string;
  rules: never[];
}

/**
 * Each project's `default` group. Stratus stores no security groups yet, so its id is derived
 * from the project id (a name-based UUID: SHA-1 of a fixed prefix and the project id, version 5
 * bits set), the same on every call and every node.
 */
export function defaultGroupOf(projectId: string): SecurityGroup {
  const h = createHash('sha1').update(`stratus-default-security-group:${projectId}`).digest('hex');
  const variant = ((Number.parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  const id = `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  return { id, name: 'default', description: 'Default security group', tenant_id: projectId, rules: [] };
}

export async function listSecurityGroups(deps: Deps, caller: Caller): Promise<SecurityGroup[]> {
  authorize(deps, caller, 'os_compute_api:os-security-groups:get', { project_id: caller.projectId });
  return [defaultGroupOf(caller.projectId)];
}

/** security_group_api.validate_id, then Neutron's lookup: only the caller's default group exists. */
function findGroup(caller: Caller, id: string): SecurityGroup {
  const uuid = canonicalUuid(id);
  if (!uuid) throw securityGroupIdNotUuid();
  const group = defaultGroupOf(caller.projectId);
  if (group.id !== uuid) throw securityGroupNotFound(id);
  return group;
}

export async function showSecurityGroup(deps: Deps, caller: Caller, id: string): Promise<SecurityGroup> {
  authorize(deps, caller, 'os_compute_api:os-security-groups:show', { project_id: caller.projectId });
  return findGroup(caller, id);
}

export async function deleteSecurityGroup(deps: Deps, caller: Caller, id: string): Promise<never> {
  authorize(deps, caller, 'os_compute_api:os-security-groups:delete', { project_id: caller.projectId });
  findGroup(caller, id);
  throw defaultSecurityGroupUndeletable();
}

/** A rule needs an existing parent group; the default group takes none (Stratus stores no rules). */
export async function createSecurityGroupRule(deps: Deps, caller: Caller, parentGroupId: string): Promise<never> {
  authorize(deps, caller, 'os_compute_api:os-security-groups:rule:create', { project_id: caller.projectId });
  findGroup(caller, parentGroupId);
  throw securityGroupRulesUnsupported();
}

export async function deleteSecurityGroupRule(deps: Deps, caller: Caller, id: string): Promise<never> {
  authorize(deps, caller, 'os_compute_api:os-security-groups:rule:delete', { project_id: caller.projectId });
  if (!canonicalUuid(id)) throw securityGroupIdNotUuid();
  throw securityGroupRuleNotFound(id);
}

/** Every Stratus server is in its project's default group. */
export async function serverSecurityGroups(deps: Deps, caller: Caller, id: string): Promise<SecurityGroup[]> {
  const row = await findServer(deps.db, caller, id);
  authorize(deps, caller, 'os_compute_api:os-security-groups:list', { project_id: row.project_id });
  return [defaultGroupOf(row.project_id)];
}
