import type { Kysely } from 'kysely';

/**
 * Glance's hashes of an image's data (md5 `checksum`, `os_hash_algo`/`os_hash_value`), set
 * when the data is uploaded; null for an image without data (queued, or a seeded base image).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('images').addColumn('checksum', 'text').execute();
  await db.schema.alterTable('images').addColumn('os_hash_algo', 'text').execute();
  await db.schema.alterTable('images').addColumn('os_hash_value', 'text').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('images').dropColumn('os_hash_value').execute();
  await db.schema.alterTable('images').dropColumn('os_hash_algo').execute();
  await db.schema.alterTable('images').dropColumn('checksum').execute();
}
