import type { Kysely } from 'kysely';

/**
 * What the compute node's host says of itself at each heartbeat, in the words of `uptime(1)`
 * (Nova's libvirt driver answers os-hypervisors uptime with that command's output); null until
 * a node reports it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('services').addColumn('uptime', 'text').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('services').dropColumn('uptime').execute();
}
