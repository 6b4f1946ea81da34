import type { Executor } from '../executor.js';
import { dialectOf } from '../dialects/dialect.js';
import type { ServerRow } from './servers.repository.js';

/**
 * A live server, its row locked until the transaction ends (PostgreSQL; SQLite runs one writer
 * at a time anyway), so the read-check-write of its metadata or tags cannot interleave with
 * another's: no lost update of the metadata, no 51st tag.
 */
export async function getServerForUpdate(ex: Executor, id: string): Promise<ServerRow | undefined> {
  const q = ex.selectFrom('servers').selectAll().where('id', '=', id).where('deleted', '=', 0);
  return (await dialectOf(ex).lockRows(q, 'servers').executeTakeFirst()) as ServerRow | undefined;
}

/** Writes a server's metadata (a JSON object of strings, Nova's instance_metadata rows). */
export async function setServerMetadata(
  ex: Executor,
  id: string,
  metadata: Record<string, string>,
  nowIso: string,
): Promise<void> {
  await ex
    .updateTable('servers')
    .set({ metadata: JSON.stringify(metadata), updated_at: nowIso })
    .where('id', '=', id)
    .where('deleted', '=', 0)
    .execute();
}
