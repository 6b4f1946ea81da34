import type { Executor } from '../executor.js';
import type { ServerInterfacesTable } from '../schema.js';

/**
 * The port side of os-interface: binding one port of a server to its host, letting go of one
 * port (deleted when Stratus created it, unbound when the user brought it), and the device tags.
 * Every write names the server, so a port that moved on meanwhile is left alone.
 */

/** Binds a port of `serverId` to `host` (the compute node plugged it in). False if it is not that server's. */
export async function bindPort(
  ex: Executor,
  portId: string,
  serverId: string,
  host: string,
  nowIso: string,
): Promise<boolean> {
  const r = await ex
    .updateTable('ports')
    .set({ binding_host_id: host, status: 'ACTIVE', updated_at: nowIso })
    .where('id', '=', portId)
    .where('device_id', '=', serverId)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/**
 * Nova's _deallocate_port_for_instance for one port: a port created for the server is deleted
 * (and its addresses freed), a port the user passed in is unbound and kept.
 */
export async function releasePort(
  ex: Executor,
  portId: string,
  serverId: string,
  nowIso: string,
): Promise<'deleted' | 'unbound' | 'none'> {
  const port = await ex
    .selectFrom('ports')
    .select(['id', 'created_for_server'])
    .where('id', '=', portId)
    .where('device_id', '=', serverId)
    .executeTakeFirst();
  if (!port) return 'none';
  await ex.deleteFrom('server_interfaces').where('port_id', '=', portId).execute();
  if (port.created_for_server === 1) {
    await ex.deleteFrom('ip_allocations').where('port_id', '=', portId).execute();
    await ex.deleteFrom('ports').where('id', '=', portId).execute();
    return 'deleted';
  }
  await ex
    .updateTable('ports')
    .set({ device_id: '', device_owner: '', binding_host_id: '', status: 'DOWN', updated_at: nowIso })
    .where('id', '=', portId)
    .where('device_id', '=', serverId)
    .execute();
  return 'unbound';
}

/** Records (or replaces) the device tag of an attached port. */
export async function setInterfaceTag(ex: Executor, row: ServerInterfacesTable): Promise<void> {
  await ex
    .insertInto('server_interfaces')
    .values(row)
    .onConflict((oc) =>
      oc.column('port_id').doUpdateSet({ server_id: row.server_id, tag: row.tag, created_at: row.created_at }),
    )
    .execute();
}

/** The device tags of a server's ports, by port id. */
export async function interfaceTags(ex: Executor, serverId: string): Promise<Map<string, string | null>> {
  const rows = await ex
    .selectFrom('server_interfaces')
    .select(['port_id', 'tag'])
    .where('server_id', '=', serverId)
    .execute();
  return new Map(rows.map((r) => [r.port_id, r.tag]));
}
