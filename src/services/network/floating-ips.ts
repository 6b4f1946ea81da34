// Neutron's floating IPs (neutron/db/l3_db.py, the floating IP half; neutron-lib's l3 API
// definition): each is an address of an external network's subnet, held by a port of
// device_owner `network:floatingip` (device_id the floating IP's id, no project, no security
// group) made through the same IPAM as every port, and optionally associated with one fixed IP
// of an internal port. Nova reaches all of it through these use cases, as it calls Neutron.
import { isIPv4, isIPv6 } from 'node:net';
import type { Caller, Deps } from '../context.js';
import { allowed, canonicalUuid } from '../access.js';
import { visibleProject } from './networks.js';
import { projectOf } from './attributes.js';
import { createPort, type PortRow } from './ports.js';
import { checkNetworkQuota } from './quotas.js';
import { externalGatewayReachable } from './routers.js';
import type { Executor } from '../../db/executor.js';
import * as repo from '../../db/repositories/floating-ips.repository.js';
import * as net from '../../db/repositories/network.repository.js';
import { iso } from '../../domain/clock.js';
import { DomainError, neutronNotFound } from '../../domain/errors.js';
import {
  badFloatingIpRequest,
  externalGatewayForFloatingIpNotFound,
  floatingIpAssociationChanged,
  floatingIpNotFoundNeutron,
  floatingIpPortAlreadyAssociated,
  invalidIpForSubnet,
  ipAddressAlreadyAllocated,
} from '../../domain/floating-ip-errors.js';
import {
  neutronInvalidAttr,
  neutronInvalidInput,
  neutronPolicyRefused,
  sgInvalid,
} from '../../domain/security-group-errors.js';

export type FloatingIpRow = repo.FloatingIpRow;

/** The device_owner of the port that holds a floating IP's address (neutron-lib DEVICE_OWNER_FLOATINGIP). */
export const FLOATING_IP_PORT_OWNER = 'network:floatingip';

/** A floating IP with the internal port it is associated with (Neutron's port_details), if any. */
export interface FloatingIp {
  fip: FloatingIpRow;
  port: PortRow | undefined;
}

/** Neutron's policy (neutron/conf/policies/floatingip.py): rule names as Neutron's. */
function authorizeNeutron(deps: Deps, caller: Caller, rule: string, projectId: string): void {
  if (!allowed(deps, caller, rule, { project_id: projectId })) throw neutronPolicyRefused(rule);
}

/**
 * The router that joins `subnetId` to the external network, whose id the floating IP records
 * (Neutron's _get_router_for_floatingip): ExternalGatewayForFloatingIPNotFound (404) when none.
 */
export async function routerForFloatingIp(
  ex: Executor,
  externalNetworkId: string,
  subnetId: string,
  portId: string,
): Promise<string> {
  const router = await externalGatewayReachable(ex, externalNetworkId, subnetId);
  if (!router) throw externalGatewayForFloatingIpNotFound(externalNetworkId, subnetId, portId);
  return router;
}

/** Usage of the floatingip quota (wired by the integrator with Neutron's quotas). */
export async function floatingIpUsage(ex: Executor, projectId: string): Promise<number> {
  return repo.countFloatingIps(ex, projectId);
}

// --- attribute validation (neutron-lib validators) --------------------------------------------

const pyish = (v: unknown) =>
  v === null
    ? 'None'
    : v === true
      ? 'True'
      : v === false
        ? 'False'
        : typeof v === 'object'
          ? JSON.stringify(v)
          : String(v);

function uuidAttr(attr: string, v: unknown): string | null | undefined {
  if (v === undefined || v === null) return v as null | undefined;
  const id = typeof v === 'string' ? canonicalUuid(v) : null;
  if (!id) throw neutronInvalidAttr(attr, `'${pyish(v)}' is not a valid UUID`);
  return id;
}

function ipAttr(attr: string, v: unknown): string | null | undefined {
  if (v === undefined || v === null) return v as null | undefined;
  if (typeof v !== 'string' || !(isIPv4(v) || isIPv6(v)))
    throw neutronInvalidAttr(attr, `'${pyish(v)}' is not a valid IP address`);
  return v;
}

function stringAttr(attr: string, v: unknown, max = 255): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw neutronInvalidAttr(attr, `'${pyish(v)}' is not a valid string`);
  if (v.length > max) throw neutronInvalidAttr(attr, `'${v}' exceeds maximum length of ${max}`);
  return v;
}

const ipToInt = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);

function inSubnet(ip: string, cidr: string): boolean {
  if (!isIPv4(ip)) return false;
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  const offset = ipToInt(ip) - ipToInt(base);
  return offset > 0 && offset < size - 1;
}

// --- reads -----------------------------------------------------------------------------------

async function withPorts(ex: Executor, rows: FloatingIpRow[]): Promise<FloatingIp[]> {
  const ids = [...new Set(rows.map((r) => r.port_id).filter((p): p is string => p !== null))];
  const ports = ids.length ? await net.listPorts(ex, { id: ids }) : [];
  return rows.map((fip) => ({ fip, port: ports.find((p) => p.id === fip.port_id) }));
}

/** A floating IP the caller sees (its project's; any for an admin), else Neutron's 404. */
async function findFloatingIp(ex: Executor, caller: Caller, id: string): Promise<FloatingIpRow> {
  const uuid = canonicalUuid(id);
  const fip = uuid ? await repo.getFloatingIp(ex, uuid) : undefined;
  const scope = visibleProject(caller);
  if (!fip || (scope !== undefined && fip.project_id !== scope)) throw floatingIpNotFoundNeutron(id);
  return fip;
}

export type FloatingIpFilter = Omit<repo.FloatingIpFilter, 'projectId'>;

/** GET /floatingips: the caller's project's, every project's for an admin. */
export async function listFloatingIps(deps: Deps, caller: Caller, f: FloatingIpFilter = {}): Promise<FloatingIp[]> {
  authorizeNeutron(deps, caller, 'get_floatingip', caller.projectId);
  return withPorts(deps.db, await repo.listFloatingIps(deps.db, { ...f, projectId: visibleProject(caller) }));
}

export async function showFloatingIp(deps: Deps, caller: Caller, id: string): Promise<FloatingIp> {
  const fip = await findFloatingIp(deps.db, caller, id);
  authorizeNeutron(deps, caller, 'get_floatingip', fip.project_id);
  return (await withPorts(deps.db, [fip]))[0];
}

// --- association -----------------------------------------------------------------------------

/** neutron/common/utils.py is_fip_serviced: ports Neutron's own services own take no floating IP. */
const servicedOwner = (owner: string) => !owner.startsWith('network:') || owner === 'network:router_ha_interface';

/**
 * Neutron's _internal_fip_assoc_data and _check_and_get_fip_assoc: the port (as the caller sees
 * it: another project's is not found), which of its fixed IPv4 addresses, the router, and that
 * no other floating IP of the network maps to that address already.
 */
async function resolveAssociation(
  ex: Executor,
  caller: Caller,
  fip: Pick<FloatingIpRow, 'id' | 'floating_network_id' | 'floating_ip_address'>,
  portId: string,
  fixedIp: string | null | undefined,
): Promise<{ port: PortRow; fixedIp: string; routerId: string | null }> {
  const port = await net.getPort(ex, portId);
  if (!port || (!caller.isAdmin && port.project_id !== caller.projectId)) throw neutronNotFound('Port', portId);
  if (!servicedOwner(port.device_owner))
    throw badFloatingIpRequest(`Port ${port.id} is unable to be assigned a floating IP`);
  const ips = JSON.parse(port.fixed_ips) as Array<{ subnet_id: string; ip_address: string }>;
  let chosen: { subnet_id: string; ip_address: string } | undefined;
  if (fixedIp) {
    if (!isIPv4(fixedIp))
      throw badFloatingIpRequest(
        `Cannot process floating IP association with ${fixedIp}, since that is not an IPv4 address`,
      );
    chosen = ips.find((i) => i.ip_address === fixedIp);
    if (!chosen) throw badFloatingIpRequest(`Port ${port.id} does not have fixed ip ${fixedIp}`);
  } else {
    const v4 = ips.filter((i) => isIPv4(i.ip_address));
    if (v4.length === 0)
      throw badFloatingIpRequest(`Cannot add floating IP to port ${port.id} that has no fixed IPv4 addresses`);
    if (v4.length > 1)
      throw badFloatingIpRequest(
        `Port ${port.id} has multiple fixed IPv4 addresses.  Must provide a specific IPv4 address when assigning a floating IP`,
      );
    chosen = v4[0];
  }
  const routerId = await routerForFloatingIp(ex, fip.floating_network_id, chosen.subnet_id, port.id);
  const holder = (
    await repo.listFloatingIps(ex, {
      networkIds: [fip.floating_network_id],
      portIds: [port.id],
      fixedIps: [chosen.ip_address],
    })
  ).find((f) => f.id !== fip.id);
  if (holder) throw alreadyAssociated(fip, port.id, chosen.ip_address);
  return { port, fixedIp: chosen.ip_address, routerId };
}

const alreadyAssociated = (
  fip: Pick<FloatingIpRow, 'id' | 'floating_network_id' | 'floating_ip_address'>,
  portId: string,
  fixedIp: string,
) =>
  floatingIpPortAlreadyAssociated({
    floatingIpAddress: fip.floating_ip_address,
    fipId: fip.id,
    portId,
    fixedIp,
    networkId: fip.floating_network_id,
  });

/** Writes an association change, compare-and-set on the association read; Neutron's 409s for the losers. */
async function writeAssociation(
  deps: Deps,
  fip: FloatingIpRow,
  a: { portId: string; fixedIp: string; routerId: string | null } | null,
): Promise<void> {
  const res = await repo.setAssociation(deps.db, fip.id, fip.port_id, {
    port_id: a?.portId ?? null,
    fixed_ip_address: a?.fixedIp ?? null,
    router_id: a?.routerId ?? null,
    // Neutron with a router-backed L3 agent: ACTIVE once associated, DOWN when not.
    status: a ? 'ACTIVE' : 'DOWN',
    updated_at: iso(deps.clock.now()),
  });
  if (res === 'taken' && a) throw alreadyAssociated(fip, a.portId, a.fixedIp);
  if (res !== 'ok') throw floatingIpAssociationChanged(fip.id);
}

// --- writes ----------------------------------------------------------------------------------

export interface FloatingIpInput {
  floating_network_id?: unknown;
  floating_ip_address?: unknown;
  subnet_id?: unknown;
  port_id?: unknown;
  fixed_ip_address?: unknown;
  description?: unknown;
  project_id?: unknown;
  tenant_id?: unknown;
}

/**
 * POST /floatingips (Neutron's create_floatingip): an address of the external network (the one
 * asked for only by an admin: create_floatingip:floating_ip_address), held by a new
 * network:floatingip port; with port_id, associated at once.
 */
export async function createFloatingIp(deps: Deps, caller: Caller, body: FloatingIpInput): Promise<FloatingIp> {
  if (body.floating_network_id === undefined)
    throw sgInvalid(
      'HTTPBadRequest',
      "Failed to parse request. Required attribute 'floating_network_id' not specified",
    );
  const networkId = uuidAttr('floating_network_id', body.floating_network_id);
  if (!networkId) throw neutronInvalidAttr('floating_network_id', `'None' is not a valid UUID`);
  const address = ipAttr('floating_ip_address', body.floating_ip_address);
  const subnetId = uuidAttr('subnet_id', body.subnet_id);
  const portId = uuidAttr('port_id', body.port_id);
  const fixedIp = ipAttr('fixed_ip_address', body.fixed_ip_address);
  const description = stringAttr('description', body.description) ?? '';
  const projectId = projectOf(caller, { project_id: body.project_id, tenant_id: body.tenant_id });
  authorizeNeutron(deps, caller, 'create_floatingip', projectId);
  if (address) authorizeNeutron(deps, caller, 'create_floatingip:floating_ip_address', projectId);
  if (fixedIp && !portId) throw badFloatingIpRequest('fixed_ip_address cannot be specified without a port_id');

  const network = await net.getNetwork(deps.db, networkId);
  const scope = visibleProject(caller);
  if (!network || (scope !== undefined && network.project_id !== scope && !network.shared && !network.external))
    throw neutronNotFound('Network', networkId);
  if (!network.external) throw badFloatingIpRequest(`Network ${networkId} is not a valid external network`);
  const subnets = await net.listSubnets(deps.db, [network.id]);
  if (subnetId) {
    const s = await net.getSubnet(deps.db, subnetId);
    if (!s) throw neutronNotFound('Subnet', subnetId);
    // Stratus' IPAM takes a network's first subnet (the demo cloud's external networks have one).
    if (s.id !== subnets[0]?.id)
      throw neutronInvalidInput(
        `Failed to create port on network ${network.id}, because fixed_ips included invalid subnet ${s.id}`,
      );
  }
  if (address && !(subnets[0] && inSubnet(address, subnets[0].cidr))) throw invalidIpForSubnet(address);

  const id = deps.ids.uuid();
  const now = iso(deps.clock.now());
  const made = { id, floating_network_id: network.id, floating_ip_address: '' };
  await deps.transact(async (tx) => {
    await checkNetworkQuota(deps, tx, projectId, 'floatingip');
    let port: PortRow;
    try {
      port = await createPort(deps, tx, {
        networkId: network.id,
        // Neutron: "this external port is never exposed to the tenant" (no project, no groups).
        projectId: '',
        deviceId: id,
        deviceOwner: FLOATING_IP_PORT_OWNER,
        createdForServer: false,
        securityGroupIds: [],
        fixedIp: address ?? undefined,
      });
    } catch (e) {
      if (address && e instanceof DomainError && e.code === 'FixedIpAlreadyInUse')
        throw ipAddressAlreadyAllocated(address, subnets[0].id);
      if (address && e instanceof DomainError && e.kind === 'invalid') throw invalidIpForSubnet(address);
      throw e;
    }
    const ip = (JSON.parse(port.fixed_ips) as Array<{ subnet_id: string; ip_address: string }>)[0];
    made.floating_ip_address = ip.ip_address;
    await repo.insertFloatingIp(tx, {
      id,
      project_id: projectId,
      floating_network_id: network.id,
      floating_ip_address: ip.ip_address,
      floating_port_id: port.id,
      subnet_id: ip.subnet_id,
      port_id: null,
      fixed_ip_address: null,
      router_id: null,
      status: 'DOWN',
      description,
      revision_number: 0,
      created_at: now,
      updated_at: now,
    });
  });
  if (portId) {
    try {
      const a = await resolveAssociation(deps.db, caller, made, portId, fixedIp);
      await writeAssociation(deps, (await repo.getFloatingIp(deps.db, id))!, {
        portId: a.port.id,
        fixedIp: a.fixedIp,
        routerId: a.routerId,
      });
    } catch (e) {
      // Neutron creates and associates in one transaction: a refused association leaves nothing.
      await releaseFloatingIpRow(deps, (await repo.getFloatingIp(deps.db, id))!);
      throw e;
    }
  }
  return showFloatingIp(deps, caller, id);
}

/** PUT /floatingips/{id}: port_id associates (null disassociates), fixed_ip_address, description. */
export async function updateFloatingIp(
  deps: Deps,
  caller: Caller,
  id: string,
  body: FloatingIpInput,
): Promise<FloatingIp> {
  const fip = await findFloatingIp(deps.db, caller, id);
  const portId = uuidAttr('port_id', body.port_id);
  const fixedIp = ipAttr('fixed_ip_address', body.fixed_ip_address);
  const description = stringAttr('description', body.description);
  authorizeNeutron(deps, caller, 'update_floatingip', fip.project_id);
  if (fixedIp && !portId) throw badFloatingIpRequest('fixed_ip_address cannot be specified without a port_id');
  if (portId === null) {
    if (fip.port_id !== null) await writeAssociation(deps, fip, null);
  } else if (portId !== undefined) {
    const a = await resolveAssociation(deps.db, caller, fip, portId, fixedIp);
    // The same association again changes nothing (Neutron: "association is not changed").
    if (a.port.id !== fip.port_id || a.fixedIp !== fip.fixed_ip_address)
      await writeAssociation(deps, fip, { portId: a.port.id, fixedIp: a.fixedIp, routerId: a.routerId });
  }
  if (description !== undefined) await repo.setDescription(deps.db, fip.id, description, iso(deps.clock.now()));
  return showFloatingIp(deps, caller, fip.id);
}

async function releaseFloatingIpRow(deps: Deps, fip: FloatingIpRow): Promise<void> {
  await deps.transact(async (tx) => {
    await repo.deleteFloatingIp(tx, fip.id);
    await net.deletePort(tx, fip.floating_port_id);
  });
}

/** DELETE /floatingips/{id}: the floating IP and the port holding its address go (the address is free). */
export async function deleteFloatingIp(deps: Deps, caller: Caller, id: string): Promise<void> {
  const fip = await findFloatingIp(deps.db, caller, id);
  authorizeNeutron(deps, caller, 'delete_floatingip', fip.project_id);
  await releaseFloatingIpRow(deps, fip);
}

// --- what Nova asks of Neutron ----------------------------------------------------------------

/** The floating IPs associated with these ports, for the servers' `addresses` (Nova's network info cache). */
export async function floatingIpsOfPorts(deps: Deps, portIds: string[]): Promise<FloatingIpRow[]> {
  if (portIds.length === 0) return [];
  return repo.listFloatingIps(deps.db, { portIds: [...new Set(portIds)] });
}

/** The caller's floating IPs with this address (Nova's _get_floating_ip_by_address lists by address). */
export async function floatingIpsByAddress(deps: Deps, caller: Caller, address: string): Promise<FloatingIp[]> {
  return listFloatingIps(deps, caller, { addresses: [address] });
}

/** Sets or clears one floating IP's association for Nova (its update_floatingip call). */
export async function associateFloatingIp(
  deps: Deps,
  caller: Caller,
  id: string,
  assoc: { portId: string; fixedIp: string } | null,
): Promise<FloatingIp> {
  return updateFloatingIp(
    deps,
    caller,
    id,
    assoc ? { port_id: assoc.portId, fixed_ip_address: assoc.fixedIp } : { port_id: null },
  );
}
