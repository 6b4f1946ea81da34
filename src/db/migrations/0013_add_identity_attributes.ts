import type { Kysely } from 'kysely';

/**
 * What Keystone's admin API shows of domains, projects and users beyond the seed's columns:
 * a domain's description and enabled flag, a project's parent (Keystone: the domain for a
 * top-level project, null here when it is one) and each entity's extra attributes (Keystone
 * keeps unknown request keys such as a user's `email` in an `extra` JSON column and shows them).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('domains')
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  await db.schema
    .alterTable('domains')
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema.alterTable('projects').addColumn('parent_id', 'text').execute();
  await db.schema
    .alterTable('projects')
    .addColumn('extra', 'text', (c) => c.notNull().defaultTo('{}'))
    .execute();
  await db.schema
    .alterTable('users')
    .addColumn('extra', 'text', (c) => c.notNull().defaultTo('{}'))
    .execute();
  await db.schema
    .createIndex('role_assignments_project')
    .ifNotExists()
    .on('role_assignments')
    .column('project_id')
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('role_assignments_project').ifExists().execute();
  await db.schema.alterTable('users').dropColumn('extra').execute();
  await db.schema.alterTable('projects').dropColumn('extra').execute();
  await db.schema.alterTable('projects').dropColumn('parent_id').execute();
  await db.schema.alterTable('domains').dropColumn('enabled').execute();
  await db.schema.alterTable('domains').dropColumn('description').execute();
}
