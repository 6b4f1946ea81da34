import { PostgresAdapter, type Kysely } from 'kysely';

/**
 * key_pairs: Nova's keypairs, owned by a user (not a project) and unique per (user, name). The
 * id is an integer, as Nova shows it: an identity column on PostgreSQL, SQLite's AUTOINCREMENT
 * rowid elsewhere (neither reuses the id of a deleted row, like Nova's MySQL auto_increment).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('key_pairs')
    .ifNotExists()
    .addColumn('id', 'integer', (c) =>
      postgres ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement(),
    )
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull().defaultTo('ssh'))
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('key_pairs_user_name', ['user_id', 'name'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('key_pairs').ifExists().execute();
}
