import { sql, type Selectable } from 'kysely';
import type { ServerChangesTable } from '../schema.js';
import type { Executor } from '../executor.js';
import { dialectOf } from '../dialects/dialect.js';

/** One row of server_changes with its numbers as numbers (PostgreSQL returns bigint as text). */
export type ServerChangeRow = Omit<Selectable<ServerChangesTable>, 'seq' | 'tx' | 'locked'> & {
  seq: number;
  tx: number;
  locked: boolean;
};

function toRow(r: Selectable<ServerChangesTable>): ServerChangeRow {
  return {
    ...r,
    seq: Number(r.seq),
    tx: Number(r.tx),
    power_state: Number(r.power_state),
    locked: Number(r.locked) !== 0 && r.locked !== false,
  };
}

/** Changes with seq > `after` (and <= `upTo` when given), oldest first, at most `limit`. */
export async function changesAfter(
  ex: Executor,
  after: number,
  limit: number,
  upTo?: number,
): Promise<ServerChangeRow[]> {
  let q = ex.selectFrom('server_changes').selectAll().where('seq', '>', after);
  if (upTo !== undefined) q = q.where('seq', '<=', upTo);
  return (await q.orderBy('seq').limit(limit).execute()).map(toRow);
}

/** Changes with seq >= `from`, oldest first (the first one tells whether `from` is still kept). */
export async function changesFrom(ex: Executor, from: number, limit: number, upTo: number): Promise<ServerChangeRow[]> {
  return (
    await ex
      .selectFrom('server_changes')
      .selectAll()
      .where('seq', '>=', from)
      .where('seq', '<=', upTo)
      .orderBy('seq')
      .limit(limit)
      .execute()
  ).map(toRow);
}

/** The newest and oldest seq kept (0 when empty). */
export async function seqBounds(ex: Executor): Promise<{ min: number; max: number }> {
  const r = await ex
    .selectFrom('server_changes')
    .select([sql<string | number | null>`min(seq)`.as('min'), sql<string | number | null>`max(seq)`.as('max')])
    .executeTakeFirstOrThrow();
  return { min: Number(r.min ?? 0), max: Number(r.max ?? 0) };
}

/** Whether the change `seq` is still kept. */
export async function changeExists(ex: Executor, seq: number): Promise<boolean> {
  return (await ex.selectFrom('server_changes').select('seq').where('seq', '=', seq).executeTakeFirst()) !== undefined;
}

/**
 * Removes the changes up to the newest one older than `before` (ISO time); returns how many. By
 * seq, not by each row's time: `changed_at` is the writer's clock, so a row with an older time may
 * sit after newer ones, and deleting by time alone would open a hole in the middle of the log.
 */
export async function pruneChanges(ex: Executor, before: string): Promise<number> {
  const cut = await ex
    .selectFrom('server_changes')
    .select(sql<string | number | null>`max(seq)`.as('seq'))
    .where('changed_at', '<', before)
    .executeTakeFirst();
  if (cut?.seq === null || cut?.seq === undefined) return 0;
  const r = await ex.deleteFrom('server_changes').where('seq', '<=', Number(cut.seq)).executeTakeFirst();
  return Number(r.numDeletedRows ?? 0);
}

/** The transactions running now (PostgreSQL); null on SQLite, whose one writer leaves no gap open. */
export function runningTransactions(ex: Executor) {
  return dialectOf(ex).snapshot(ex);
}

/**
 * `read` and the transactions running, both on one snapshot (PostgreSQL): a seq missing from
 * what `read` returns was taken by a transaction the snapshot shows running, or will never come.
 * A snapshot taken in a later statement could miss a transaction that committed in between.
 */
export function readOnSnapshot<T>(ex: Executor, read: (ex: Executor) => Promise<T>) {
  return dialectOf(ex).consistentRead(read);
}

/** The seqs after `after`, oldest first (skipping ahead without reading whole rows). */
export async function seqsAfter(ex: Executor, after: number, limit: number): Promise<number[]> {
  const rows = await ex
    .selectFrom('server_changes')
    .select('seq')
    .where('seq', '>', after)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map((r) => Number(r.seq));
}
