import type { Selectable, Updateable } from 'kysely';
import type { Executor } from '../executor.js';
import { prepared } from '../prepared.js';
import { dialectOf } from '../dialects/dialect.js';
import type { NetworksTable, PortsTable, SubnetsTable } from '../schema.js';

export type PortRow = Selectable<PortsTable>;

export async function insertPort(ex: Executor, row: PortsTable): Promise<void> {
  await ex.insertInto('ports').values(row).execute();
}

/** Networks visible to a project: its own, shared and external ones (all for admins: projectId undefined). */
export async function listNetworks(ex: Executor, projectId?: string) {
  let q = ex.selectFrom('networks').selectAll();
  if (projectId !== undefined)
    q = q.where((eb) => eb.or([eb('project_id', '=', projectId), eb('shared', '=', 1), eb('external', '=', 1)]));
  return q.orderBy('name').execute();
}

/**
 * Locks a network's row until the transaction ends (PostgreSQL: SELECT … FOR UPDATE; SQLite's one
 * writer already serialises), so that subnet creates on one network check overlaps one after the
 * other. Undefined when the network is gone.
 */
export async function lockNetwork(ex: Executor, id: string) {
  const q = ex.selectFrom('networks').selectAll().where('id', '=', id);
  return dialectOf(ex).lockRows(q, 'networks').executeTakeFirst();
}

export async function getNetwork(ex: Executor, id: string) {
  return ex.selectFrom('networks').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listSubnets(ex: Executor, networkIds?: string[]) {
  let q = ex.selectFrom('subnets').selectAll();
  if (networkIds) q = q.where('network_id', 'in', networkIds.length ? networkIds : ['-none-']);
  return q.orderBy('name').execute();
}

export async function getSubnet(ex: Executor, id: string) {
  return ex.selectFrom('subnets').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Each list filter (never empty: query.ts gives a present parameter at least one value) accepts any of its values, as Neutron does. */
export interface PortFilter {
  projectId?: string;
  deviceId?: string[];
  deviceOwner?: string[];
  networkId?: string[];
  id?: string[];
  name?: string[];
  macAddress?: string[];
}

export async function listPorts(ex: Executor, f: PortFilter): Promise<PortRow[]> {
  let q = ex.selectFrom('ports').selectAll();
  if (f.projectId !== undefined) q = q.where('project_id', '=', f.projectId);
  if (f.deviceId !== undefined) q = q.where('device_id', 'in', f.deviceId);
  if (f.deviceOwner !== undefined) q = q.where('device_owner', 'in', f.deviceOwner);
  if (f.networkId !== undefined) q = q.where('network_id', 'in', f.networkId);
  if (f.id !== undefined) q = q.where('id', 'in', f.id);
  if (f.name !== undefined) q = q.where('name', 'in', f.name);
  if (f.macAddress !== undefined) q = q.where('mac_address', 'in', f.macAddress);
  return q.orderBy('created_at').orderBy('id').execute();
}

export async function getPort(ex: Executor, id: string) {
  return ex.selectFrom('ports').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function portsOfServers(ex: Executor, serverIds: string[]): Promise<PortRow[]> {
  if (serverIds.length === 0) return [];
  return ex
    .selectFrom('ports')
    .selectAll()
    .where('device_id', 'in', serverIds)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export async function updatePort(ex: Executor, id: string, changes: Updateable<PortsTable>): Promise<void> {
  await ex.updateTable('ports').set(changes).where('id', '=', id).execute();
}

export async function deletePort(ex: Executor, id: string): Promise<void> {
  await ex.deleteFrom('ip_allocations').where('port_id', '=', id).execute();
  await ex.deleteFrom('ports').where('id', '=', id).execute();
}

/** IP addresses already taken on a network (to pick the next free one). */
export async function usedAddresses(ex: Executor, networkId: string): Promise<string[]> {
  const rows = await ex.selectFrom('ip_allocations').select('ip_address').where('network_id', '=', networkId).execute();
  return rows.map((r) => r.ip_address);
}

/** Claims an address for a port; false when another port holds it (the primary key decides, even across processes). */
export async function claimAddress(ex: Executor, networkId: string, ip: string, portId: string): Promise<boolean> {
  const r = await ex
    .insertInto('ip_allocations')
    .values({ network_id: networkId, ip_address: ip, port_id: portId })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** Binds a free port the user passed in to a server; false if it was taken meanwhile. */
export async function claimPort(ex: Executor, portId: string, serverId: string, nowIso: string): Promise<boolean> {
  const r = await ex
    .updateTable('ports')
    .set({ device_id: serverId, device_owner: 'compute:nova', updated_at: nowIso })
    .where('id', '=', portId)
    .where('device_id', '=', '')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Sets the binding host of every port of a server ('' unbinds them from any host). */
export async function setServerPortsHost(ex: Executor, serverId: string, host: string, nowIso: string): Promise<void> {
  await ex
    .updateTable('ports')
    .set({ binding_host_id: host, ...(host ? { status: 'ACTIVE' } : {}), updated_at: nowIso })
    .where('device_id', '=', serverId)
    .execute();
}

/** Deletes the ports created for a server and unbinds the ones its user passed in (two statements, whatever their number). */
export async function releasePortsOfServer(
  ex: Executor,
  serverId: string,
  nowIso: string,
): Promise<{ deleted: number; unbound: number }> {
  await freeAddresses(ex, serverId);
  const d = await deleteCreatedPorts(ex, serverId);
  const u = await unbindOtherPorts(ex, serverId, nowIso);
  return { deleted: Number(d.numAffectedRows ?? 0), unbound: Number(u.numAffectedRows ?? 0) };
}
const freeAddresses = prepared((ex: Executor, serverId: string) =>
  ex
    .deleteFrom('ip_allocations')
    .where(
      'port_id',
      'in',
      ex.selectFrom('ports').select('id').where('device_id', '=', serverId).where('created_for_server', '=', 1),
    ),
);
const deleteCreatedPorts = prepared((ex: Executor, serverId: string) =>
  ex.deleteFrom('ports').where('device_id', '=', serverId).where('created_for_server', '=', 1),
);
const unbindOtherPorts = prepared((ex: Executor, serverId: string, nowIso: string) =>
  ex
    .updateTable('ports')
    .set({ device_id: '', device_owner: '', binding_host_id: '', status: 'DOWN', updated_at: nowIso })
    .where('device_id', '=', serverId)
    .where('created_for_server', '=', 0),
);

// --- networks and subnets written through the Neutron API (migration 0025) -----------------

export type NetworkRow = Selectable<NetworksTable>;
export type SubnetRow = Selectable<SubnetsTable>;

export async function insertNetwork(ex: Executor, row: NetworksTable): Promise<void> {
  await ex.insertInto('networks').values(row).execute();
}

export async function updateNetwork(ex: Executor, id: string, changes: Updateable<NetworksTable>): Promise<void> {
  await ex.updateTable('networks').set(changes).where('id', '=', id).execute();
}

/** Deletes a network with its subnets (the use case has checked that no port is left). */
export async function deleteNetwork(ex: Executor, id: string): Promise<void> {
  await ex.deleteFrom('subnets').where('network_id', '=', id).execute();
  await ex.deleteFrom('networks').where('id', '=', id).execute();
}

export async function insertSubnet(ex: Executor, row: SubnetsTable): Promise<void> {
  await ex.insertInto('subnets').values(row).execute();
}

export async function updateSubnet(ex: Executor, id: string, changes: Updateable<SubnetsTable>): Promise<void> {
  await ex.updateTable('subnets').set(changes).where('id', '=', id).execute();
}

export async function deleteSubnet(ex: Executor, id: string): Promise<void> {
  await ex.deleteFrom('subnets').where('id', '=', id).execute();
}

/** The ports on a network (any project), oldest first. */
export async function portsOnNetwork(ex: Executor, networkId: string): Promise<PortRow[]> {
  return ex
    .selectFrom('ports')
    .selectAll()
    .where('network_id', '=', networkId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** How many rows of a Neutron resource a project owns (for its quota). */
export async function countOwned(
  ex: Executor,
  table: 'networks' | 'subnets' | 'ports' | 'routers',
  projectId: string,
): Promise<number> {
  const row = await ex
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('project_id', '=', projectId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
