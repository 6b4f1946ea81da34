import type { Executor } from '../executor.js';

/** The server's posted (encrypted) password, or undefined when none was posted or it was cleared. */
export async function getServerPassword(ex: Executor, serverId: string): Promise<string | undefined> {
  const row = await ex
    .selectFrom('server_passwords')
    .select('password')
    .where('server_id', '=', serverId)
    .executeTakeFirst();
  return row?.password;
}

/** Stores (or replaces) the password a guest posted (Nova's metadata service POST /openstack/latest/password). */
export async function setServerPassword(ex: Executor, serverId: string, password: string, nowIso: string) {
  await ex
    .insertInto('server_passwords')
    .values({ server_id: serverId, password, updated_at: nowIso })
    .onConflict((oc) => oc.column('server_id').doUpdateSet({ password, updated_at: nowIso }))
    .execute();
}

/** Forgets it (os-server-password DELETE); true when there was one. */
export async function clearServerPassword(ex: Executor, serverId: string): Promise<boolean> {
  const res = await ex.deleteFrom('server_passwords').where('server_id', '=', serverId).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}
