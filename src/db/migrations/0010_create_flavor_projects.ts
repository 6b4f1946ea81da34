import type { Kysely } from 'kysely';

/**
 * flavor_projects: Nova's flavor_projects table (os-flavor-access), the projects a private
 * flavor is shared with. The primary key makes a grant unique per (flavor, project); the
 * project index answers "the private flavors this project may use" for list and boot.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('flavor_projects')
    .ifNotExists()
    .addColumn('flavor_id', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('flavor_projects_pk', ['flavor_id', 'project_id'])
    .execute();
  await db.schema
    .createIndex('flavor_projects_project')
    .ifNotExists()
    .on('flavor_projects')
    .columns(['project_id', 'flavor_id'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('flavor_projects').ifExists().execute();
}
