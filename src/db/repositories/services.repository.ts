import type { Executor } from '../executor.js';
import type { ServicesTable } from '../schema.js';

/** Registers a node, or takes the host name over from a previous incarnation (its `owner` changes). */
export async function upsertService(ex: Executor, row: ServicesTable): Promise<void> {
  const existing = await ex
    .selectFrom('services')
    .select('id')
    .where('host', '=', row.host)
    .where('binary', '=', row.binary)
    .executeTakeFirst();
  if (existing) {
    await ex
      .updateTable('services')
      .set({
        last_seen_at: row.last_seen_at,
        updated_at: row.updated_at,
        vcpus: row.vcpus,
        memory_mb: row.memory_mb,
        disk_gb: row.disk_gb,
        owner: row.owner,
        uptime: row.uptime ?? null,
        // A node restarted with another --zone moves there (an aggregate zone still wins).
        zone: row.zone,
      })
      .where('id', '=', existing.id)
      .execute();
    return;
  }
  // Lost a race with another registration: that one holds the name. ON CONFLICT rather than a
  // caught unique violation, which would leave a PostgreSQL transaction aborted.
  await ex
    .insertInto('services')
    .values(row)
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** Records a heartbeat; false when another agent has taken this host name over (this one is fenced). */
export async function heartbeat(
  ex: Executor,
  host: string,
  binary: string,
  owner: string,
  nowIso: string,
  uptime?: string,
): Promise<boolean> {
  const r = await ex
    .updateTable('services')
    .set(uptime === undefined ? { last_seen_at: nowIso } : { last_seen_at: nowIso, uptime })
    .where('host', '=', host)
    .where('binary', '=', binary)
    .where('owner', '=', owner)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function getComputeService(ex: Executor, host: string) {
  return ex
    .selectFrom('services')
    .selectAll()
    .where('host', '=', host)
    .where('binary', '=', 'nova-compute')
    .executeTakeFirst();
}

export async function listServices(ex: Executor, filter: { host?: string; binary?: string }) {
  let q = ex.selectFrom('services').selectAll();
  if (filter.host) q = q.where('host', '=', filter.host);
  if (filter.binary) q = q.where('binary', '=', filter.binary);
  return q.orderBy('created_at', 'asc').execute();
}

export async function getServiceById(ex: Executor, id: string) {
  return ex.selectFrom('services').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function updateService(
  ex: Executor,
  id: string,
  changes: Partial<Pick<ServicesTable, 'disabled' | 'disabled_reason' | 'forced_down' | 'updated_at'>>,
): Promise<void> {
  await ex.updateTable('services').set(changes).where('id', '=', id).execute();
}
