// Neutron's subnets (neutron/db/db_base_plugin_v2.py create/update/delete_subnet,
// neutron/db/ipam_backend_mixin.py validate_allocation_pools, neutron/ipam/utils.py and the
// subnet API definition's validators), IPv4 only: an IPv6 subnet is a clear 400.
import { isIPv6 } from 'node:net';
import type { Caller, Deps } from '../context.js';
import type { Executor } from '../../db/executor.js';
import * as net from '../../db/repositories/network.repository.js';
import { iso } from '../../domain/clock.js';
import { DomainError, neutronNotFound } from '../../domain/errors.js';
import {
  checkPools,
  defaultPools,
  hostAddress,
  intToIp,
  ipToInt,
  overlaps,
  parseCidr,
  poolHolding,
  rangeText,
  toPools,
  type Cidr,
  type Pool,
  type Range,
} from '../../domain/ipv4.js';
import {
  gatewayConflictWithAllocationPools,
  invalidAllocationPool,
  ipAddressAlreadyAllocated,
  neutronBadRequest,
  outOfBoundsAllocationPool,
  overlappingAllocationPools,
  subnetInUse,
} from '../../domain/network-errors.js';
import { neutronInvalidAttr, neutronInvalidInput, sgInvalid } from '../../domain/security-group-errors.js';
import {
  booleanAttr,
  enforce,
  intAttr,
  type Item,
  projectOf,
  pyish,
  required,
  stringAttr,
  uuidAttr,
} from './attributes.js';
import { usableNetwork } from './networks-admin.js';
import { showSubnet, type SubnetRow } from './networks.js';
import { checkNetworkQuota } from './quotas.js';

export const SUBNET_CREATE = [
  'name',
  'network_id',
  'cidr',
  'ip_version',
  'gateway_ip',
  'allocation_pools',
  'enable_dhcp',
  'dns_nameservers',
  'host_routes',
  'description',
  'project_id',
  'tenant_id',
  'subnetpool_id',
  'ipv6_ra_mode',
  'ipv6_address_mode',
  'service_types',
  'segment_id',
  'use_default_subnetpool',
];
const SUBNET_UPDATE = [
  'name',
  'gateway_ip',
  'allocation_pools',
  'enable_dhcp',
  'dns_nameservers',
  'host_routes',
  'description',
  'service_types',
];
/** Attributes a PUT may not change (Neutron's allow_put False): `Cannot update read-only attribute`. */
export const SUBNET_READ_ONLY = SUBNET_CREATE.filter((a) => !SUBNET_UPDATE.includes(a));
export const SUBNET_UPDATE_BODY = [...SUBNET_UPDATE, ...SUBNET_READ_ONLY];

/** neutron/conf/common.py max_dns_nameservers and max_subnet_host_routes. */
const MAX_DNS_NAMESERVERS = 5;
const MAX_HOST_ROUTES = 20;
/** Ports Neutron deletes with the subnet's addresses (AUTO_DELETE_PORT_OWNERS). */
const AUTO_DELETE_PORT_OWNERS = ['network:dhcp'];

const isIp = (s: unknown): s is string => typeof s === 'string' && (ipToInt(s) !== null || isIPv6(s));

/** The subnet's pools as ranges. */
export const poolRanges = (s: Pick<SubnetRow, 'allocation_pools'>): Range[] =>
  (JSON.parse(s.allocation_pools ?? '[]') as Pool[]).map((p) => ({ first: ipToInt(p.start)!, last: ipToInt(p.end)! }));

/** neutron-lib validate_subnet, then the version check (`cidr '…' does not match the ip_version '6'`). */
function cidrAttr(v: unknown, ipVersion: number): Cidr {
  if (typeof v !== 'string' || /\s/.test(v)) throw neutronInvalidAttr('cidr', `'${pyish(v)}' is not a valid IP subnet`);
  const [addr, bits] = v.split('/');
  const c = parseCidr(v);
  const v6 = isIPv6(addr) && bits !== undefined && /^\d{1,3}$/.test(bits) && Number(bits) <= 128;
  if (!c && !v6) {
    if (bits === undefined && isIp(addr))
      throw neutronInvalidAttr(
        'cidr',
        `'${v}' isn't a recommended IP address or subnet, '${addr}/${isIPv6(addr) ? 128 : 32}' is recommended`,
      );
    throw neutronInvalidAttr('cidr', `'${v}' is not a valid IP subnet`);
  }
  if ((c ? 4 : 6) !== ipVersion) throw neutronInvalidInput(`cidr '${v}' does not match the ip_version '${ipVersion}'`);
  if (!c) throw neutronInvalidInput('IPv6 subnets are not supported by Stratus');
  return c;
}

function ipVersionAttr(v: unknown): number {
  const n = intAttr('ip_version', v)!;
  if (n !== 4 && n !== 6) throw neutronInvalidAttr('ip_version', `'${pyish(v)}' is not in [4, 6]`);
  return n;
}

/** gateway_ip: an address of the subnet's version, not its network or broadcast address (null: none). */
function gatewayAttr(v: unknown, c: Cidr): string | null {
  if (v === null) return null;
  if (!isIp(v)) throw neutronInvalidAttr('gateway_ip', `'${pyish(v)}' is not a valid IP address`);
  const ip = ipToInt(v);
  if (ip === null) throw neutronInvalidInput(`gateway_ip '${v}' does not match the ip_version '4'`);
  // ipam utils check_gateway_invalid_in_subnet: a gateway outside the cidr is on-link, and allowed.
  if (c.prefixlen < 31 && (ip === c.first || ip === c.last))
    throw neutronInvalidInput('Gateway is not valid on subnet');
  return intToIp(ip);
}

/** neutron-lib validate_ip_pools, then validate_allocation_pools and validate_gw_out_of_pools. */
function poolsAttr(v: unknown, c: Cidr, gateway: string | null): Range[] {
  if (!Array.isArray(v)) throw neutronInvalidAttr('allocation_pools', `Invalid data format for IP pool: '${pyish(v)}'`);
  const pools: Pool[] = [];
  for (const p of v) {
    if (!p || typeof p !== 'object' || Array.isArray(p))
      throw neutronInvalidAttr(
        'allocation_pools',
        `Invalid input. '${pyish(p)}' must be a dictionary with keys: ['end', 'start']`,
      );
    const keys = Object.keys(p).sort();
    if (keys.join() !== 'end,start')
      throw neutronInvalidAttr(
        'allocation_pools',
        `Validation of dictionary's keys failed. Expected keys: {'end', 'start'} Provided keys: {${keys.map((k) => `'${k}'`).join(', ')}}`,
      );
    for (const k of ['start', 'end'] as const)
      if (!isIp((p as Item)[k]))
        throw neutronInvalidAttr('allocation_pools', `'${pyish((p as Item)[k])}' is not a valid IP address`);
    pools.push(p as Pool);
  }
  const r = checkPools(c, pools);
  if ('problem' in r) {
    const x = r.problem;
    if (x.kind === 'invalid') throw invalidAllocationPool(pyish(x.pool));
    if (x.kind === 'out-of-bounds') throw outOfBoundsAllocationPool(rangeText(x.range), c.text);
    throw overlappingAllocationPools(rangeText(x.a), rangeText(x.b), c.text);
  }
  const gw = gateway === null ? null : ipToInt(gateway);
  const holding = gw === null ? undefined : poolHolding(r.ranges, gw);
  if (holding) throw gatewayConflictWithAllocationPools(gateway!, rangeText(holding));
  return r.ranges;
}

/** neutron-lib validate_nameservers; at most max_dns_nameservers (DNSNameServersExhausted). */
function nameserversAttr(v: unknown, subnetId: string): string[] {
  if (!Array.isArray(v))
    throw neutronInvalidAttr('dns_nameservers', `Invalid data format for nameserver: '${pyish(v)}'`);
  const seen = new Set<string>();
  for (const ns of v) {
    if (!isIp(ns)) throw neutronInvalidAttr('dns_nameservers', `'${pyish(ns)}' is not a valid nameserver`);
    if (seen.has(ns)) throw neutronInvalidAttr('dns_nameservers', `Duplicate nameserver '${ns}'`);
    seen.add(ns);
  }
  if (v.length > MAX_DNS_NAMESERVERS)
    throw new DomainError(
      'invalid',
      'DNSNameServersExhausted',
      `Unable to complete operation for ${subnetId}. The number of DNS nameservers exceeds the limit ${MAX_DNS_NAMESERVERS}.`,
    );
  return v as string[];
}

/** neutron-lib validate_hostroutes; at most max_subnet_host_routes (HostRoutesExhausted). */
function hostRoutesAttr(v: unknown, subnetId: string): Array<{ destination: string; nexthop: string }> {
  if (!Array.isArray(v)) throw neutronInvalidAttr('host_routes', `Invalid data format for hostroute: '${pyish(v)}'`);
  const seen = new Set<string>();
  const out: Array<{ destination: string; nexthop: string }> = [];
  for (const r of v) {
    const keys = r && typeof r === 'object' && !Array.isArray(r) ? Object.keys(r).sort().join() : '';
    if (keys !== 'destination,nexthop')
      throw neutronInvalidAttr('host_routes', `Invalid data format for hostroute: '${pyish(r)}'`);
    const dest = parseCidr(String((r as Item).destination));
    if (!dest) throw neutronInvalidAttr('host_routes', `'${pyish((r as Item).destination)}' is not a valid IP subnet`);
    if (!isIp((r as Item).nexthop))
      throw neutronInvalidAttr('host_routes', `'${pyish((r as Item).nexthop)}' is not a valid IP address`);
    const route = { destination: dest.text, nexthop: (r as Item).nexthop as string };
    const key = JSON.stringify(route);
    if (seen.has(key)) throw neutronInvalidAttr('host_routes', `Duplicate hostroute '${pyish(r)}'`);
    seen.add(key);
    out.push(route);
  }
  if (out.length > MAX_HOST_ROUTES)
    throw new DomainError(
      'invalid',
      'HostRoutesExhausted',
      `Unable to complete operation for ${subnetId}. The number of host routes exceeds the limit ${MAX_HOST_ROUTES}.`,
    );
  return out;
}

/** Attributes Stratus has no use for, accepted only with their "none" value. */
function unsupported(body: Item): void {
  for (const a of ['subnetpool_id', 'ipv6_ra_mode', 'ipv6_address_mode', 'segment_id'])
    if (body[a] !== undefined && body[a] !== null)
      throw neutronBadRequest('subnet', `${a} is not supported by Stratus`);
  if (body.use_default_subnetpool !== undefined && booleanAttr('use_default_subnetpool', body.use_default_subnetpool))
    throw neutronBadRequest('subnet', 'use_default_subnetpool is not supported by Stratus');
  if (body.service_types !== undefined && (!Array.isArray(body.service_types) || body.service_types.length))
    throw neutronBadRequest('subnet', 'service_types is not supported by Stratus');
}

export async function createSubnet(deps: Deps, caller: Caller, body: Item): Promise<SubnetRow> {
  required(body, 'network_id', 'ip_version');
  const networkId = uuidAttr('network_id', body.network_id)!;
  const ipVersion = ipVersionAttr(body.ip_version);
  if (body.cidr === undefined)
    throw neutronBadRequest('subnet', 'a cidr must be specified in the absence of a subnet pool');
  const projectId = projectOf(caller, body);
  const network = await usableNetwork(deps, caller, networkId);
  // Neutron's ADMIN_OR_NET_OWNER_MEMBER: a member of the network's project (or an admin).
  enforce(deps, caller, 'create_subnet', network.project_id);
  unsupported(body);
  const c = cidrAttr(body.cidr, ipVersion);
  const id = deps.ids.uuid();
  const name = stringAttr('name', body.name) ?? '';
  const description = stringAttr('description', body.description) ?? '';
  const gateway =
    body.gateway_ip === undefined ? intToIp(defaultPools(c, null)[0].first) : gatewayAttr(body.gateway_ip, c);
  const pools =
    body.allocation_pools === undefined ? defaultPools(c, gateway) : poolsAttr(body.allocation_pools, c, gateway);
  const enableDhcp = booleanAttr('enable_dhcp', body.enable_dhcp) ?? true;
  const dns =
    body.dns_nameservers === undefined || body.dns_nameservers === null
      ? []
      : nameserversAttr(body.dns_nameservers, id);
  const routes =
    body.host_routes === undefined || body.host_routes === null ? [] : hostRoutesAttr(body.host_routes, id);
  const now = iso(deps.clock.now());
  await deps.transact(async (tx) => {
    // Neutron's _validate_subnet_cidr: no two subnets of a network overlap. The network's row lock
    // makes concurrent creates check one after the other (else both see no overlap and commit).
    if (!(await net.lockNetwork(tx, network.id))) throw neutronNotFound('Network', network.id);
    for (const other of await net.listSubnets(tx, [network.id])) {
      const o = parseCidr(other.cidr);
      if (o && overlaps(o, c))
        throw neutronInvalidInput(
          `Requested subnet with cidr: ${c.text} for network: ${network.id} overlaps with another subnet`,
        );
    }
    await checkNetworkQuota(deps, tx, projectId, 'subnet');
    await net.insertSubnet(tx, {
      id,
      network_id: network.id,
      project_id: projectId,
      name,
      cidr: c.text,
      gateway_ip: gateway,
      ip_version: 4,
      allocation_pools: JSON.stringify(toPools(pools)),
      enable_dhcp: enableDhcp ? 1 : 0,
      dns_nameservers: JSON.stringify(dns),
      host_routes: JSON.stringify(routes),
      description,
      revision_number: 0,
      created_at: now,
      updated_at: now,
    });
  });
  return (await net.getSubnet(deps.db, id))!;
}

/** A subnet the caller may write: visible (else 404) and its network's project's member (else 403). */
async function writable(deps: Deps, caller: Caller, id: string, rule: string) {
  const s = await showSubnet(deps, caller, id);
  const n = (await net.getNetwork(deps.db, s.network_id))!;
  enforce(deps, caller, rule, n.project_id);
  return s;
}

/** The addresses ports hold in a subnet, by port. */
async function addressesIn(ex: Executor, s: SubnetRow) {
  const ports = await net.portsOnNetwork(ex, s.network_id);
  return ports.flatMap((p) =>
    (JSON.parse(p.fixed_ips) as Array<{ subnet_id: string; ip_address: string }>)
      .filter((f) => f.subnet_id === s.id)
      .map((f) => ({ port: p, ip: f.ip_address })),
  );
}

export async function updateSubnet(deps: Deps, caller: Caller, id: string, body: Item): Promise<SubnetRow> {
  for (const a of SUBNET_READ_ONLY)
    if (body[a] !== undefined) throw sgInvalid('HTTPBadRequest', `Cannot update read-only attribute ${a}`);
  const s = await writable(deps, caller, id, 'update_subnet');
  const c = parseCidr(s.cidr)!;
  const set: Record<string, unknown> = {
    updated_at: iso(deps.clock.now()),
    revision_number: (s.revision_number ?? 0) + 1,
  };
  const name = stringAttr('name', body.name);
  if (name !== undefined) set.name = name;
  const description = stringAttr('description', body.description);
  if (description !== undefined) set.description = description;
  const enableDhcp = booleanAttr('enable_dhcp', body.enable_dhcp);
  if (enableDhcp !== undefined) set.enable_dhcp = enableDhcp ? 1 : 0;
  const gateway = body.gateway_ip === undefined ? s.gateway_ip : gatewayAttr(body.gateway_ip, c);
  const pools = body.allocation_pools === undefined ? poolRanges(s) : poolsAttr(body.allocation_pools, c, gateway);
  if (body.gateway_ip !== undefined) {
    const gw = gateway === null ? null : ipToInt(gateway);
    const holding = gw === null ? undefined : poolHolding(pools, gw);
    if (holding) throw gatewayConflictWithAllocationPools(gateway!, rangeText(holding));
    // Another port holding the new gateway address: Neutron refuses it as allocated.
    if (gateway !== null && gateway !== s.gateway_ip && (await addressesIn(deps.db, s)).some((a) => a.ip === gateway))
      throw ipAddressAlreadyAllocated(gateway, s.id);
    set.gateway_ip = gateway;
  }
  if (body.allocation_pools !== undefined) set.allocation_pools = JSON.stringify(toPools(pools));
  if (body.dns_nameservers !== undefined)
    set.dns_nameservers = JSON.stringify(
      body.dns_nameservers === null ? [] : nameserversAttr(body.dns_nameservers, s.id),
    );
  if (body.host_routes !== undefined)
    set.host_routes = JSON.stringify(body.host_routes === null ? [] : hostRoutesAttr(body.host_routes, s.id));
  if (body.service_types !== undefined) unsupported({ service_types: body.service_types });
  await net.updateSubnet(deps.db, s.id, set);
  return (await net.getSubnet(deps.db, s.id))!;
}

/** Neutron's delete_subnet: refused while a port (other than a DHCP one) holds an address in it. */
export async function deleteSubnet(deps: Deps, caller: Caller, id: string): Promise<void> {
  const s = await writable(deps, caller, id, 'delete_subnet');
  await deps.transact(async (tx) => {
    const held = await addressesIn(tx, s);
    if (held.some((a) => !AUTO_DELETE_PORT_OWNERS.includes(a.port.device_owner))) throw subnetInUse(s.id);
    await net.deleteSubnet(tx, s.id);
  });
}

/** A subnet by id for the router and port code (any project), or Neutron's 404. */
export async function subnetById(deps: Deps, id: string): Promise<SubnetRow> {
  const s = await net.getSubnet(deps.db, id);
  if (!s) throw neutronNotFound('Subnet', id);
  return s;
}
