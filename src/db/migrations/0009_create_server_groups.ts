import { PostgresAdapter, type Kysely } from 'kysely';

/**
 * server_groups: Nova's instance groups (one policy each, rules as JSON: `max_server_per_host`),
 * owned by a project, listed in creation order (`seq`). server_group_members: a server in a group (a server is in at most one
 * group, as Nova's request spec holds one), with the host the scheduler chose for it at create,
 * so that a concurrent create into the same group sees it before the agent has claimed the server.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('server_groups')
    .ifNotExists()
    // Nova lists groups in the order of their integer id; `seq` is that order (the uuid is `id`).
    .addColumn('seq', 'integer', (c) =>
      postgres ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement(),
    )
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('policy', 'text', (c) => c.notNull())
    .addColumn('rules', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('server_groups_project')
    .ifNotExists()
    .on('server_groups')
    .columns(['project_id'])
    .execute();
  await db.schema
    .createTable('server_group_members')
    .ifNotExists()
    .addColumn('group_id', 'text', (c) => c.notNull().references('server_groups.id').onDelete('cascade'))
    .addColumn('server_id', 'text', (c) => c.notNull().primaryKey())
    .addColumn('host', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('server_group_members_group')
    .ifNotExists()
    .on('server_group_members')
    .columns(['group_id'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('server_group_members').ifExists().execute();
  await db.schema.dropTable('server_groups').ifExists().execute();
}
