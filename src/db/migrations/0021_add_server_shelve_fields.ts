import type { Kysely } from 'kysely';

/**
 * What Nova keeps for shelve outside the instance row: `shelved_at` (system_metadata, read by
 * the manager's _poll_shelved_instances for shelved_offload_time > 0) and the request spec's
 * availability_zone (the zone a server is pinned to, which 2.77/2.91 unshelve may change).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('servers').addColumn('shelved_at', 'text').execute();
  await db.schema.alterTable('servers').addColumn('pinned_availability_zone', 'text').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('servers').dropColumn('pinned_availability_zone').execute();
  await db.schema.alterTable('servers').dropColumn('shelved_at').execute();
}
