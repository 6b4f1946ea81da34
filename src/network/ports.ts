import type { Deps } from '../compute/context.js';
import type { Executor } from '../db/executor.js';
import * as net from '../db/repositories/network.repository.js';
import { DomainError } from '../domain/errors.js';
import { iso, type Clock } from '../domain/clock.js';

export type PortRow = net.PortRow;

function ipToInt(ip: string): number { return ip.split('.').reduce((a, o) => a * 256 + Number(o), 0); }
function intToIp(n: number): string { return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.'); }

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
export async function allocateFixedIp(ex: Executor, networkId: string, portId: string): Promise<Array<{ subnet_id: string; ip_address: string }>> {
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
  throw new DomainError('conflict', 'IpAddressGenerationFailure', `No more IP addresses available on network ${networkId}.`);
}

export interface NewPort { networkId: string; projectId: string; name?: string; deviceId?: string; deviceOwner?: string; createdForServer: boolean; host?: string }

export async function createPort(deps: Deps, ex: Executor, p: NewPort): Promise<PortRow> {
  const id = deps.ids.uuid();
  const now = iso(deps.clock.now());
  const row = {
    id, network_id: p.networkId, project_id: p.projectId, name: p.name ?? '', mac_address: macFor(id),
    fixed_ips: JSON.stringify(await allocateFixedIp(ex, p.networkId, id)), device_id: p.deviceId ?? '', device_owner: p.deviceOwner ?? '',
    binding_host_id: p.host ?? '', status: p.deviceId ? 'ACTIVE' : 'DOWN', admin_state_up: 1, created_for_server: p.createdForServer ? 1 : 0,
    created_at: now, updated_at: now,
  };
  await net.insertPort(ex, row);
  return row;
}

/**
 * Nova's deallocate_for_instance: ports Stratus created for the server are deleted, ports the
 * user passed in are unbound (device_id, device_owner and binding cleared) and kept.
 */
export async function releaseServerPorts(deps: { clock: Clock }, ex: Executor, serverId: string): Promise<{ deleted: number; unbound: number }> {
  return net.releasePortsOfServer(ex, serverId, iso(deps.clock.now()));
}

/** Binds every port of a server to the host it runs on. */
export async function bindServerPorts(deps: { clock: Clock }, ex: Executor, serverId: string, host: string): Promise<void> {
  await net.setServerPortsHost(ex, serverId, host, iso(deps.clock.now()));
}
