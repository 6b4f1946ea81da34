// Nova's floating IP proxies (nova/api/openstack/compute/floating_ips.py, floating_ip_pools.py):
// os-floating-ips and the addFloatingIp/removeFloatingIp server actions, answered by calling the
// network service's floating IP use cases with the caller, as Nova calls Neutron with the user's
// token; Neutron's refusals become Nova's messages as floating_ips.py words them.
import type { Caller, Deps } from '../context.js';
import { authorize, canonicalUuid } from '../access.js';
import { findServer } from './access.js';
import { listNetworks } from '../network/networks.js';
import { portsOfServer } from '../network/interface-ports.js';
import {
  associateFloatingIp,
  createFloatingIp,
  deleteFloatingIp,
  floatingIpsByAddress,
  listFloatingIps,
  showFloatingIp,
  type FloatingIp,
} from '../network/floating-ips.js';
import {
  DomainError,
  floatingIpNotFound,
  floatingIpPoolNotFound,
  invalid,
  noMoreFloatingIps,
} from '../../domain/errors.js';

/** Nova's [neutron] default_floating_pool, used when a create names no pool. */
const DEFAULT_FLOATING_POOL = 'nova';

/** floating_ips.py _translate_floating_ip_view. */
export interface NovaFloatingIp {
  id: string;
  ip: string;
  pool: string;
  fixed_ip: string | null;
  instance_id: string | null;
}

const nf = (kind: DomainError['kind'], message: string) => new DomainError(kind, 'NovaFloatingIp', message);

async function poolNames(deps: Deps, caller: Caller): Promise<Map<string, string>> {
  return new Map((await listNetworks(deps, caller, {})).map(({ network: n }) => [n.id, n.name || n.id]));
}

function novaView(f: FloatingIp, pools: Map<string, string>): NovaFloatingIp {
  return {
    id: f.fip.id,
    ip: f.fip.floating_ip_address,
    pool: pools.get(f.fip.floating_network_id) ?? f.fip.floating_network_id,
    fixed_ip: f.fip.fixed_ip_address,
    instance_id: f.port ? f.port.device_id || null : null,
  };
}

/** Floating IP pools are Neutron's external networks; a pool is named by its name (or id). */
export async function listFloatingIpPools(deps: Deps, caller: Caller): Promise<string[]> {
  authorize(deps, caller, 'os_compute_api:os-floating-ip-pools', { project_id: caller.projectId });
  return (await listNetworks(deps, caller, {}))
    .filter((n) => n.network.external)
    .map((n) => n.network.name || n.network.id);
}

/** Nova's get_floating_ips_by_project: the caller's project's (an admin's too: Nova filters by project). */
export async function listNovaFloatingIps(deps: Deps, caller: Caller): Promise<NovaFloatingIp[]> {
  authorize(deps, caller, 'os_compute_api:os-floating-ips:list', { project_id: caller.projectId });
  const fips = await listFloatingIps(deps, caller, { projectIds: [caller.projectId] });
  const pools = await poolNames(deps, caller);
  return fips.map((f) => novaView(f, pools));
}

async function getFloatingIp(deps: Deps, caller: Caller, id: string): Promise<FloatingIp> {
  try {
    return await showFloatingIp(deps, caller, id);
  } catch (e) {
    if (e instanceof DomainError && e.kind === 'not-found') throw floatingIpNotFound(id);
    throw e;
  }
}

export async function showNovaFloatingIp(deps: Deps, caller: Caller, id: string): Promise<NovaFloatingIp> {
  authorize(deps, caller, 'os_compute_api:os-floating-ips:show', { project_id: caller.projectId });
  return novaView(await getFloatingIp(deps, caller, id), await poolNames(deps, caller));
}

/**
 * Nova's create: the pool (by id when uuid-like, else by name) must be exactly one external
 * network (FloatingIpPoolNotFound, 404); no address left is NoMoreFloatingIps (404), over quota
 * FloatingIpLimitExceeded (403), another Neutron 400 FloatingIpBadRequest.
 */
export async function allocateNovaFloatingIp(
  deps: Deps,
  caller: Caller,
  pool: string | undefined,
): Promise<NovaFloatingIp> {
  authorize(deps, caller, 'os_compute_api:os-floating-ips:create', { project_id: caller.projectId });
  const name = pool ?? DEFAULT_FLOATING_POOL;
  const uuid = canonicalUuid(name);
  const external = (await listNetworks(deps, caller, {})).filter((n) => n.network.external);
  const matches = external.filter((n) => (uuid ? n.network.id === uuid : n.network.name === name));
  if (matches.length !== 1) throw floatingIpPoolNotFound();
  let fip: FloatingIp;
  try {
    fip = await createFloatingIp(deps, caller, { floating_network_id: matches[0].network.id });
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    if (e.code === 'IpAddressGenerationFailure')
      throw pool ? noMoreFloatingIps(pool) : nf('not-found', 'No more floating IPs available.');
    if (e.code === 'OverQuota')
      throw nf('forbidden', pool ? `IP allocation over quota in pool ${pool}.` : 'IP allocation over quota.');
    if (e.kind === 'invalid') throw invalid(e.message);
    throw e;
  }
  return novaView(fip, await poolNames(deps, caller));
}

/** Nova's delete: disassociate_and_release_floating_ip, which is Neutron's delete. */
export async function releaseNovaFloatingIp(deps: Deps, caller: Caller, id: string): Promise<void> {
  authorize(deps, caller, 'os_compute_api:os-floating-ips:delete', { project_id: caller.projectId });
  const f = await getFloatingIp(deps, caller, id);
  await deleteFloatingIp(deps, caller, f.fip.id);
}

/** Nova's _get_floating_ip_by_address: exactly one of the caller's floating IPs has it. */
async function byAddress(deps: Deps, caller: Caller, address: string): Promise<FloatingIp | undefined> {
  const found = await floatingIpsByAddress(deps, caller, address);
  if (found.length > 1) throw nf('conflict', `Multiple floating IPs are found for address ${address}.`);
  return found[0];
}

/**
 * addFloatingIp (floating_ips.py _add_floating_ip): the server's fixed address (the one named,
 * else its first IPv4 one) gets the floating IP; Nova checks neither the server's state nor its
 * lock. A Neutron conflict is FloatingIpAssociateFailed (400, Neutron's message).
 */
export async function addFloatingIp(
  deps: Deps,
  caller: Caller,
  id: string,
  address: string,
  fixedAddress: string | undefined,
): Promise<void> {
  const row = await findServer(deps.db, caller, id);
  authorize(deps, caller, 'os_compute_api:os-floating-ips:add', { project_id: row.project_id });
  const ports = (await portsOfServer(deps.db, row.id))
    .map((p) => p.port)
    .filter((p) => p.project_id === row.project_id);
  if (ports.length === 0) throw invalid('Instance network is not ready yet');
  const fixed = ports.flatMap((p) =>
    (JSON.parse(p.fixed_ips) as Array<{ ip_address: string }>).map((ip) => ({ port: p, address: ip.ip_address })),
  );
  if (fixed.length === 0) throw invalid('No fixed IPs associated to instance');
  let target = fixed.find((f) => f.address === fixedAddress);
  if (fixedAddress !== undefined && !target) throw invalid('Specified fixed address not assigned to instance');
  if (!target) {
    target = fixed.find((f) => !f.address.includes(':'));
    if (!target)
      throw invalid(
        `Unable to associate floating IP ${address} to any fixed IPs for instance ${id}. Instance has no fixed IPv4 addresses to associate.`,
      );
  }
  const fip = await byAddress(deps, caller, address);
  if (!fip) throw nf('not-found', 'floating IP not found');
  try {
    await associateFloatingIp(deps, caller, fip.fip.id, { portId: target.port.id, fixedIp: target.address });
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    if (e.kind === 'conflict') throw invalid(e.message);
    if (e.kind === 'forbidden') throw nf('forbidden', e.message);
    throw invalid(
      `Unable to associate floating IP ${address} to fixed IP ${target.address} for instance ${id}. Error: ${e.message}`,
    );
  }
}

/**
 * removeFloatingIp (floating_ips.py _remove_floating_ip): the server is found through the
 * floating IP, not the path; one not associated with the server named is 409.
 */
export async function removeFloatingIp(deps: Deps, caller: Caller, id: string, address: string): Promise<void> {
  const fip = await byAddress(deps, caller, address);
  if (!fip) throw nf('not-found', `Floating IP not found for address ${address}.`);
  const serverId = fip.port?.device_id || null;
  const server = serverId ? await findServer(deps.db, caller, serverId) : undefined;
  authorize(deps, caller, 'os_compute_api:os-floating-ips:remove', {
    project_id: server?.project_id ?? caller.projectId,
  });
  if (!server || !fip.fip.port_id || server.id !== canonicalUuid(id))
    throw nf('conflict', `Floating IP ${address} is not associated with instance ${id}.`);
  await associateFloatingIp(deps, caller, fip.fip.id, null);
}
