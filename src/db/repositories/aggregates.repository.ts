import type { Executor } from '../executor.js';
import type { AggregatesTable } from '../schema.js';

export type AggregateRow = AggregatesTable;

/** An aggregate with its hosts and metadata, as the API shows it. */
export interface AggregateRecord extends AggregateRow {
  hosts: string[];
  metadata: Record<string, string>;
}

/** The next aggregate id: the row lock of the UPDATE serialises concurrent creates on PostgreSQL. */
export async function nextAggregateId(ex: Executor): Promise<number> {
  const row = await ex
    .updateTable('aggregate_sequence')
    .set((eb) => ({ value: eb('value', '+', 1) }))
    .where('name', '=', 'aggregates')
    .returning('value')
    .executeTakeFirstOrThrow();
  return Number(row.value);
}

export async function insertAggregate(ex: Executor, row: AggregateRow): Promise<void> {
  await ex.insertInto('aggregates').values(row).execute();
}

export async function getAggregateByName(ex: Executor, name: string): Promise<AggregateRow | undefined> {
  return ex.selectFrom('aggregates').selectAll().where('name', '=', name).executeTakeFirst();
}

async function complete(ex: Executor, rows: AggregateRow[]): Promise<AggregateRecord[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => Number(r.id));
  const [hosts, meta] = await Promise.all([
    ex.selectFrom('aggregate_hosts').selectAll().where('aggregate_id', 'in', ids).orderBy('host').execute(),
    ex.selectFrom('aggregate_metadata').selectAll().where('aggregate_id', 'in', ids).orderBy('key').execute(),
  ]);
  return rows.map((r) => {
    const id = Number(r.id);
    const metadata: Record<string, string> = {};
    for (const m of meta) if (Number(m.aggregate_id) === id) metadata[m.key] = m.value;
    return {
      ...r,
      id,
      hosts: hosts.filter((h) => Number(h.aggregate_id) === id).map((h) => h.host),
      metadata,
    };
  });
}

export async function getAggregate(ex: Executor, id: number): Promise<AggregateRecord | undefined> {
  const row = await ex.selectFrom('aggregates').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? (await complete(ex, [row]))[0] : undefined;
}

export async function listAggregates(ex: Executor): Promise<AggregateRecord[]> {
  return complete(ex, await ex.selectFrom('aggregates').selectAll().orderBy('id').execute());
}

/** The aggregates holding any of `hosts`. */
export async function aggregatesOfHosts(ex: Executor, hosts: string[]): Promise<AggregateRecord[]> {
  if (hosts.length === 0) return [];
  const ids = await ex
    .selectFrom('aggregate_hosts')
    .select('aggregate_id')
    .distinct()
    .where('host', 'in', hosts)
    .execute();
  if (ids.length === 0) return [];
  const rows = await ex
    .selectFrom('aggregates')
    .selectAll()
    .where(
      'id',
      'in',
      ids.map((i) => Number(i.aggregate_id)),
    )
    .orderBy('id')
    .execute();
  return complete(ex, rows);
}

/**
 * Every host that some aggregate puts in a zone, with that zone (`availability_zone` metadata).
 * A host in several zoned aggregates gets their names joined with ',', as Nova's
 * set_availability_zones does (the API keeps that from happening).
 */
export async function zonesByHost(ex: Executor): Promise<Map<string, string>> {
  const rows = await ex
    .selectFrom('aggregate_hosts as h')
    .innerJoin('aggregate_metadata as m', 'm.aggregate_id', 'h.aggregate_id')
    .select(['h.host', 'm.value'])
    .where('m.key', '=', 'availability_zone')
    .orderBy('h.aggregate_id')
    .execute();
  const out = new Map<string, string[]>();
  for (const r of rows) {
    const zones = out.get(r.host) ?? [];
    if (!zones.includes(r.value)) zones.push(r.value);
    out.set(r.host, zones);
  }
  return new Map([...out].map(([h, z]) => [h, z.join(',')]));
}

export async function updateAggregate(
  ex: Executor,
  id: number,
  changes: Partial<Pick<AggregateRow, 'name' | 'updated_at'>>,
): Promise<void> {
  await ex.updateTable('aggregates').set(changes).where('id', '=', id).execute();
}

/** Merges metadata: a null value removes its key (Nova's Aggregate.update_metadata). */
export async function mergeMetadata(ex: Executor, id: number, metadata: Record<string, string | null>): Promise<void> {
  for (const [key, value] of Object.entries(metadata)) {
    await ex.deleteFrom('aggregate_metadata').where('aggregate_id', '=', id).where('key', '=', key).execute();
    if (value !== null) await ex.insertInto('aggregate_metadata').values({ aggregate_id: id, key, value }).execute();
  }
}

/** false when the host is already in the aggregate. */
export async function addHost(ex: Executor, id: number, host: string): Promise<boolean> {
  const r = await ex
    .insertInto('aggregate_hosts')
    .values({ aggregate_id: id, host })
    .onConflict((oc) => oc.columns(['aggregate_id', 'host']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** false when the host was not in the aggregate. */
export async function removeHost(ex: Executor, id: number, host: string): Promise<boolean> {
  const r = await ex
    .deleteFrom('aggregate_hosts')
    .where('aggregate_id', '=', id)
    .where('host', '=', host)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function deleteAggregate(ex: Executor, id: number): Promise<void> {
  await ex.deleteFrom('aggregate_metadata').where('aggregate_id', '=', id).execute();
  await ex.deleteFrom('aggregate_hosts').where('aggregate_id', '=', id).execute();
  await ex.deleteFrom('aggregates').where('id', '=', id).execute();
}
