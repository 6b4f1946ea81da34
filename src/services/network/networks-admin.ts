// Neutron's network writes (neutron/db/db_base_plugin_v2.py create/update/delete_network, the
// network API definition's attributes and neutron/conf/policies/network.py).
import type { Caller, Deps } from '../context.js';
import * as net from '../../db/repositories/network.repository.js';
import { iso } from '../../domain/clock.js';
import { neutronNotFound } from '../../domain/errors.js';
import { networkInUse } from '../../domain/network-errors.js';
import { neutronInvalidAttr, neutronInvalidInput } from '../../domain/security-group-errors.js';
import {
  booleanAttr,
  enforce,
  enforceAttribute,
  intAttr,
  type Item,
  projectOf,
  pyish,
  stringAttr,
} from './attributes.js';
import { showNetwork } from './networks.js';
import { checkNetworkQuota } from './quotas.js';

export const NETWORK_CREATE = [
  'name',
  'admin_state_up',
  'shared',
  'router:external',
  'description',
  'mtu',
  'port_security_enabled',
  'project_id',
  'tenant_id',
  'availability_zone_hints',
];
export const NETWORK_UPDATE = [
  'name',
  'admin_state_up',
  'shared',
  'router:external',
  'description',
  'mtu',
  'port_security_enabled',
];

/** The largest MTU of Stratus's one physical network (Neutron's global_physnet_mtu default). */
const MAX_MTU = 1500;
/** A new network's MTU: devstack's tenant networks are overlays (1500 less the Geneve header). */
const DEFAULT_MTU = 1450;

/**
 * Ports Neutron deletes with their network (AUTO_DELETE_PORT_OWNERS in db_base_plugin_v2 / ml2):
 * any other port (a server's, a router's) keeps the network in use.
 */
const AUTO_DELETE_PORT_OWNERS = ['network:dhcp', 'network:distributed', 'network:floatingip_agent_gateway'];

function mtuAttr(v: unknown): number | undefined {
  const mtu = intAttr('mtu', v);
  if (mtu === undefined) return undefined;
  if (mtu < 0) throw neutronInvalidAttr('mtu', `'${mtu}' should be non-negative`);
  if (mtu > MAX_MTU) throw neutronInvalidInput(`Requested MTU is too big, maximum is ${MAX_MTU}`);
  // IPv4 needs 68 (RFC 791); Neutron refuses a smaller MTU on a network with an IPv4 subnet.
  if (mtu < 68) throw neutronInvalidInput(`Requested MTU is too small, minimum is 68`);
  return mtu;
}

function zoneHints(v: unknown): void {
  if (v === undefined) return;
  if (!Array.isArray(v) || v.some((z) => z !== 'nova'))
    throw neutronInvalidInput(`Availability zone of ${pyish(v)} could not be found`);
}

export async function createNetwork(deps: Deps, caller: Caller, body: Item) {
  const projectId = projectOf(caller, body);
  enforce(deps, caller, 'create_network', projectId);
  const name = stringAttr('name', body.name) ?? '';
  const description = stringAttr('description', body.description) ?? '';
  const adminStateUp = booleanAttr('admin_state_up', body.admin_state_up) ?? true;
  const shared = booleanAttr('shared', body.shared) ?? false;
  const external = booleanAttr('router:external', body['router:external']) ?? false;
  const portSecurity = booleanAttr('port_security_enabled', body.port_security_enabled) ?? true;
  const mtu = mtuAttr(body.mtu) ?? DEFAULT_MTU;
  zoneHints(body.availability_zone_hints);
  // Neutron checks an attribute's own rule only when the request sets it.
  if (body.shared !== undefined) enforceAttribute(deps, caller, 'create_network', 'shared', projectId);
  if (body['router:external'] !== undefined)
    enforceAttribute(deps, caller, 'create_network', 'router:external', projectId);
  if (body.port_security_enabled !== undefined)
    enforceAttribute(deps, caller, 'create_network', 'port_security_enabled', projectId);
  const id = deps.ids.uuid();
  const now = iso(deps.clock.now());
  await deps.transact(async (tx) => {
    await checkNetworkQuota(deps, tx, projectId, 'network');
    await net.insertNetwork(tx, {
      id,
      name,
      project_id: projectId,
      shared: shared ? 1 : 0,
      external: external ? 1 : 0,
      status: 'ACTIVE',
      mtu,
      admin_state_up: adminStateUp ? 1 : 0,
      description,
      port_security_enabled: portSecurity ? 1 : 0,
      revision_number: 1,
      created_at: now,
      updated_at: now,
    });
  });
  return showNetwork(deps, caller, id);
}

/** A network the caller may write: its project's (an admin's: any); another visible one is a policy refusal. */
async function writable(deps: Deps, caller: Caller, id: string, rule: string) {
  const n = await showNetwork(deps, caller, id);
  enforce(deps, caller, rule, n.network.project_id);
  return n;
}

export async function updateNetwork(deps: Deps, caller: Caller, id: string, body: Item) {
  const { network } = await writable(deps, caller, id, 'update_network');
  const name = stringAttr('name', body.name);
  const description = stringAttr('description', body.description);
  const adminStateUp = booleanAttr('admin_state_up', body.admin_state_up);
  const shared = booleanAttr('shared', body.shared);
  const external = booleanAttr('router:external', body['router:external']);
  const portSecurity = booleanAttr('port_security_enabled', body.port_security_enabled);
  const mtu = mtuAttr(body.mtu);
  for (const attr of ['shared', 'router:external', 'port_security_enabled'])
    if (body[attr] !== undefined) enforceAttribute(deps, caller, 'update_network', attr, network.project_id);
  const set: Record<string, unknown> = {
    updated_at: iso(deps.clock.now()),
    revision_number: (network.revision_number ?? 1) + 1,
  };
  if (name !== undefined) set.name = name;
  if (description !== undefined) set.description = description;
  if (adminStateUp !== undefined) set.admin_state_up = adminStateUp ? 1 : 0;
  if (shared !== undefined) set.shared = shared ? 1 : 0;
  if (external !== undefined) set.external = external ? 1 : 0;
  if (portSecurity !== undefined) set.port_security_enabled = portSecurity ? 1 : 0;
  if (mtu !== undefined) set.mtu = mtu;
  await net.updateNetwork(deps.db, network.id, set);
  return showNetwork(deps, caller, network.id);
}

/** Neutron's delete_network: refused while ports other than DHCP ones remain; its subnets go with it. */
export async function deleteNetwork(deps: Deps, caller: Caller, id: string): Promise<void> {
  const { network } = await writable(deps, caller, id, 'delete_network');
  await deps.transact(async (tx) => {
    const ports = await net.portsOnNetwork(tx, network.id);
    if (ports.some((p) => !AUTO_DELETE_PORT_OWNERS.includes(p.device_owner))) throw networkInUse(network.id);
    for (const p of ports) await net.deletePort(tx, p.id);
    await net.deleteNetwork(tx, network.id);
  });
}

/** A network a port or subnet may be created on: the caller's, shared, or any for an admin. */
export async function usableNetwork(deps: Deps, caller: Caller, id: string) {
  const n = await net.getNetwork(deps.db, id);
  if (!n || (!caller.isAdmin && n.project_id !== caller.projectId && !n.shared && !n.external))
    throw neutronNotFound('Network', id);
  return n;
}
