import type { Selectable, Updateable } from 'kysely';
import type { Executor } from '../executor.js';
import type { BlockDeviceMappingsTable } from '../schema.js';

/**
 * The volumes of servers (Nova's block_device_mapping table). The unique volume_id is the guard
 * against attaching one volume to two servers: the losing insert gets false, never a second row.
 */
export type BlockDeviceRow = Selectable<BlockDeviceMappingsTable>;

/** Inserts a mapping; false when its volume is already mapped (to this or another server). */
export async function insertBlockDevice(ex: Executor, row: BlockDeviceMappingsTable): Promise<boolean> {
  const r = await ex
    .insertInto('block_device_mappings')
    .values(row)
    .onConflict((oc) => oc.column('volume_id').doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** A server's mappings, the boot device first, then in the order they were made (Nova's device order). */
export async function blockDevicesOfServer(ex: Executor, serverId: string): Promise<BlockDeviceRow[]> {
  return blockDevicesOfServers(ex, [serverId]);
}

/** The mappings of many servers at once (the server list's volumes_attached), in each server's order. */
export async function blockDevicesOfServers(ex: Executor, serverIds: string[]): Promise<BlockDeviceRow[]> {
  if (serverIds.length === 0) return [];
  const rows = await ex
    .selectFrom('block_device_mappings')
    .selectAll()
    .where('server_id', 'in', serverIds)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  // boot_index 0 first, other indexes ascending, unbootable (null, or negative as Nova writes -1) last
  const rank = (b: number | null) => (b === null || b < 0 ? Number.MAX_SAFE_INTEGER : b);
  return rows.sort((a, b) => rank(a.boot_index) - rank(b.boot_index));
}

/** The mapping of `volumeId` on `serverId`, if the volume is mapped to that server. */
export async function blockDeviceOfVolume(
  ex: Executor,
  serverId: string,
  volumeId: string,
): Promise<BlockDeviceRow | undefined> {
  return ex
    .selectFrom('block_device_mappings')
    .selectAll()
    .where('server_id', '=', serverId)
    .where('volume_id', '=', volumeId)
    .executeTakeFirst();
}

/** The mapping that holds `volumeId`, whichever server it is on. */
export async function blockDeviceHoldingVolume(ex: Executor, volumeId: string): Promise<BlockDeviceRow | undefined> {
  return ex.selectFrom('block_device_mappings').selectAll().where('volume_id', '=', volumeId).executeTakeFirst();
}

/** Updates a mapping of `serverId`; false when it is gone or belongs to another server. */
export async function updateBlockDevice(
  ex: Executor,
  id: string,
  serverId: string,
  changes: Updateable<BlockDeviceMappingsTable>,
): Promise<boolean> {
  const r = await ex
    .updateTable('block_device_mappings')
    .set(changes)
    .where('id', '=', id)
    .where('server_id', '=', serverId)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Deletes one mapping of `serverId`; false when it was already gone. */
export async function deleteBlockDevice(ex: Executor, id: string, serverId: string): Promise<boolean> {
  const r = await ex
    .deleteFrom('block_device_mappings')
    .where('id', '=', id)
    .where('server_id', '=', serverId)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Deletes every mapping of a server (its record is gone); returns how many. */
export async function deleteBlockDevicesOfServer(ex: Executor, serverId: string): Promise<number> {
  const r = await ex.deleteFrom('block_device_mappings').where('server_id', '=', serverId).executeTakeFirst();
  return Number(r.numDeletedRows);
}
