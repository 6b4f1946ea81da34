import type { Kysely } from 'kysely';

/**
 * What server create accepts beyond the basics, as Nova keeps it on the instance:
 * personality (the injected files, a JSON array of {path, contents}; Nova's injected_files,
 * only until 2.56), config_drive (Nova's instance.config_drive: 'True' or '') and
 * trusted_image_certificates (2.63: a JSON array of ids, null when none were given).
 * Existing rows get the values Nova shows for a server created without them.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('servers')
    .addColumn('personality', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
  await db.schema
    .alterTable('servers')
    .addColumn('config_drive', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  await db.schema.alterTable('servers').addColumn('trusted_image_certificates', 'text').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('servers').dropColumn('trusted_image_certificates').execute();
  await db.schema.alterTable('servers').dropColumn('config_drive').execute();
  await db.schema.alterTable('servers').dropColumn('personality').execute();
}
