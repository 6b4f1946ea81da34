import type { Executor } from '../executor.js';
import type { DriverFaultsTable } from '../schema.js';

export async function insertFault(ex: Executor, row: DriverFaultsTable): Promise<void> {
  await ex.insertInto('driver_faults').values(row).execute();
}
export async function listFaults(ex: Executor, host?: string) {
  let q = ex.selectFrom('driver_faults').selectAll();
  if (host) q = q.where('host', '=', host);
  return q.orderBy('created_at').execute();
}
export async function deleteFaults(ex: Executor, filter: { id?: string; host?: string }): Promise<number> {
  let q = ex.deleteFrom('driver_faults');
  if (filter.id) q = q.where('id', '=', filter.id);
  if (filter.host) q = q.where('host', '=', filter.host);
  const r = await q.executeTakeFirst();
  return Number(r.numDeletedRows);
}
/** The first fault that matches an operation on a server on a host; consumes one use of a counted fault. */
export async function takeFault(ex: Executor, host: string, operation: string, serverId: string) {
  const rows = await ex
    .selectFrom('driver_faults')
    .selectAll()
    .where('host', '=', host)
    .where('operation', '=', operation)
    .where((eb) => eb.or([eb('server_id', 'is', null), eb('server_id', '=', serverId)]))
    .orderBy('created_at')
    .execute();
  const f = rows[0];
  if (!f) return undefined;
  if (f.remaining !== null) {
    if (f.remaining <= 1) await ex.deleteFrom('driver_faults').where('id', '=', f.id).execute();
    else
      await ex
        .updateTable('driver_faults')
        .set({ remaining: f.remaining - 1 })
        .where('id', '=', f.id)
        .execute();
  }
  return f;
}

export async function faultExists(ex: Executor, id: string): Promise<boolean> {
  return (await ex.selectFrom('driver_faults').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}
