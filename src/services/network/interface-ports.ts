import type { Caller, Deps } from '../context.js';
import { canonicalUuid } from '../access.js';
import { createPort, portLimitExceeded, type PortRow } from './ports.js';
import type { Executor } from '../../db/executor.js';
import * as net from '../../db/repositories/network.repository.js';
import * as ifaces from '../../db/repositories/interfaces.repository.js';
import * as fips from '../../db/repositories/floating-ips.repository.js';
import { DomainError, conflict, invalid, portNotFound, neutronNotFound } from '../../domain/errors.js';
import { iso, type Clock } from '../../domain/clock.js';

/**
 * What compute asks of the network service for os-interface (Nova's neutron.API
 * allocate_for_instance / deallocate_port_for_instance for one port).
 */

export interface InterfaceRequest {
  portId?: string;
  networkId?: string;
  fixedIp?: string;
}

/** The networks a project may plug a server into without naming one: its own and shared ones, not external. */
async function availableNetworks(ex: Executor, projectId: string) {
  return (await net.listNetworks(ex, projectId)).filter((n) => !n.external);
}

/**
 * Gives the server one more port, in the caller's transaction: the user's port (claimed), or a
 * new one on the network asked for (or the only one available). Nova's messages and statuses:
 * unknown or foreign port `Port id <id> could not be found.` (404), port in use 409, unknown
 * network `Network <id> could not be found.` (404), no or several networks 400.
 */
export async function allocateInterfacePort(
  deps: Deps,
  tx: Executor,
  caller: Caller,
  server: { id: string; project_id: string },
  req: InterfaceRequest,
): Promise<PortRow> {
  const now = iso(deps.clock.now());
  if (req.portId !== undefined) {
    const id = canonicalUuid(req.portId);
    const port = id ? await net.getPort(tx, id) : undefined;
    // Nova shows the port with the user's token: Neutron hides another project's port from a non-admin.
    if (!port || (!caller.isAdmin && port.project_id !== caller.projectId)) throw portNotFound(req.portId);
    if (port.device_id !== '') throw conflict(`Port ${port.id} is still in use.`, 'PortInUse');
    if (!(await net.claimPort(tx, port.id, server.id, now)))
      throw conflict(`Port ${port.id} is still in use.`, 'PortInUse');
    return (await net.getPort(tx, port.id))!;
  }
  let networkId: string;
  if (req.networkId !== undefined) {
    const id = canonicalUuid(req.networkId);
    const n = id ? await net.getNetwork(tx, id) : undefined;
    if (!n || (!caller.isAdmin && n.project_id !== server.project_id && !n.shared))
      throw neutronNotFound('Network', req.networkId);
    networkId = n.id;
  } else {
    const nets = await availableNetworks(tx, server.project_id);
    if (nets.length === 0)
      throw invalid(`No specific network was requested and none are available for project '${server.project_id}'.`);
    if (nets.length > 1)
      throw invalid(
        'More than one possible network found. Specify network ID(s) to select which one(s) to connect to.',
      );
    networkId = nets[0].id;
  }
  try {
    return await createPort(deps, tx, {
      networkId,
      projectId: server.project_id,
      deviceId: server.id,
      deviceOwner: 'compute:nova',
      createdForServer: true,
      fixedIp: req.fixedIp,
    });
  } catch (e) {
    // Nova parity: Neutron's IpAddressGenerationFailure becomes NoMoreFixedIps (400).
    if (e instanceof DomainError && e.code === 'IpAddressGenerationFailure')
      throw invalid(`No fixed IP addresses available for network: ${networkId}`);
    portLimitExceeded(e);
  }
}

/** The compute node plugged the port in: bind it to that host. */
export async function bindInterfacePort(
  deps: { clock: Clock },
  ex: Executor,
  portId: string,
  serverId: string,
  host: string,
): Promise<boolean> {
  return ifaces.bindPort(ex, portId, serverId, host, iso(deps.clock.now()));
}

/** Lets go of one port of a server: deleted when Stratus created it, unbound when the user brought it. */
export async function releaseInterfacePort(
  deps: { clock: Clock },
  ex: Executor,
  portId: string,
  serverId: string,
): Promise<'deleted' | 'unbound' | 'none'> {
  const now = iso(deps.clock.now());
  const res = await ifaces.releasePort(ex, portId, serverId, now);
  // Neutron's port delete disassociates the port's floating IPs (an unbound port keeps them).
  if (res === 'deleted') await fips.disassociatePorts(ex, [portId], now);
  return res;
}

/** The ports plugged into a server (Nova lists them by device_id), with their device tags. */
export async function portsOfServer(
  ex: Executor,
  serverId: string,
): Promise<Array<{ port: PortRow; tag: string | null }>> {
  const ports = await net.portsOfServers(ex, [serverId]);
  const tags = await ifaces.interfaceTags(ex, serverId);
  return ports.map((port) => ({ port, tag: tags.get(port.id) ?? null }));
}

/** Records the device tag a port was attached with (2.49). */
export async function tagInterfacePort(
  deps: { clock: Clock },
  ex: Executor,
  portId: string,
  serverId: string,
  tag: string | null,
): Promise<void> {
  await ifaces.setInterfaceTag(ex, { port_id: portId, server_id: serverId, tag, created_at: iso(deps.clock.now()) });
}

/** A port as Neutron shows it to the caller (another project's is hidden from a non-admin). */
export async function getPortIfVisible(ex: Executor, caller: Caller, id: string): Promise<PortRow | undefined> {
  const uuid = canonicalUuid(id);
  const port = uuid ? await net.getPort(ex, uuid) : undefined;
  if (!port || (!caller.isAdmin && port.project_id !== caller.projectId)) return undefined;
  return port;
}
