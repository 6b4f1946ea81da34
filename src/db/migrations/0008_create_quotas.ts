import type { Kysely } from 'kysely';

/**
 * Quotas (Nova's `quotas` and `quota_classes` tables): a row overrides the default of one
 * resource, for a project (user_id '' = the whole project; per-user rows are not served yet) or
 * for a quota class (the class `default` overrides the configured defaults). quota_locks holds
 * one row per project: a create locks it (SELECT … FOR UPDATE) before it counts and inserts, so
 * concurrent creates in one project serialise and the limit holds.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('quotas')
    .ifNotExists()
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('resource', 'text', (c) => c.notNull())
    .addColumn('hard_limit', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('quotas_pk', ['project_id', 'user_id', 'resource'])
    .execute();
  await db.schema
    .createTable('quota_classes')
    .ifNotExists()
    .addColumn('class_name', 'text', (c) => c.notNull())
    .addColumn('resource', 'text', (c) => c.notNull())
    .addColumn('hard_limit', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('quota_classes_pk', ['class_name', 'resource'])
    .execute();
  await db.schema
    .createTable('quota_locks')
    .ifNotExists()
    .addColumn('project_id', 'text', (c) => c.primaryKey())
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('quota_locks').ifExists().execute();
  await db.schema.dropTable('quota_classes').ifExists().execute();
  await db.schema.dropTable('quotas').ifExists().execute();
}
