import { PostgresAdapter, type Kysely } from 'kysely';

/**
 * migrations: Nova's Migration object, one row per move of a server (resize, cold migration,
 * live migration, evacuation). The id is an integer, as Nova shows it (identity on PostgreSQL,
 * AUTOINCREMENT on SQLite); `uuid` is the 2.59 one. Flavors are kept as the JSON snapshot the
 * server had and gets (Nova's old/new instance_type), so a revert needs no flavor lookup.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('migrations')
    .ifNotExists()
    .addColumn('id', 'integer', (c) =>
      postgres ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement(),
    )
    .addColumn('uuid', 'text', (c) => c.notNull().unique())
    .addColumn('server_id', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('migration_type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('source_compute', 'text')
    .addColumn('source_node', 'text')
    .addColumn('dest_compute', 'text')
    .addColumn('dest_node', 'text')
    .addColumn('dest_host', 'text')
    .addColumn('old_flavor_id', 'text', (c) => c.notNull())
    .addColumn('new_flavor_id', 'text', (c) => c.notNull())
    .addColumn('old_flavor', 'text', (c) => c.notNull())
    .addColumn('new_flavor', 'text', (c) => c.notNull())
    /** The vm_state the server had before the move (a confirmed resize of a stopped server stays stopped). */
    .addColumn('old_vm_state', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text')
    .execute();
  await db.schema.createIndex('migrations_server').ifNotExists().on('migrations').column('server_id').execute();
  await db.schema.createIndex('migrations_updated').ifNotExists().on('migrations').column('updated_at').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('migrations').ifExists().execute();
}
