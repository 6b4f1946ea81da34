import type { Kysely } from 'kysely';

/**
 * Glance's hashes of an image's data (md5 `checksum`, `os_hash_algo`/`os_hash_value`), set
 * when the data is uploaded; null for an image without data (queued, or a seeded base image).
 * And the server's `shelved_image_id` (Nova keeps it in system_metadata): the snapshot a shelve
 * made, deleted by unshelve or by a delete of the shelved server.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('images').addColumn('checksum', 'text').execute();
  await db.schema.alterTable('images').addColumn('os_hash_algo', 'text').execute();
  await db.schema.alterTable('images').addColumn('os_hash_value', 'text').execute();
  await db.schema.alterTable('servers').addColumn('shelved_image_id', 'text').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('servers').dropColumn('shelved_image_id').execute();
  await db.schema.alterTable('images').dropColumn('os_hash_value').execute();
  await db.schema.alterTable('images').dropColumn('os_hash_algo').execute();
  await db.schema.alterTable('images').dropColumn('checksum').execute();
}
