import type { Insertable, Selectable } from 'kysely';
import type { Executor } from '../executor.js';
import type { KeyPairsTable } from '../schema.js';

export type KeypairRow = Selectable<KeyPairsTable>;
export type NewKeypair = Insertable<KeyPairsTable>;

/** Inserts a keypair and returns it with its id; a duplicate (user_id, name) raises the unique violation. */
export async function insertKeypair(ex: Executor, row: NewKeypair): Promise<KeypairRow> {
  return ex.insertInto('key_pairs').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function getKeypair(ex: Executor, userId: string, name: string): Promise<KeypairRow | undefined> {
  return ex
    .selectFrom('key_pairs')
    .selectAll()
    .where('user_id', '=', userId)
    .where('name', '=', name)
    .executeTakeFirst();
}

/** A user's keypairs by name (Nova pages them by name), after `afterName` when given. */
export async function listKeypairs(
  ex: Executor,
  userId: string,
  opts: { limit?: number; afterName?: string } = {},
): Promise<KeypairRow[]> {
  let q = ex.selectFrom('key_pairs').selectAll().where('user_id', '=', userId);
  if (opts.afterName !== undefined) q = q.where('name', '>', opts.afterName);
  q = q.orderBy('name', 'asc');
  if (opts.limit !== undefined) q = q.limit(opts.limit);
  return q.execute();
}

/** Deletes a user's keypair by name; false when there was none. */
export async function deleteKeypair(ex: Executor, userId: string, name: string): Promise<boolean> {
  const res = await ex
    .deleteFrom('key_pairs')
    .where('user_id', '=', userId)
    .where('name', '=', name)
    .executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

export async function countKeypairs(ex: Executor, userId: string): Promise<number> {
  const row = await ex
    .selectFrom('key_pairs')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
