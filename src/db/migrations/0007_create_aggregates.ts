import type { Kysely } from 'kysely';

/**
 * Host aggregates (os-aggregates): the aggregate, its hosts and its metadata (the
 * `availability_zone` key puts its hosts in that zone, as in Nova). Integer ids, as Nova's, come
 * from a one-row sequence so both dialects hand them out the same way and never reuse one.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('aggregates')
    .ifNotExists()
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('uuid', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text')
    .execute();
  await db.schema
    .createTable('aggregate_hosts')
    .ifNotExists()
    .addColumn('aggregate_id', 'integer', (c) => c.notNull())
    .addColumn('host', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('aggregate_hosts_pk', ['aggregate_id', 'host'])
    .execute();
  await db.schema.createIndex('aggregate_hosts_host').ifNotExists().on('aggregate_hosts').column('host').execute();
  await db.schema
    .createTable('aggregate_metadata')
    .ifNotExists()
    .addColumn('aggregate_id', 'integer', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('aggregate_metadata_pk', ['aggregate_id', 'key'])
    .execute();
  await db.schema
    .createTable('aggregate_sequence')
    .ifNotExists()
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'integer', (c) => c.notNull())
    .execute();
  await db
    .insertInto('aggregate_sequence')
    .values({ name: 'aggregates', value: 0 })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['aggregate_sequence', 'aggregate_metadata', 'aggregate_hosts', 'aggregates'])
    await db.schema.dropTable(t).ifExists().execute();
}
