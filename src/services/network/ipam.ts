// Neutron's IPAM for IPv4 (neutron/db/ipam_pluggable_backend.py, neutron/ipam/drivers/neutrondb_ipam):
// a port's address comes from the allocation pools of its network's subnets. The claim is a row
// in ip_allocations (primary key: network and address), so two concurrent creates never get the
// same address, whatever the isolation level.
import type { Executor } from '../../db/executor.js';
import * as net from '../../db/repositories/network.repository.js';
import { ipAddressesExhausted } from '../../domain/errors.js';
import { hostAddress, intToIp, ipToInt, parseCidr } from '../../domain/ipv4.js';
import { invalidIpForNetwork, invalidIpForSubnet, ipAddressAlreadyAllocated } from '../../domain/network-errors.js';
import { neutronInvalidAttr, neutronInvalidInput } from '../../domain/security-group-errors.js';
import { pyish } from './attributes.js';
import { poolRanges } from './subnets.js';

export type FixedIp = { subnet_id: string; ip_address: string };
/** What a port create asks for: `[{subnet_id}]`, `[{subnet_id, ip_address}]` or `[{ip_address}]`. */
export type FixedIpRequest = { subnet_id?: string; ip_address?: string };

/** Device owners that may hold a subnet's gateway address (Neutron's ROUTER_INTERFACE_OWNERS). */
const ROUTER_INTERFACE_OWNERS = ['network:router_interface', 'network:ha_router_replicated_interface'];

/** The network's IPv4 subnets, oldest first (Neutron tries them in that order). */
async function subnetsOf(ex: Executor, networkId: string) {
  const all = await net.listSubnets(ex, [networkId]);
  return all
    .filter((s) => s.ip_version === 4)
    .sort((a, b) => (a.created_at === b.created_at ? a.id.localeCompare(b.id) : a.created_at < b.created_at ? -1 : 1));
}

/** The next free address of a subnet's pools, claimed for the port; null when the pools are full. */
async function claimFromPools(
  ex: Executor,
  subnet: Awaited<ReturnType<typeof subnetsOf>>[number],
  portId: string,
  used: Set<string>,
): Promise<string | null> {
  for (const r of poolRanges(subnet))
    for (let n = r.first; n <= r.last; n++) {
      const ip = intToIp(n);
      if (used.has(ip) || ip === subnet.gateway_ip) continue;
      if (await net.claimAddress(ex, subnet.network_id, ip, portId)) return ip;
    }
  return null;
}

/** One address from the first IPv4 subnet with room; none when the network has no subnet. */
export async function allocateAny(ex: Executor, networkId: string, portId: string): Promise<FixedIp[]> {
  const subnets = await subnetsOf(ex, networkId);
  if (!subnets.length) return [];
  const used = new Set(await net.usedAddresses(ex, networkId));
  for (const s of subnets) {
    const ip = await claimFromPools(ex, s, portId, used);
    if (ip) return [{ subnet_id: s.id, ip_address: ip }];
  }
  throw ipAddressesExhausted(networkId);
}

/** neutron-lib validate_fixed_ips: a list of {subnet_id?, ip_address?}, no address twice. */
export function fixedIpsAttr(v: unknown): FixedIpRequest[] {
  const bad = (reason: string) => neutronInvalidAttr('fixed_ips', reason);
  if (!Array.isArray(v)) throw bad(`Invalid data format for fixed IP: '${pyish(v)}'`);
  const seen = new Set<string>();
  return v.map((f) => {
    if (
      !f ||
      typeof f !== 'object' ||
      Array.isArray(f) ||
      Object.keys(f).some((k) => k !== 'subnet_id' && k !== 'ip_address')
    )
      throw bad(`Invalid data format for fixed IP: '${pyish(f)}'`);
    const { subnet_id, ip_address } = f as Record<string, unknown>;
    if (ip_address !== undefined) {
      if (typeof ip_address !== 'string' || ipToInt(ip_address) === null)
        throw bad(`'${pyish(ip_address)}' is not a valid IP address`);
      if (seen.has(ip_address)) throw bad(`Duplicate IP address '${ip_address}'`);
      seen.add(ip_address);
    }
    if (subnet_id !== undefined && (typeof subnet_id !== 'string' || !/^[0-9a-f-]{32,36}$/i.test(subnet_id)))
      throw bad(`'${pyish(subnet_id)}' is not a valid UUID`);
    return { subnet_id: subnet_id as string | undefined, ip_address: ip_address as string | undefined };
  });
}

/**
 * The addresses a port create asked for (Neutron's _get_subnet_for_fixed_ip and allocate):
 * a subnet not on the network is InvalidInput, an address outside the subnet InvalidIpForSubnet,
 * an address on none of the network's subnets InvalidIpForNetwork, a taken one (or the gateway,
 * but for a router interface) IpAddressAlreadyAllocated, a full subnet IpAddressGenerationFailure.
 */
export async function allocateRequested(
  ex: Executor,
  networkId: string,
  portId: string,
  wanted: FixedIpRequest[],
  deviceOwner: string,
): Promise<FixedIp[]> {
  const subnets = await subnetsOf(ex, networkId);
  const used = new Set(await net.usedAddresses(ex, networkId));
  const out: FixedIp[] = [];
  for (const w of wanted) {
    let subnet = w.subnet_id ? subnets.find((s) => s.id === w.subnet_id) : undefined;
    if (w.subnet_id && !subnet)
      throw neutronInvalidInput(
        `Failed to create port on network ${networkId}, because fixed_ips included invalid subnet ${w.subnet_id}`,
      );
    if (w.ip_address === undefined) {
      if (!subnet) throw neutronInvalidInput('IP allocation requires subnet_id or ip_address');
      const ip = await claimFromPools(ex, subnet, portId, used);
      if (!ip) throw ipAddressesExhausted(networkId);
      used.add(ip);
      out.push({ subnet_id: subnet.id, ip_address: ip });
      continue;
    }
    const n = ipToInt(w.ip_address)!;
    if (subnet && !hostAddress(parseCidr(subnet.cidr)!, n)) throw invalidIpForSubnet(w.ip_address);
    subnet ??= subnets.find((s) => hostAddress(parseCidr(s.cidr)!, n));
    if (!subnet) throw invalidIpForNetwork(w.ip_address);
    const ip = intToIp(n);
    const gatewayTaken = ip === subnet.gateway_ip && !ROUTER_INTERFACE_OWNERS.includes(deviceOwner);
    if (gatewayTaken || !(await net.claimAddress(ex, networkId, ip, portId)))
      throw ipAddressAlreadyAllocated(ip, subnet.id);
    used.add(ip);
    out.push({ subnet_id: subnet.id, ip_address: ip });
  }
  return out;
}
