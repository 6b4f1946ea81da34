import type { Kysely } from 'kysely';

/**
 * server_passwords: the encrypted password a guest posts through the metadata service, which
 * Nova keeps in the instance's system_metadata (password_0..3) and os-server-password shows
 * and clears. Stratus has no system_metadata, so it is one row per server.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('server_passwords')
    .ifNotExists()
    .addColumn('server_id', 'text', (c) => c.primaryKey())
    .addColumn('password', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('server_passwords').ifExists().execute();
}
